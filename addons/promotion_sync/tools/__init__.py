from . import eligibility
