from . import price_change
from . import price_change_line
