# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.exceptions import AccessError

ACCOUNTANT_GROUP = "account.group_account_manager"


class AccountMove(models.Model):
    _inherit = "account.move"

    promotion_settlement_id = fields.Many2one(
        "promotion.settlement",
        "Promotion settlement",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The promotion settlement that posted this entry.",
    )

    def _check_promotion_settlement_rights(self, forced=False):
        """Settlement entries are finance's: billing users, who may edit invoices, may not
        reset, change or delete them, nor make an entry of theirs look like one (`forced`)."""
        if self.env.su or self.env.user.has_group(ACCOUNTANT_GROUP):
            return
        if forced or self.filtered("promotion_settlement_id"):
            raise AccessError(
                self.env._(
                    "Promotion settlement entries are changed by accountants (Accounting / "
                    "Administrator) only."
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        self._check_promotion_settlement_rights(
            forced=any(vals.get("promotion_settlement_id") for vals in vals_list)
        )
        return super().create(vals_list)

    def write(self, vals):
        self._check_promotion_settlement_rights(forced="promotion_settlement_id" in vals)
        return super().write(vals)

    def unlink(self):
        self._check_promotion_settlement_rights()
        return super().unlink()
