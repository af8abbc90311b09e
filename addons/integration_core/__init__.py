from . import cli
from . import models
from .hooks import uninstall_hook
