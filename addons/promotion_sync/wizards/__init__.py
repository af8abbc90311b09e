from . import promotion_settlement_wizard
