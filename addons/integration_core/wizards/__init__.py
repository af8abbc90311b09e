from . import integration_mapping_import_wizard
from . import integration_message_replay_wizard
