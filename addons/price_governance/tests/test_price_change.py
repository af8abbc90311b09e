from datetime import timedelta

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import PriceCase


@tagged("post_install", "-at_install")
class TestPriceChange(PriceCase):
    def test_sequence_names_changes(self):
        change = self.make_change([(self.product, self.pricelist, 90.0)])
        year = change.create_date.year
        self.assertRegex(change.name, rf"^PC/{year}/\d{{4}}$")
        other = self.make_change([(self.product2, self.pricelist, 45.0)])
        self.assertNotEqual(change.name, other.name)

    def test_submit_snapshots_prices_and_goes_to_approve(self):
        change = self.make_change([(self.product, self.pricelist, 95.0)])
        change.action_submit()
        self.assertEqual(change.state, "to_approve")
        self.assertEqual(change.requested_by_id, self.requester)
        line = change.line_ids
        self.assertEqual(line.current_price, 100.0)
        self.assertAlmostEqual(line.change_percent, -5.0)
        self.assertFalse(line.breach)
        self.assertFalse(change.needs_manager)
        self.assertEqual(line.currency_id, self.pricelist.currency_id)
        decision = change.approval_decision_ids
        self.assertEqual(decision.decision, "submit")
        self.assertEqual(decision.user_id, self.requester)

    def test_percent_mode_computes_the_price_from_the_current_one(self):
        change = self.make_change([(self.product, self.pricelist, 0.0)])
        change.line_ids.write({"price_mode": "percent", "percent": 10.0})
        change.action_submit()
        self.assertAlmostEqual(change.line_ids.fixed_price, 110.0)

    def test_requester_cannot_approve_own_change(self):
        change = self.make_change([(self.product, self.pricelist, 95.0)])
        change.action_submit()
        with self.assertRaisesRegex(AccessError, "separation of duties"):
            change.with_user(self.requester).action_approve()
        self.assertEqual(change.state, "to_approve")
        self.assertFalse(change.version_ids)
        change.with_user(self.approver).action_approve()
        self.assertEqual(change.state, "approved")
        self.assertEqual(change.approved_by_id, self.approver)
        self.assertEqual(len(change.version_ids), 1)
        self.assertEqual(
            sorted(change.approval_decision_ids.mapped("decision")), ["approve", "submit"]
        )

    def test_thresholds_require_a_manager(self):
        cases = [
            (70.0, "drop"),  # 30 % drop, over 20 %
            (55.0, "cost"),  # under the cost of 60 (and a 45 % drop)
        ]
        for days, (price, word) in enumerate(cases, start=1):
            with self.subTest(price=price):
                change = self.make_change(
                    [(self.product, self.other_pricelist, price)],
                    start=self.now() + timedelta(days=days),
                    end=self.now() + timedelta(days=days, hours=1),
                )
                change.action_submit()
                self.assertTrue(change.needs_manager)
                self.assertIn(word, change.line_ids.breach)
                self.assertEqual(
                    change._approval_required_group(), "price_governance.group_price_manager"
                )
                with self.assertRaisesRegex(AccessError, "Pricing Manager"):
                    change.with_user(self.approver).action_approve()
                change.with_user(self.manager).action_approve()
                self.assertEqual(change.state, "approved")

    def test_margin_floor_threshold(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "price_governance.margin_floor_percent", "50"
        )
        change = self.make_change([(self.product, self.pricelist, 99.0)])  # margin 39 %
        change.action_submit()
        self.assertIn("margin", change.line_ids.breach)
        with self.assertRaises(AccessError):
            change.with_user(self.approver).action_approve()

    def test_small_change_is_for_any_pricing_user(self):
        change = self.make_change([(self.product, self.pricelist, 90.0)])
        change.action_submit()
        self.assertEqual(change._approval_required_group(), "price_governance.group_price_user")
        self.assertTrue(change.with_user(self.approver).can_approve)
        self.assertFalse(change.with_user(self.requester).can_approve)

    def test_waiting_for_my_decision_knows_who_may_decide(self):
        small = self.make_change([(self.product, self.pricelist, 90.0)], user=self.requester)
        large = self.make_change(
            [(self.product, self.other_pricelist, 70.0)],  # a 30 % drop: a manager's call
            user=self.requester,
        )
        draft = self.make_change([(self.product2, self.pricelist, 45.0)], user=self.requester)
        (small | large).with_user(self.requester).action_submit()
        ours = small | large | draft

        def waiting_for(user):
            domain = [("state", "=", "to_approve"), ("can_approve", "=", True)]
            return self.Change.with_user(user).search(domain) & ours

        self.assertEqual(waiting_for(self.approver), small)
        self.assertEqual(waiting_for(self.manager), small | large)
        self.assertFalse(waiting_for(self.requester), "nobody decides on their own request")
        not_mine = self.Change.with_user(self.approver).search([("can_approve", "=", False)])
        self.assertIn(large, not_mine)
        self.assertIn(draft, not_mine)

    def test_reject_needs_a_reason_and_is_logged(self):
        change = self.make_change([(self.product, self.pricelist, 90.0)])
        change.action_submit()
        action = change.with_user(self.approver).action_approval_reject()
        Wizard = (
            self.env[action["res_model"]].with_user(self.approver).with_context(**action["context"])
        )
        with self.assertRaises(UserError):
            Wizard.create({"reason": "   "}).action_reject()
        self.assertEqual(change.state, "to_approve")
        Wizard.create({"reason": "Competitor is cheaper"}).action_reject()
        self.assertEqual(change.state, "rejected")
        self.assertEqual(change.reject_reason, "Competitor is cheaper")
        self.assertEqual(change.rejected_by_id, self.approver)
        reject = change.approval_decision_ids.filtered(lambda d: d.decision == "reject")
        self.assertEqual(reject.user_id, self.approver)
        self.assertEqual(reject.reason, "Competitor is cheaper")
        self.assertIn("Competitor is cheaper", change.message_ids[0].body)
        change.action_draft()
        self.assertEqual(change.state, "draft")

    def test_cancel_and_refusals(self):
        change = self.make_change([(self.product, self.pricelist, 90.0)])
        change.action_submit()
        change.with_user(self.approver).action_approve()
        # Approved content: neither another pricing user nor the requester without a reason.
        with self.assertRaisesRegex(AccessError, "Pricing Manager"):
            change.with_user(self.approver).action_cancel()
        action = change.action_cancel()
        self.assertEqual(action["res_model"], "integration.approval.reject.wizard")
        self.assertEqual(change.state, "approved")
        with self.assertRaisesRegex(AccessError, "giving a reason"):
            change._approval_cancel("  ")
        change.with_user(self.manager).action_cancel()
        self.assertEqual(change.state, "cancelled")
        self.assertEqual(change.version_ids.state, "cancelled")
        self.assertIn("cancel", change.approval_decision_ids.mapped("decision"))
        with self.assertRaises(UserError):
            change.action_draft()  # it had versions
        with self.assertRaises(UserError):
            change.action_submit()
        with self.assertRaises(UserError):
            change.unlink()

    def test_bad_input_is_refused(self):
        empty = self.make_change([])
        with self.assertRaisesRegex(UserError, "no lines"):
            empty.action_submit()
        self.assertEqual(empty.state, "draft")
        with self.assertRaisesRegex(ValidationError, "negative"):
            self.make_change([(self.product, self.pricelist, -1.0)])
        with self.assertRaisesRegex(ValidationError, "end after"):
            self.make_change(
                [(self.product, self.pricelist, 1.0)],
                start=self.now(),
                end=self.now() - timedelta(days=1),
            )
        twice = self.make_change(
            [(self.product, self.pricelist, 90.0), (self.product, self.pricelist, 91.0)]
        )
        with self.assertRaisesRegex(UserError, "twice"):
            twice.action_submit()
        self.assertEqual(twice.state, "draft")
        draft = self.make_change([(self.product, self.pricelist, 90.0)])
        with self.assertRaisesRegex(UserError, "not possible"):
            draft.with_user(self.approver).action_approve()

    def test_overlapping_windows_are_refused_naming_the_change(self):
        start = self.now() + timedelta(days=10)
        first = self.make_change(
            [(self.product, self.pricelist, 90.0)], start=start, end=start + timedelta(days=10)
        )
        first.action_submit()
        overlapping = self.make_change(
            [(self.product, self.pricelist, 80.0)],
            start=start + timedelta(days=5),
            end=start + timedelta(days=20),
        )
        with self.assertRaisesRegex(UserError, f"overlaps {first.name}"):
            overlapping.action_submit()
        self.assertEqual(overlapping.state, "draft")
        # Another quantity break, another pricelist, or after the window: no conflict.
        self.make_change(
            [(self.product, self.pricelist, 80.0, 10.0)], start=start + timedelta(days=5)
        ).action_submit()
        self.make_change(
            [(self.product, self.other_pricelist, 80.0)],
            start=start + timedelta(days=5),
            end=start + timedelta(days=8),
        ).action_submit()
        self.make_change(
            [(self.product, self.pricelist, 85.0)],
            start=start + timedelta(days=25),
            end=start + timedelta(days=27),
        ).action_submit()
        # A permanent price starting later supersedes an earlier permanent one: allowed.
        perm1 = self.make_change([(self.product2, self.pricelist, 45.0)], start=start)
        perm1.action_submit()
        self.make_change(
            [(self.product2, self.pricelist, 44.0)], start=start + timedelta(days=3)
        ).action_submit()
        # Same start as a permanent one: refused.
        with self.assertRaisesRegex(UserError, perm1.name):
            self.make_change([(self.product2, self.pricelist, 43.0)], start=start).action_submit()
        # A rejected change holds no window any more.
        first.with_user(self.approver)._approval_reject("no")
        overlapping.action_submit()
        self.assertEqual(overlapping.state, "to_approve")

    def test_a_product_of_another_company_is_refused_at_submission(self):
        """The effect writes pricelist items by SQL: what create() would refuse (a product of
        another company in a company's pricelist) is refused when the change is submitted."""
        elsewhere = self.env["res.company"].create({"name": "PG Other Company"})
        foreign = self.env["product.product"].create(
            {"name": "PG Foreign Kettle", "default_code": "PG-FOREIGN", "company_id": elsewhere.id}
        )
        pricelist = self.env["product.pricelist"].create(
            {"name": "PG Company Retail", "company_id": self.env.company.id}
        )
        change = self.make_change([(foreign, pricelist, 80.0)], user=self.env.user)
        with self.assertRaisesRegex(UserError, "belongs to another company"):
            change.action_submit()
        self.assertEqual(change.state, "draft")
        # The same product in a pricelist shared by every company is fine.
        shared = self.env["product.pricelist"].create({"name": "PG Shared", "company_id": False})
        change = self.make_change([(foreign, shared, 80.0)], user=self.env.user)
        change.action_submit()
        self.assertEqual(change.state, "to_approve")
