# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class PriceChangeLine(models.Model):
    """One new price: a product variant in one pricelist, from a minimum quantity."""

    _name = "price.change.line"
    _description = "Price Change Line"
    _inherit = ["integration.approval.content.mixin"]
    _order = "change_id, id"
    _approval_parent_field = "change_id"
    _approval_workflow_fields = frozenset({"current_price", "breach"})

    change_id = fields.Many2one("price.change", required=True, ondelete="cascade", index=True)
    state = fields.Selection(related="change_id.state")
    company_id = fields.Many2one(related="change_id.company_id")
    product_id = fields.Many2one(
        "product.product",
        required=True,
        index=True,
        help="The product variant whose price changes.",
    )
    product_tmpl_id = fields.Many2one(related="product_id.product_tmpl_id", store=True)
    pricelist_id = fields.Many2one(
        "product.pricelist",
        required=True,
        index=True,
        help="The pricelist (customer, region or channel) that gets the new price.",
    )
    currency_id = fields.Many2one(related="pricelist_id.currency_id", store=True)
    min_quantity = fields.Float(
        "Min. quantity",
        default=0.0,
        digits="Product Unit of Measure",
        help="Quantity break: the price applies from this quantity on (0: any quantity).",
    )
    price_mode = fields.Selection(
        [("fixed", "Fixed price"), ("percent", "Change by %")],
        default="fixed",
        required=True,
        help="Fixed price: give the new price. Change by %: the new price is the current "
        "price plus this percentage (negative lowers it), computed at submission.",
    )
    percent = fields.Float(
        "Change (%)", help="For 'Change by %': -10 lowers the current price by 10 %."
    )
    fixed_price = fields.Float(
        "New price",
        digits="Product Price",
        help="The price customers pay from the start of the window.",
    )
    current_price = fields.Float(
        digits="Product Price",
        readonly=True,
        help="The price of this pricelist when the change was submitted.",
    )
    cost = fields.Float(
        compute="_compute_cost",
        digits="Product Price",
        help="The product's cost in the pricelist's currency, converted at the rate of the day "
        "the change takes effect (today without a start): what thresholds and margins "
        "compare the new price with.",
    )
    change_percent = fields.Float("Change vs current (%)", compute="_compute_margins")
    margin_percent = fields.Float("Margin (%)", compute="_compute_margins")
    breach = fields.Char(
        "Needs a manager because",
        readonly=True,
        help="The thresholds of Settings this line breaches, noted at submission.",
    )

    @api.depends(
        "product_id.standard_price",
        "currency_id",
        "change_id.company_id",
        "change_id.effective_from",
    )
    @api.depends_context("company")
    def _compute_cost(self):
        today = fields.Date.context_today(self)
        for line in self:
            company = line.change_id.company_id or self.env.company
            cost = line.product_id.with_company(company).standard_price
            currency = line.currency_id or company.currency_id
            start = line.change_id.effective_from
            date = start.date() if start else today
            line.cost = company.currency_id._convert(cost, currency, company, date, round=False)

    @api.depends("fixed_price", "current_price", "cost")
    def _compute_margins(self):
        for line in self:
            line.change_percent = (
                (line.fixed_price - line.current_price) / line.current_price * 100.0
                if line.current_price
                else 0.0
            )
            line.margin_percent = (
                (line.fixed_price - line.cost) / line.fixed_price * 100.0
                if line.fixed_price
                else 0.0
            )

    @api.constrains("fixed_price", "min_quantity", "price_mode", "percent")
    def _check_values(self):
        for line in self:
            if line.fixed_price < 0:
                raise ValidationError(
                    self.env._("%s: a price cannot be negative.", line.product_id.display_name)
                )
            if line.min_quantity < 0:
                raise ValidationError(
                    self.env._(
                        "%s: a minimum quantity cannot be negative.", line.product_id.display_name
                    )
                )
            if line.price_mode == "percent" and line.percent <= -100:
                raise ValidationError(
                    self.env._(
                        "%s: a change of -100 %% or less would give the product away.",
                        line.product_id.display_name,
                    )
                )

    def _key(self):
        return (self.pricelist_id.id, self.product_id.id, round(self.min_quantity, 6))

    def _approval_content(self):
        """What this line asks to approve, comparable and JSON-able."""
        self.ensure_one()
        return [
            self.pricelist_id.id,
            self.product_id.id,
            self.min_quantity,
            self.price_mode,
            self.percent,
            self.fixed_price,
            self.currency_id.id,
        ]

    def _snapshot_current_prices(self):
        """Note the current price of each line and compute '%' lines, in bulk: one pricelist
        computation per pricelist and quantity break, never one per line."""
        current = self.env["product.pricelist"]._current_prices(
            [(line.pricelist_id, line.product_id, line.min_quantity) for line in self]
        )
        for line in self:
            price = current[line._key()]
            vals = {"current_price": price}
            if line.price_mode == "percent":
                vals["fixed_price"] = line.currency_id.round(price * (1 + line.percent / 100.0))
            line.update(vals)

    def _evaluate_thresholds(self, policy):
        for line in self:
            reasons = []
            if policy["max_drop"] and line.current_price:
                drop = (line.current_price - line.fixed_price) / line.current_price * 100.0
                if drop > policy["max_drop"] + 1e-9:
                    reasons.append(
                        self.env._(
                            "drop of %(drop).1f %% (over %(max)s %%)",
                            drop=drop,
                            max=policy["max_drop"],
                        )
                    )
            if policy["below_cost"] and line.fixed_price < line.cost:
                reasons.append(self.env._("under cost (%s)", line.cost))
            if policy["margin_floor"] and line.fixed_price:
                margin = (line.fixed_price - line.cost) / line.fixed_price * 100.0
                if margin < policy["margin_floor"] - 1e-9:
                    reasons.append(
                        self.env._(
                            "margin %(m).1f %% under the floor of %(f)s %%",
                            m=margin,
                            f=policy["margin_floor"],
                        )
                    )
            line.breach = ", ".join(reasons) or False

    def _group_by_pricelist(self):
        groups = defaultdict(lambda: self.browse())
        for line in self:
            groups[line.pricelist_id] |= line
        return groups
