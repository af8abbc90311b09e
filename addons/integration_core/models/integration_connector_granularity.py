# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import Command, api, fields, models
from odoo.exceptions import ValidationError

from ..compat.constraints import sql_constraints
from ..tools import granularity


@sql_constraints
class IntegrationConnectorGranularity(models.Model):
    """How precisely one connector is told the quantities of one data domain."""

    _name = "integration.connector.granularity"
    _description = "Connector Granularity"
    _order = "connector_id, domain_id"

    connector_id = fields.Many2one(
        "integration.connector", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="connector_id.company_id", store=True)
    domain_id = fields.Many2one(
        "integration.data.domain", "Data domain", required=True, ondelete="cascade"
    )
    granularity = fields.Selection(
        granularity.GRANULARITIES,
        required=True,
        default=granularity.EXACT,
        help="Exact quantities; the label of the availability band a quantity falls in; or "
        "only whether the product is in stock. Coarser than exact, the connector's messages "
        "carry no quantity anywhere.",
    )
    band_ids = fields.One2many(
        "integration.availability.band",
        "granularity_id",
        string="Availability bands",
        help="Each band covers the quantities from its threshold up to the next band's.",
    )

    _sql_constraints = [
        (
            "connector_domain_uniq",
            "unique(connector_id, domain_id)",
            "A connector has one granularity per data domain.",
        ),
    ]

    @api.depends("connector_id", "domain_id", "granularity")
    def _compute_display_name(self):
        labels = dict(self._fields["granularity"]._description_selection(self.env))
        for line in self:
            line.display_name = (
                f"{line.connector_id.name}: {line.domain_id.name} ({labels[line.granularity]})"
            )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("granularity") == granularity.BANDS and not vals.get("band_ids"):
                vals["band_ids"] = [
                    Command.create({"from_quantity": threshold, "label": label})
                    for threshold, label in granularity.DEFAULT_BANDS
                ]
        return super().create(vals_list)

    @api.constrains("granularity", "domain_id", "band_ids")
    def _check_granularity(self):
        for line in self.filtered(lambda g: g.granularity != granularity.EXACT):
            if line.domain_id.code not in granularity.COARSE_SCHEMAS:
                raise ValidationError(
                    self.env._(
                        "%(domain)s data carries no quantity: %(connector)s can only be told "
                        "it exactly.",
                        domain=line.domain_id.name,
                        connector=line.connector_id.name,
                    )
                )
            thresholds = line.band_ids.mapped("from_quantity")
            if line.granularity == granularity.BANDS and 0 not in thresholds:
                raise ValidationError(
                    self.env._(
                        "The availability bands of %(connector)s need one from 0 (what an "
                        "empty stock shows).",
                        connector=line.connector_id.name,
                    )
                )
