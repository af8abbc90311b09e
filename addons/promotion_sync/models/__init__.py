from . import loyalty_program
from . import promotion_snapshot
