from . import integration_data_domain
from . import integration_schema
from . import integration_connector
from . import integration_message
from . import res_config_settings
from . import base
