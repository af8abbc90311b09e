from . import inbound
from . import metrics
from . import openapi
