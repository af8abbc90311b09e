# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models
from odoo.osv import expression


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def _get_program_domain(self):
        # Only programs whose release is live apply, whatever their dates say.
        return expression.AND([super()._get_program_domain(), [("release_state", "=", "active")]])

    def _get_trigger_domain(self):
        return expression.AND(
            [super()._get_trigger_domain(), [("program_id.release_state", "=", "active")]]
        )
