from . import test_registry
from . import test_allocation
from . import test_availability
from . import test_publication
from . import test_reconciliation
from . import test_inbound
from . import test_access
from . import test_tours
