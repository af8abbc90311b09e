"""Issue #19, item 4: promotions on the books. A period with a percentage discount, a coupon
redeemed (coupons still outstanding) and a return: the settlement's entry balances, the
reconciliation shows no difference, a tampered or late posting shows one, and settling the
period again never posts twice."""

from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from odoo.addons.integration_core.compat.groups import USER_GROUPS

from .common import PromotionCase


class SettlementSetup:
    """Accounts, a journal, an accountant, a live 10 % promotion on desks and coupons of 15
    (three issued), both settled to the accounts the accountant set. Mixed into
    TransactionCase and HttpCase classes after ``setup_promotions()``."""

    @classmethod
    def setup_settlement(cls):
        company = cls.env.company
        Account = cls.env["account.account"]
        cls.discount_account = Account.create(
            {"name": "Promotional discounts", "code": "T6190", "account_type": "expense"}
        )
        cls.liability_account = Account.create(
            {"name": "Coupons outstanding", "code": "T2190", "account_type": "liability_current"}
        )
        cls.journal = cls.env["account.journal"].create(
            {"name": "Promotion settlements", "code": "TPRM", "type": "general"}
        )
        # The tests' own accounts only (the demo sets the company's).
        company.write(
            {
                "promotion_settlement_journal_id": cls.journal.id,
                "promotion_discount_account_id": False,
                "promotion_liability_account_id": False,
            }
        )
        cls.accountant = cls.env["res.users"].create(
            {
                "name": "Alex Accountant",
                "login": "alex.accountant@example.com",
                USER_GROUPS: [Command.set([cls.env.ref("account.group_account_manager").id])],
            }
        )
        cls.percent = cls.release(
            cls.make_program(discount=10, release_at=cls.hours(-1), expire_at=cls.hours(48))
        ).with_env(cls.env)
        cls.coupons = cls.release(cls.make_coupon_program(value=15.0)).with_env(cls.env)
        # An accountant sets the accounts, without the right to edit programs otherwise.
        cls.programs = cls.percent | cls.coupons
        cls.programs.with_user(cls.accountant).write(
            {"discount_account_id": cls.discount_account.id}
        )
        cls.coupons.with_user(cls.accountant).liability_account_id = cls.liability_account
        cls.env["loyalty.generate.wizard"].with_context(active_id=cls.coupons.id).create(
            {"coupon_qty": 3, "points_granted": 1}
        ).generate_coupons()
        cls.cards = cls.coupons.coupon_ids
        cls.today = fields.Date.context_today(cls.env["res.users"])
        cls.period = (cls.today.replace(day=1), cls.today)

    @classmethod
    def make_coupon_program(cls, value):
        """Coupons worth `value` off an order, one point each, combinable with promotions."""
        return (
            cls.env["loyalty.program"]
            .with_user(cls.requester)
            .create(
                {
                    "name": f"Coupon {value:g} off",
                    "program_type": "coupons",
                    "trigger": "with_code",
                    "applies_on": "current",
                    "combinable": True,
                    "release_at": cls.hours(-1),
                    "rule_ids": [Command.create({"minimum_qty": 0, "minimum_amount": 0})],
                    "reward_ids": [
                        Command.create(
                            {
                                "reward_type": "discount",
                                "discount": value,
                                "discount_mode": "per_order",
                                "discount_applicability": "order",
                                "required_points": 1,
                            }
                        )
                    ],
                }
            )
        )

    @classmethod
    def settle(cls, period=None, user=None):
        """The settlement wizard's "Post on the books" for `period` (default: this month)."""
        date_from, date_to = period or cls.period
        wizard = (
            cls.env["promotion.settlement.wizard"]
            .with_user(user or cls.accountant)
            .create({"date_from": date_from, "date_to": date_to})
        )
        action = wizard.action_settle()
        return cls.env["promotion.settlement"].browse(action["res_id"])


