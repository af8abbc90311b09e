# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.models import LOG_ACCESS_COLUMNS
from odoo.tools import SQL

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

    # ------------------------------------------------------------------ bulk insertion
    # The effect Scheduled Action inserts thousands of rules at once in one INSERT ... SELECT
    # (price.version._write_items): what create() would store, without its per-row Python.

    @api.model
    def _sql_insert_defaults(self, filled):
        """{column: typed SQL value} for the stored fields of a new rule that the insertion
        does not fill: their defaults, as create() would set them (field defaults, context
        defaults, other modules' defaults), read once for all rows. Stored computed fields
        are left out: _sql_created() has the ORM compute them."""
        names = [
            name
            for name, field in self._fields.items()
            if field.store
            and field.column_type
            and not field.compute
            and name not in filled
            and name not in ("id", *LOG_ACCESS_COLUMNS)
        ]
        defaults = self.default_get(names)
        return {
            name: SQL(
                "CAST(%s AS %s)",
                self._fields[name].convert_to_column_insert(value, self, defaults),
                SQL(self._fields[name].column_type[1]),
            )
            for name, value in defaults.items()
            if name in names
        }

    def _sql_created(self, filled):
        """ORM bookkeeping for the rules of self, just inserted in SQL with the columns
        `filled`, as create() does after its INSERT: one2many fields holding rules are
        reloaded when next read, the stored computed fields SQL did not fill are computed at
        the next flush, and fields of other records that depend on rules are recomputed."""
        for field in self._fields.values():
            for inverse in self.pool.field_inverses[field]:
                self.env[inverse.model_name].invalidate_model([inverse.name])
        protected = [self._fields[name] for name in filled if name in self._fields]
        with self.env.protecting(protected, self):
            self.modified(list(self._fields), create=True)
        return self

    @api.model
    def _check_version_untouched(self, vals_list):
        if any(vals.get("price_version_id") for vals in vals_list):
            raise UserError(
                self.env._(
                    "Only an approved price change links a pricelist rule to a price version."
                )
            )
