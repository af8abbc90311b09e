from . import integration_data_domain
from . import integration_schema
from . import integration_connector
from . import integration_message
from . import integration_inbound_event
from . import integration_approval_mixin
from . import res_config_settings
from . import base
