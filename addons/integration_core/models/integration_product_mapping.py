# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models

from ..compat.constraints import sql_constraints


@sql_constraints
class IntegrationProductMapping(models.Model):
    """What one external system calls one of our products."""

    _name = "integration.product.mapping"
    _description = "Integration Product Mapping"
    _order = "connector_id, external_sku"
    _rec_name = "external_sku"

    connector_id = fields.Many2one(
        "integration.connector",
        required=True,
        ondelete="cascade",
        index=True,
        help="The external system that uses this SKU for the product.",
    )
    company_id = fields.Many2one(related="connector_id.company_id", store=True)
    product_id = fields.Many2one(
        "product.product",
        required=True,
        ondelete="cascade",
        index=True,
        help="Our product (variant) that the external system knows under this SKU.",
    )
    internal_reference = fields.Char(related="product_id.default_code")
    external_sku = fields.Char(
        "External SKU", required=True, help="The product's SKU in the external system."
    )
    external_id = fields.Char(
        "External ID", help="The product's id in the external system, if any."
    )

    _sql_constraints = [
        (
            "product_uniq",
            "unique(connector_id, product_id)",
            "This product is already mapped for this connector.",
        ),
        (
            "sku_uniq",
            "unique(connector_id, external_sku)",
            "This external SKU is already mapped for this connector.",
        ),
    ]


@sql_constraints
class IntegrationUomMapping(models.Model):
    """What one external system calls one of our units of measure."""

    _name = "integration.uom.mapping"
    _description = "Integration Unit of Measure Mapping"
    _rec_name = "external_code"

    connector_id = fields.Many2one(
        "integration.connector",
        required=True,
        ondelete="cascade",
        index=True,
        help="The external system that writes the unit this way.",
    )
    uom_id = fields.Many2one(
        "uom.uom",
        "Unit",
        required=True,
        ondelete="cascade",
        help="Our unit of measure that the external system writes as the code beside.",
    )
    external_code = fields.Char(required=True, help="e.g. EA, PCE, KGM")

    _sql_constraints = [
        (
            "uom_uniq",
            "unique(connector_id, uom_id)",
            "This unit is already mapped for this connector.",
        ),
        (
            "code_uniq",
            "unique(connector_id, external_code)",
            "This code is already mapped for this connector.",
        ),
    ]
