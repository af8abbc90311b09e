from . import integration_rotate_key
