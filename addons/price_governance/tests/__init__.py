from . import test_registry
from . import test_price_change
