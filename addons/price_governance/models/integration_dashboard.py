# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, models


class IntegrationDashboard(models.AbstractModel):
    _inherit = "integration.dashboard"

    @api.model
    def _operations_sections(self, connectors, now):
        """Price publication status per channel, for the operations dashboard."""
        return super()._operations_sections(connectors, now) + [
            self._operations_publication_section(
                connectors, now, "prices", self.env._("Prices"), ["base_price", "customer_price"]
            )
        ]
