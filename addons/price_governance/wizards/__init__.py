from . import price_change_import_wizard
