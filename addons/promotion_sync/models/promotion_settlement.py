# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import logging
from collections import defaultdict
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError

from odoo.addons.integration_core.compat.constraints import sql_constraints
from odoo.addons.integration_core.compat.testing import testing

from .loyalty_program import ACCOUNTANT_GROUP, LIABILITY_TYPES

_logger = logging.getLogger(__name__)

# Written by the settlement's own steps only (as the superuser, after checking the caller).
WORKFLOW_FIELDS = {"state", "posted_by_id", "posted_at", "line_ids", "move_ids"}


@sql_constraints
class PromotionSettlement(models.Model):
    """Promotions on the books for one period of one company.

    Each posting run puts one journal entry on the books: the discounts invoiced (net of
    credit notes) per program and version move from the revenue they reduced to the program's
    discount account (or, for coupons, gift cards, eWallets and loyalty points, to its
    liability account: the customer spent what was owed), and the liability of each such
    program is brought to what its outstanding points are worth at the end of the period.
    A run posts only what the entries already posted for the period lack, so a second run
    adjusts or refuses: nothing is ever posted twice."""

    _name = "promotion.settlement"
    _inherit = ["mail.thread"]
    _description = "Promotion Settlement"
    _order = "date_to desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    date_from = fields.Date("From", required=True, help="First day of the period (included).")
    date_to = fields.Date("To", required=True, help="Last day of the period (included).")
    journal_id = fields.Many2one(
        "account.journal",
        check_company=True,
        domain="[('type', '=', 'general')]",
        help="Empty: the journal of Settings, else the first miscellaneous journal.",
    )
    state = fields.Selection(
        [("draft", "Draft"), ("posted", "Posted")],
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
    )
    posted_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    posted_at = fields.Datetime(readonly=True, copy=False)
    move_ids = fields.One2many(
        "account.move", "promotion_settlement_id", "Journal entries", readonly=True
    )
    line_ids = fields.One2many(
        "promotion.settlement.line", "settlement_id", "Posted per program", readonly=True
    )
    discount_total = fields.Monetary(
        compute="_compute_totals", help="Discounts settled by the runs of this period."
    )
    liability_total = fields.Monetary(
        compute="_compute_totals", help="Liability added (or released, negative) by its runs."
    )
    reconciliation_ids = fields.One2many(
        "promotion.settlement.reconciliation", "settlement_id", readonly=True
    )
    mismatch_count = fields.Integer(compute="_compute_mismatch_count")

    _sql_constraints = [
        (
            "period_uniq",
            "unique(company_id, date_from, date_to)",
            "This period of this company has a settlement: post it again to adjust it.",
        ),
        ("period_order", "check(date_to >= date_from)", "The period ends before it starts."),
    ]

    @api.depends("date_from", "date_to")
    def _compute_name(self):
        for settlement in self:
            settlement.name = self.env._(
                "Promotions %(start)s – %(end)s", start=settlement.date_from, end=settlement.date_to
            )

    @api.depends("line_ids.discount_amount", "line_ids.liability_amount")
    def _compute_totals(self):
        for settlement in self:
            settlement.discount_total = sum(settlement.line_ids.mapped("discount_amount"))
            settlement.liability_total = sum(settlement.line_ids.mapped("liability_amount"))

    def _compute_mismatch_count(self):
        counts = dict(
            self.env["promotion.settlement.reconciliation"]._read_group(
                [("settlement_id", "in", self.ids), ("mismatch", "=", True)],
                ["settlement_id"],
                ["__count"],
            )
        )
        for settlement in self:
            settlement.mismatch_count = counts.get(settlement, 0)

    # ------------------------------------------------------------------ ORM

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            forced = {
                name
                for name in WORKFLOW_FIELDS & set(vals)
                if vals[name] and not (name == "state" and vals[name] == "draft")
            }
            if forced and not self.env.su:
                self.check_access("create")
                raise self._settlement_access_error()
        settlements = super().create(vals_list)
        settlements._check_period_order()
        return settlements

    def write(self, vals):
        if not self.env.su:
            self.check_access("write")
            if WORKFLOW_FIELDS & set(vals):
                raise self._settlement_access_error()
            if self.filtered(lambda s: s.state == "posted"):
                raise UserError(
                    self.env._(
                        "A posted settlement keeps its period and journal: post it again to "
                        "adjust it to late invoices."
                    )
                )
        result = super().write(vals)
        if {"date_from", "date_to", "company_id"} & set(vals):
            self._check_period_order()
        return result

    def unlink(self):
        self.check_access("unlink")
        if self.filtered(lambda s: s.state == "posted" or s.move_ids):
            raise UserError(
                self.env._(
                    "A posted settlement is the record of what was put on the books: reverse "
                    "its journal entries instead of deleting it."
                )
            )
        return super().unlink()

    def _settlement_access_error(self):
        return AccessError(
            self.env._(
                "The state, journal entries and lines of a promotion settlement are set by "
                "posting it, not by writing them."
            )
        )

    def _check_period_order(self):
        """Periods of a company follow each other: the liability carried from one period to
        the next is only right when each is settled after the one before."""
        for settlement in self:
            later = self.search_count(
                [
                    ("company_id", "=", settlement.company_id.id),
                    ("id", "!=", settlement.id),
                    ("date_to", ">=", settlement.date_from),
                ]
            )
            if later:
                raise UserError(
                    self.env._(
                        "%(company)s has a settlement ending on or after %(start)s: periods are "
                        "settled one after the other, without overlap. Post that settlement "
                        "again to adjust it, or settle a period that starts after it.",
                        company=settlement.company_id.name,
                        start=settlement.date_from,
                    )
                )

    # ------------------------------------------------------------------ buttons

    def action_post(self):
        """Post the settlement, or adjust a posted one to what changed since (accountants)."""
        self._check_accountant()
        self.check_access("write")
        for settlement in self.sudo():
            settlement._post()
        return True

    def action_view_moves(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_journal_line")
        action.update(domain=[("id", "in", self.move_ids.ids)], context={"create": False})
        return action

    def action_view_reconciliation(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "promotion_sync.promotion_settlement_reconciliation_action"
        )
        action["domain"] = [("settlement_id", "=", self.id)]
        return action

    def _check_accountant(self):
        if not self.env.user.has_group(ACCOUNTANT_GROUP):
            raise AccessError(
                self.env._(
                    "Only accountants (Accounting / Administrator) post promotion settlements."
                )
            )

    # ------------------------------------------------------------------ settling

    @api.model
    def _settle_period(self, company, date_from, date_to):
        """Settle a period of a company (the caller was checked): post the settlement of
        exactly that period again (an adjustment), or create and post a new one."""
        settlement = self.search(
            [
                ("company_id", "=", company.id),
                ("date_from", "=", date_from),
                ("date_to", "=", date_to),
            ]
        )
        if not settlement:
            settlement = self.create(
                {"company_id": company.id, "date_from": date_from, "date_to": date_to}
            )
        settlement._post()
        return settlement

    def _post(self):
        """One posting run: the journal entry of what the period's activity calls for and the
        entries already posted lack; refused when nothing is lacking on a posted period."""
        self.ensure_one()
        self._check_last_of_company()
        items = self._prepare_items()
        if not items:
            if self.state == "posted":
                raise UserError(
                    self.env._(
                        "%s is settled and its entries match the promotions' activity: there "
                        "is nothing to adjust.",
                        self.name,
                    )
                )
            self._mark_posted()
            self.message_post(body=self.env._("Nothing to post: no promotion activity."))
            return self.env["account.move"]
        move = self.env["account.move"].create(self._prepare_move_values(items))
        move.action_post()
        self.env["promotion.settlement.line"].create(self._prepare_line_values(move, items))
        self._mark_posted()
        self.message_post(body=self.env._("Posted %s.", move._get_html_link()))
        return move

    def _mark_posted(self):
        self.sudo().write(
            {"state": "posted", "posted_by_id": self.env.uid, "posted_at": fields.Datetime.now()}
        )

    def _check_last_of_company(self):
        if self.search_count(
            [("company_id", "=", self.company_id.id), ("date_from", ">", self.date_to)]
        ):
            raise UserError(
                self.env._(
                    "A later period of %(company)s is settled: %(name)s can no longer be "
                    "adjusted (the liability carried since would no longer add up). Book the "
                    "correction in the current period.",
                    company=self.company_id.name,
                    name=self.name,
                )
            )

    def _prepare_items(self):
        """What this run posts: a list of (program, snapshot, account, role, balance), balanced
        two by two, in company currency, zero amounts left out."""
        currency = self.company_id.currency_id
        items = []
        owed = defaultdict(float)  # discount items on liability accounts, per program
        lacking = self._discount_activity()
        for key, balance in self._discount_posted().items():
            lacking[key] -= balance
        for (program, snapshot, account), balance in lacking.items():
            if currency.is_zero(balance):
                continue
            discount_account, liability_account = program._settlement_accounts()
            target = liability_account or discount_account
            if not target:
                raise self._missing_account_error(program)
            items.append((program, snapshot, target, "discount", balance))
            items.append((program, snapshot, account, "revenue", -balance))
            if liability_account:
                owed[program] += balance
        for program, adjustment in self._liability_adjustments(owed).items():
            if currency.is_zero(adjustment):
                continue
            discount_account, liability_account = program._settlement_accounts()
            if not discount_account:
                raise self._missing_account_error(program)
            no_version = self.env["promotion.snapshot"]
            items.append((program, no_version, liability_account, "liability", -adjustment))
            items.append((program, no_version, discount_account, "liability_cost", adjustment))
        return [
            (program, snapshot, account, role, currency.round(balance))
            for program, snapshot, account, role, balance in items
        ]

    def _missing_account_error(self, program):
        return UserError(
            self.env._(
                "%(program)s has promotion activity in %(name)s but no account to settle it "
                "to: set its accounts (Accounting tab of the program) or the company's "
                "promotion accounts in Settings.",
                program=program.display_name,
                name=self.name,
            )
        )

    def _invoice_domain(self):
        return [
            ("company_id", "=", self.company_id.id),
            ("promotion_program_id", "!=", False),
            ("move_id.move_type", "in", ("out_invoice", "out_refund")),
            ("parent_state", "=", "posted"),
            ("date", ">=", self.date_from),
            ("date", "<=", self.date_to),
        ]

    def _discount_activity(self):
        """Discounts invoiced in the period, net of credit notes (a refunded discount line
        has the opposite sign): {(program, snapshot, revenue account): balance}."""
        groups = (
            self.env["account.move.line"]
            .with_context(active_test=False)
            ._read_group(
                self._invoice_domain(),
                ["promotion_program_id", "promotion_snapshot_id", "account_id"],
                ["balance:sum"],
            )
        )
        activity = defaultdict(float)
        for program, snapshot, account, balance in groups:
            activity[(program, snapshot, account)] += balance
        return activity

    def _discount_posted(self):
        """Revenue already restored by this settlement's posted entries, as the discount
        balance it settled: {(program, snapshot, revenue account): balance}."""
        groups = (
            self.env["account.move.line"]
            .with_context(active_test=False)
            ._read_group(
                [
                    ("move_id.promotion_settlement_id", "=", self.id),
                    ("parent_state", "=", "posted"),
                    ("promotion_settlement_role", "=", "revenue"),
                ],
                ["promotion_program_id", "promotion_snapshot_id", "account_id"],
                ["balance:sum"],
            )
        )
        return {(p, s, a): -balance for p, s, a, balance in groups}

    def _liability_adjustments(self, owed):
        """Per program that owes points: what brings its liability, once this run's
        redemptions are posted, to what its outstanding points are worth at the period's
        end. `owed` holds this run's redemptions per program."""
        programs = (
            self.env["loyalty.program"]
            .with_context(active_test=False)
            .search(
                [
                    ("company_id", "in", (False, self.company_id.id)),
                    ("program_type", "in", LIABILITY_TYPES),
                ]
            )
        )
        programs = programs.filtered(lambda p: p._settlement_accounts()[1])
        if not programs:
            return {}
        outstanding = self._outstanding_values(programs)
        carried = self._liability_posted(programs)
        return {
            program: outstanding.get(program, 0.0)
            + carried.get(program, 0.0)
            + owed.get(program, 0.0)
            for program in programs
        }

    def _liability_posted(self, programs):
        """Balance of each program's liability account posted by settlements up to the end
        of this period (credit: negative)."""
        groups = self.env["account.move.line"]._read_group(
            [
                ("company_id", "=", self.company_id.id),
                ("move_id.promotion_settlement_id", "!=", False),
                ("parent_state", "=", "posted"),
                ("promotion_program_id", "in", programs.ids),
                ("date", "<=", self.date_to),
            ],
            ["promotion_program_id", "account_id"],
            ["balance:sum"],
        )
        carried = defaultdict(float)
        for program, account, balance in groups:
            if account == program._settlement_accounts()[1]:
                carried[program] += balance
        return carried

    def _outstanding_points(self, programs):
        """Points of the programs' cards at the end of the period: today's points less what
        was issued since, plus what was used since; cards expired by then or created after
        owe nothing. {program: points}"""
        end = fields.Datetime.to_datetime(self.date_to) + timedelta(days=1)
        card_domain = [
            ("program_id", "in", programs.ids),
            ("create_date", "<", end),
            "|",
            ("expiration_date", "=", False),
            ("expiration_date", ">", self.date_to),
        ]
        Card = self.env["loyalty.card"].sudo()
        points = defaultdict(float)
        for program, total in Card._read_group(card_domain, ["program_id"], ["points:sum"]):
            points[program] += total
        since = (
            self.env["loyalty.history"]
            .sudo()
            ._read_group(
                [("card_id", "any", card_domain), ("create_date", ">=", end)],
                ["card_id"],
                ["issued:sum", "used:sum"],
            )
        )
        for card, issued, used in since:
            points[card.program_id] += used - issued
        return points

    def _outstanding_values(self, programs):
        """{program: what its outstanding points are worth, in company currency}"""
        company = self.company_id
        values = {}
        for program, points in self._outstanding_points(programs).items():
            program = program.with_context(active_test=False)
            value = points * program._settlement_point_value()
            currency = program.currency_id or company.currency_id
            values[program] = currency._convert(value, company.currency_id, company, self.date_to)
        return values

    # ------------------------------------------------------------------ entry

    def _journal(self):
        journal = self.journal_id or self.company_id.promotion_settlement_journal_id
        journal = journal or self.env["account.journal"].search(
            [("company_id", "=", self.company_id.id), ("type", "=", "general")], limit=1
        )
        if not journal:
            raise UserError(
                self.env._(
                    "%s has no miscellaneous journal for promotion settlements: set one in "
                    "Settings.",
                    self.company_id.name,
                )
            )
        return journal

    def _prepare_move_values(self, items):
        labels = dict(
            self.env["account.move.line"]
            ._fields["promotion_settlement_role"]
            ._description_selection(self.env)
        )
        return {
            "move_type": "entry",
            "journal_id": self._journal().id,
            "company_id": self.company_id.id,
            "date": self.date_to,
            "ref": self.name,
            "promotion_settlement_id": self.id,
            "line_ids": [
                Command.create(
                    {
                        "name": " – ".join(
                            filter(None, [labels[role], program.name, snapshot.display_name])
                        ),
                        "account_id": account.id,
                        "balance": balance,
                        "promotion_program_id": program.id,
                        "promotion_snapshot_id": snapshot.id,
                        "promotion_settlement_role": role,
                    }
                )
                for program, snapshot, account, role, balance in items
            ],
        }

    def _prepare_line_values(self, move, items):
        totals = defaultdict(lambda: {"discount_amount": 0.0, "liability_amount": 0.0})
        for program, snapshot, _account, role, balance in items:
            if role == "discount":
                totals[(program, snapshot)]["discount_amount"] += balance
            elif role == "liability":
                totals[(program, snapshot)]["liability_amount"] -= balance
        return [
            {
                "settlement_id": self.id,
                "move_id": move.id,
                "program_id": program.id,
                "snapshot_id": snapshot.id,
                **amounts,
            }
            for (program, snapshot), amounts in totals.items()
        ]

    # ------------------------------------------------------------------ Scheduled Action

    @api.model
    def _cron_settle_last_period(self):
        """Scheduled Action: settle last month in every company that has not settled it (nor
        a later period). A company that cannot be settled (an account missing) is logged and
        skipped; the others go on, each committed on its own."""
        first = fields.Date.context_today(self).replace(day=1) - relativedelta(months=1)
        last = first + relativedelta(months=1, days=-1)
        for company in self.env["res.company"].sudo().search([]):
            Settlement = self.sudo().with_company(company)
            if Settlement.search_count([("company_id", "=", company.id), ("date_to", ">=", first)]):
                continue
            try:
                with self.env.cr.savepoint():
                    Settlement._settle_period(company, first, last)
            except UserError as error:
                _logger.warning("Promotion settlement of %s skipped: %s", company.name, error)
                continue
            if not testing(self.env):
                self.env.cr.commit()  # pylint: disable=invalid-commit
