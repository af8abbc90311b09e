from . import test_registry
from . import test_tools
from . import test_secrets
from . import test_enqueue
from . import test_delivery
from . import test_routing_and_settings
from . import test_inbound
from . import test_mapping
