from . import inbound
from . import metrics
