from . import test_registry
from . import test_price_change
from . import test_effect
from . import test_versions
from . import test_publication
from . import test_inbound
from . import test_import
from . import test_settings