@tagged("post_install", "-at_install")
class TestSettlement(SettlementSetup, PromotionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_settlement()

    # ------------------------------------------------------------------ activity

    def invoice(self, order):
        invoice = order._create_invoices()
        invoice.action_post()
        return invoice

    def sell(self, qty, coupon=None):
        """A confirmed, invoiced order of `qty` desks with the 10 % promotion (and `coupon`)."""
        order = self.make_order((self.desk, qty))
        self.apply_promotions(order)
        if coupon:
            rewards = order._try_apply_code(coupon.code)
            self.assertNotIn("error", rewards)
            for card, card_rewards in rewards.items():
                order._apply_program_reward(card_rewards, card)
        order.action_confirm()
        return order, self.invoice(order)

    def refund(self, invoice):
        """The customer returns everything: a posted credit note reversing the invoice."""
        self.env["account.move.reversal"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"journal_id": invoice.journal_id.id, "reason": "Return"}).refund_moves()
        credit_note = self.env["account.move"].search([("reversed_entry_id", "=", invoice.id)])
        if credit_note.state == "draft":
            credit_note.action_post()
        return credit_note

    def a_period_of_activity(self):
        """Two desks with 10 % and a coupon of 15; one desk with 10 %, returned."""
        self.sell(2, coupon=self.cards[0])
        _order, invoice = self.sell(1)
        self.refund(invoice)

    def report(self, settlement):
        # A view: rows keep their ids when their figures change; read them afresh.
        self.env["promotion.settlement.reconciliation"].invalidate_model()
        rows = self.env["promotion.settlement.reconciliation"].search(
            [("settlement_id", "=", settlement.id), ("program_id", "in", self.programs.ids)]
        )
        return {(row.program_id, row.version): row for row in rows}

    def balances(self, moves):
        lines = moves.line_ids
        return {
            account: sum(
                lines.filtered(lambda line, a=account: line.account_id == a).mapped("balance")
            )
            for account in lines.account_id
        }

    # ------------------------------------------------------------------ tests

    def test_period_on_the_books_and_reconciled(self):
        self.a_period_of_activity()
        settlement = self.settle()
        self.assertEqual(settlement.state, "posted")
        move = settlement.move_ids
        self.assertEqual(len(move), 1)
        self.assertEqual(move.state, "posted")
        self.assertEqual(move.journal_id, self.journal)
        self.assertEqual(move.date, self.today)
        self.assertAlmostEqual(
            sum(move.line_ids.mapped("debit")), sum(move.line_ids.mapped("credit"))
        )
        balances = self.balances(move)
        # Discounts: 10 % of 200 and of 100, the 100 given back by the return; the coupon's 15
        # consumed what was owed. Owed at the end: two coupons of 15 (3 issued, 1 used).
        self.assertAlmostEqual(balances[self.discount_account], 20.0 + 45.0)
        self.assertAlmostEqual(balances[self.liability_account], 15.0 - 45.0)
        revenue = move.line_ids.filtered(lambda line: line.promotion_settlement_role == "revenue")
        self.assertAlmostEqual(sum(revenue.mapped("balance")), -35.0)
        lines = {(line.program_id, line.snapshot_id.version): line for line in settlement.line_ids}
        self.assertAlmostEqual(lines[(self.percent, 1)].discount_amount, 20.0)
        self.assertAlmostEqual(lines[(self.coupons, 1)].discount_amount, 15.0)
        self.assertAlmostEqual(lines[(self.coupons, 0)].liability_amount, 45.0)
        self.assertAlmostEqual(settlement.liability_total, 45.0)

        report = self.report(settlement)
        percent, coupon = report[(self.percent, 1)], report[(self.coupons, 1)]
        self.assertAlmostEqual(percent.order_discount, 30.0)  # orders are not returned
        self.assertAlmostEqual(percent.invoiced_discount, 20.0)
        self.assertAlmostEqual(percent.posted_discount, 20.0)
        self.assertAlmostEqual(coupon.invoiced_discount, 15.0)
        self.assertAlmostEqual(coupon.posted_discount, 15.0)
        for row in report.values():
            self.assertAlmostEqual(row.difference, 0.0)
            self.assertFalse(row.mismatch)
        self.assertEqual(settlement.mismatch_count, 0)

    def test_settling_again_never_posts_twice(self):
        self.a_period_of_activity()
        settlement = self.settle()
        with self.assertRaisesRegex(UserError, "nothing to adjust"):
            self.settle()
        with self.assertRaisesRegex(UserError, "nothing to adjust"):
            settlement.with_user(self.accountant).action_post()
        self.assertEqual(len(settlement.move_ids), 1)
        self.assertEqual(
            self.env["promotion.settlement"].search_count(
                [("company_id", "=", self.env.company.id)]
            ),
            1,
        )
        # An overlapping period is refused: each day is settled once.
        with self.assertRaisesRegex(UserError, "without overlap"):
            self.settle((self.today - timedelta(days=40), self.today))

    def test_tampered_posting_shows_a_difference_and_adjusting_restores_it(self):
        self.a_period_of_activity()
        settlement = self.settle()
        first = settlement.move_ids
        first.button_draft()
        report = self.report(settlement)
        self.assertAlmostEqual(report[(self.percent, 1)].difference, 20.0)
        self.assertAlmostEqual(report[(self.coupons, 1)].difference, 15.0)
        self.assertTrue(all(row.mismatch for row in report.values()))
        settlement.invalidate_recordset(["mismatch_count"])
        self.assertEqual(settlement.mismatch_count, 2)
        # Adjusting posts what the entries on the books lack: the whole period again, once.
        settlement.with_user(self.accountant).action_post()
        second = settlement.move_ids - first
        self.assertEqual(second.state, "posted")
        self.assertEqual(self.balances(second), self.balances(first))
        self.assertFalse(any(row.mismatch for row in self.report(settlement).values()))
        # Posting the reset entry again doubles the discount on the books: the report says so.
        first.action_post()
        report = self.report(settlement)
        self.assertAlmostEqual(report[(self.percent, 1)].difference, -20.0)
        self.assertTrue(report[(self.percent, 1)].mismatch)

    def test_late_invoice_is_a_difference_until_adjusted(self):
        self.a_period_of_activity()
        settlement = self.settle()
        # An order of the period invoiced after the settlement, the other coupon with it.
        self.sell(3, coupon=self.cards[1])
        report = self.report(settlement)
        self.assertAlmostEqual(report[(self.percent, 1)].difference, 30.0)
        self.assertAlmostEqual(report[(self.coupons, 1)].difference, 15.0)
        settlement.with_user(self.accountant).action_post()
        adjustment = settlement.move_ids.sorted("id")[-1]
        balances = self.balances(adjustment)
        # Only what was lacking: 30 of discount; the coupon moves 15 from what is owed, and
        # nothing changes in what is owed beyond that (one coupon of 15 left).
        self.assertAlmostEqual(balances[self.discount_account], 30.0)
        self.assertAlmostEqual(balances[self.liability_account], 15.0)
        self.assertAlmostEqual(sum(self.balances(settlement.move_ids).values()), 0.0)
        owed = -self.balances(settlement.move_ids)[self.liability_account]
        self.assertAlmostEqual(owed, 15.0)
        self.assertFalse(any(row.mismatch for row in self.report(settlement).values()))

    def test_expired_coupons_release_the_liability_next_period(self):
        self.a_period_of_activity()
        self.settle()
        tomorrow = self.today + timedelta(days=1)
        self.cards[1:].write({"expiration_date": tomorrow})
        settlement = self.settle((tomorrow, tomorrow))
        balances = self.balances(settlement.move_ids)
        # Expired by the end of the period: the 30 owed for the two coupons left is released.
        self.assertAlmostEqual(balances[self.liability_account], 30.0)
        self.assertAlmostEqual(balances[self.discount_account], -30.0)
        self.assertAlmostEqual(settlement.liability_total, -30.0)
        everything = self.env["account.move"].search([("promotion_settlement_id", "!=", False)])
        self.assertAlmostEqual(self.balances(everything)[self.liability_account], 0.0)

    def test_nothing_to_post_before_the_activity(self):
        self.a_period_of_activity()
        yesterday = self.today - timedelta(days=1)
        # Coupons created today owed nothing yesterday; no invoice either.
        settlement = self.settle((yesterday - timedelta(days=30), yesterday))
        self.assertEqual(settlement.state, "posted")
        self.assertFalse(settlement.move_ids)
        # The period is settled: the next one starts after it.
        with self.assertRaisesRegex(UserError, "without overlap"):
            self.settle((yesterday, self.today))

    def test_an_unsettled_activity_is_flagged(self):
        self.sell(1)
        rows = self.env["promotion.settlement.reconciliation"].search(
            [("settlement_id", "=", False), ("program_id", "=", self.percent.id)]
        )
        self.assertAlmostEqual(rows.invoiced_discount, 10.0)
        self.assertTrue(rows.mismatch)

    def test_missing_account_refuses_and_posts_nothing(self):
        self.percent.discount_account_id = False
        self.sell(1)
        with self.assertRaisesRegex(UserError, "no account to settle it"):
            self.settle()
        self.assertFalse(self.env["account.move"].search([("journal_id", "=", self.journal.id)]))
        # The company's account in Settings serves programs without one.
        self.env.company.promotion_discount_account_id = self.discount_account
        self.assertIn(self.percent, self.settle().line_ids.program_id)

    def test_scheduled_action_settles_last_month_once(self):
        Settlement = self.env["promotion.settlement"]
        Settlement._cron_settle_last_period()
        last = Settlement.search([("company_id", "=", self.env.company.id)])
        self.assertEqual(len(last), 1)
        first = self.today.replace(day=1) - timedelta(days=1)
        self.assertEqual((last.date_from, last.date_to), (first.replace(day=1), first))
        self.assertEqual(last.state, "posted")
        Settlement._cron_settle_last_period()
        self.assertEqual(Settlement.search([("company_id", "=", self.env.company.id)]), last)

    def test_only_accountants_post_and_set_accounts(self):
        self.sell(1)
        for user in (self.requester, self.approver):
            with self.assertRaisesRegex(AccessError, "Only accountants"):
                self.settle(user=user)
            with self.assertRaisesRegex(AccessError, "Only accountants"):
                self.percent.with_user(user).write({"discount_account_id": False})
        self.assertEqual(self.percent.discount_account_id, self.discount_account)
        # Not approved content: an accountant changes it on a live program, no new version.
        self.percent.with_user(self.accountant).write(
            {"discount_account_id": self.liability_account.id}
        )
        self.assertEqual(self.percent.release_state, "active")
        self.assertEqual(self.percent.current_version, 1)
