from . import eligibility
from . import local_time
