from . import integration_mapping_import_wizard
