# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models

from ..compat.constraints import sql_constraints


@sql_constraints
class IntegrationAvailabilityBand(models.Model):
    """One band of a banded granularity: from this quantity up to the next band's, the
    connector is told this label."""

    _name = "integration.availability.band"
    _description = "Availability Band"
    _order = "granularity_id, from_quantity"
    _rec_name = "label"

    granularity_id = fields.Many2one(
        "integration.connector.granularity", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="granularity_id.company_id", store=True)
    from_quantity = fields.Float(
        "From quantity", required=True, help="The band starts at this quantity (included)."
    )
    label = fields.Char(required=True, help="What the connector is told, e.g. Low stock.")

    _sql_constraints = [
        (
            "threshold_uniq",
            "unique(granularity_id, from_quantity)",
            "Two bands cannot start at the same quantity.",
        ),
        ("threshold_positive", "CHECK(from_quantity >= 0)", "A band starts at 0 or more."),
    ]

    @api.constrains("from_quantity", "granularity_id")
    def _check_bands(self):
        self.granularity_id._check_granularity()

    def unlink(self):
        granularities = self.granularity_id
        result = super().unlink()
        granularities.exists()._check_granularity()
        return result
