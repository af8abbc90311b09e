from . import cli
from . import models
