from . import test_registry
from . import test_allocation
from . import test_availability
