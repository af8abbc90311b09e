from . import test_registry
from . import test_release_workflow
from . import test_snapshot
from . import test_publication
from . import test_conflicts
from . import test_traceability
from . import test_inbound
from . import test_eligibility
