from . import integration_connector
from . import integration_message
