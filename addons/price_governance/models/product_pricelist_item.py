# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.base.models.ir_model import MODULE_UNINSTALL_FLAG
from odoo.addons.integration_core.tools.workflow import in_workflow


class ProductPricelistItem(models.Model):
    _inherit = "product.pricelist.item"

    price_version_id = fields.Many2one(
        "price.version",
        "Price version",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        help="The approved price version this rule applies; the effect Scheduled Action "
        "writes and retires it.",
    )

    # ------------------------------------------------------------------ governance
    # The rules of a governed pricelist are the approved prices in effect: only the price
    # change workflow (workflow_scope of this model) creates, writes or deletes them, whoever
    # the caller and whatever the client (pricelist form, product's rules, import, RPC).

    @api.model_create_multi
    def create(self, vals_list):
        if not in_workflow(self._name):
            self._check_version_untouched(vals_list)
            pricelist_ids = {vals.get("pricelist_id") for vals in vals_list}
            if not all(pricelist_ids):
                # The pricelist of these values comes from the defaults, as in create().
                pricelist_ids.add(self.default_get(["pricelist_id"]).get("pricelist_id"))
            self._check_not_governed(
                self.env["product.pricelist"].browse([pid for pid in pricelist_ids if pid])
            )
        return super().create(vals_list)

    def write(self, vals):
        if not in_workflow(self._name):
            self._check_version_untouched([vals])
            # Moving a rule out of or into a governed pricelist is editing that pricelist.
            target = self.env["product.pricelist"].browse(vals.get("pricelist_id") or [])
            self._check_not_governed(self.pricelist_id | target)
        return super().write(vals)

    def unlink(self):
        # Uninstalling a module removes the rules its data created, governed or not.
        uninstall = self.env.su and self.env.context.get(MODULE_UNINSTALL_FLAG)
        if not (in_workflow(self._name) or uninstall):
            self._check_not_governed(self.pricelist_id)
        return super().unlink()

    @api.model
    def _check_not_governed(self, pricelists):
        governed = pricelists.sudo().filtered("price_governed")
        if governed:
            raise UserError(
                self.env._(
                    "The prices of %(pricelist)s are governed: its rules change only through "
                    "approved price changes. Submit a price change (Price Governance > Price "
                    "Changes) instead of editing, adding or deleting its rules.",
                    pricelist=governed[0].display_name,
                )
            )

    @api.model
    def _check_version_untouched(self, vals_list):
        if any(vals.get("price_version_id") for vals in vals_list):
            raise UserError(
                self.env._(
                    "Only an approved price change links a pricelist rule to a price version."
                )
            )
