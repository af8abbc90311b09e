"""The approval mixin as price changes use it: the policy evaluated again at approval on the
content approved, what was approved recorded, delegation, escalation, users without email."""

from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from odoo.addons.integration_core.compat.cron import run_time_based_automations
from odoo.addons.integration_core.models.integration_approval_mixin import content_digest

from .common import PriceCase


@tagged("post_install", "-at_install")
class TestApprovalPolicy(PriceCase):
    def submitted(self, price=90.0, user=None):
        change = self.make_change([(self.product, self.pricelist, price)], user=user)
        change.action_submit()
        return change

    def test_policy_is_evaluated_again_at_approval(self):
        change = self.submitted(price=90.0)  # 10 % drop, above cost: any pricing user
        self.assertFalse(change.needs_manager)
        # The cost rises above the new price after submission: now under cost.
        self.product.standard_price = 95.0
        with self.assertRaisesRegex(AccessError, "Pricing Manager"):
            change.with_user(self.approver).action_approve()
        self.assertEqual(change.state, "to_approve")
        self.assertTrue(change.needs_manager)
        change.with_user(self.manager).action_approve()
        self.assertEqual(change.state, "approved")

    def test_thresholds_compare_the_cost_in_the_pricelist_currency(self):
        # The company works in its currency (cost 60); the export pricelist sells in a second
        # currency worth half as much on the change's date: the cost there is 120.
        company = self.env.company
        foreign = self.env["res.currency"].create(
            {"name": "PGX", "symbol": "X", "rounding": 0.01, "active": True}
        )
        start = self.now() + timedelta(days=2)
        self.env["res.currency.rate"].create(
            [
                {"currency_id": foreign.id, "name": fields.Date.today(), "rate": 1.0,
                 "company_id": company.id},
                {"currency_id": foreign.id, "name": start.date(), "rate": 2.0,
                 "company_id": company.id},
            ]
        )  # fmt: skip
        export = self.env["product.pricelist"].create(
            {"name": "PG Export", "currency_id": foreign.id}
        )
        change = self.make_change([(self.product, export, 100.0)], start=start)
        line = change.line_ids
        self.assertAlmostEqual(line.cost, 120.0, places=2, msg="converted at the change's date")
        self.assertAlmostEqual(line.margin_percent, -20.0, places=2)
        change.action_submit()
        self.assertTrue(change.needs_manager, "100 is under a cost of 120, not above 60")
        self.assertIn("under cost", line.breach)
        with self.assertRaisesRegex(AccessError, "Pricing Manager"):
            change.with_user(self.approver).action_approve()

    def test_what_was_approved_is_recorded_and_is_what_goes_live(self):
        change = self.submitted(price=90.0)
        change.with_user(self.approver).action_approve()
        decision = change.approval_decision_ids.filtered(lambda d: d.decision == "approve")
        self.assertEqual(decision.user_id, self.approver)
        self.assertEqual(decision.digest, change.approval_digest)
        self.assertEqual(decision.content["lines"][0][5], 90.0)
        self.assertEqual(content_digest(change._approval_content()), change.approval_digest)
        self.assertEqual(change.version_ids.fixed_price, 90.0)

    def test_content_changed_underneath_goes_back_to_draft_at_approval(self):
        change = self.submitted(price=90.0)
        # Behind the ORM (no write() to notice it): the approval still sees it.
        self.env.cr.execute(
            "UPDATE price_change_line SET fixed_price = 10.0 WHERE change_id = %s", [change.id]
        )
        change.line_ids.invalidate_recordset(["fixed_price"])
        result = change.with_user(self.manager).action_approve()
        self.assertEqual(result["tag"], "display_notification")
        self.assertEqual(change.state, "draft")
        self.assertFalse(change.version_ids)
        self.assertIn("redraft", change.approval_decision_ids.mapped("decision"))

    def test_line_edited_after_submission_sends_the_change_back_to_draft(self):
        change = self.submitted(price=90.0)
        change.line_ids.with_user(self.requester).write({"fixed_price": 10.0})
        self.assertEqual(change.state, "draft")
        self.assertFalse(change.approval_digest)
        self.assertIn("content changed", change.message_ids[0].body)
        with self.assertRaisesRegex(UserError, "not possible"):
            change.with_user(self.manager).action_approve()

    def test_approved_lines_cannot_change(self):
        change = self.submitted(price=90.0)
        change.with_user(self.approver).action_approve()
        with self.assertRaisesRegex(UserError, "cannot change"):
            change.line_ids.with_user(self.requester).write({"fixed_price": 10.0})
        with self.assertRaisesRegex(UserError, "cannot change"):
            change.with_user(self.requester).write(
                {
                    "line_ids": [
                        (
                            0,
                            0,
                            {
                                "product_id": self.product2.id,
                                "fixed_price": 1.0,
                                "pricelist_id": self.pricelist.id,
                            },
                        )
                    ]
                }
            )
        self.env.invalidate_all()
        self.assertEqual(change.line_ids.mapped("fixed_price"), [90.0])

    def test_workflow_fields_and_context_defaults_are_refused(self):
        change = self.make_change([(self.product, self.pricelist, 90.0)])
        for vals in (
            {"state": "approved"},
            {"needs_manager": False},
            {"approved_by_id": self.manager.id},
            {"requested_by_id": self.manager.id},
            {"approval_digest": "x"},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                change.with_user(self.requester).write(vals)
        with self.assertRaisesRegex(AccessError, "approval workflow"):
            self.make_change([(self.product2, self.pricelist, 40.0)], state="approved")
        sneaky = (
            self.Change.with_user(self.requester)
            .with_context(default_state="approved", default_approved_by_id=self.manager.id)
            .create({"description": "sneaky"})
        )
        self.assertEqual(sneaky.state, "draft")
        self.assertFalse(sneaky.approved_by_id)
        with self.assertRaises(AccessError):
            change.line_ids.with_user(self.requester).write({"current_price": 1.0})

    def test_delegation_approves_on_behalf_and_is_recorded(self):
        change = self.submitted(price=10.0)  # under cost: a Pricing Manager's decision
        with self.assertRaisesRegex(AccessError, "Pricing Manager"):
            change.with_user(self.approver).action_approve()
        Delegation = self.env["integration.approval.delegation"]
        with self.assertRaisesRegex(AccessError, "your own"):
            Delegation.with_user(self.approver).create(
                {
                    "user_id": self.manager.id,
                    "delegate_id": self.approver.id,
                    "date_to": self.now() + timedelta(days=7),
                }
            )
        expired = Delegation.with_user(self.manager).create(
            {
                "delegate_id": self.approver.id,
                "date_from": self.now() - timedelta(days=9),
                "date_to": self.now() - timedelta(days=2),
            }
        )
        self.assertFalse(change.with_user(self.approver).can_approve)
        expired.with_user(self.manager).date_to = self.now() + timedelta(days=2)
        change.invalidate_recordset(["can_approve"])
        self.assertTrue(change.with_user(self.approver).can_approve)
        change.with_user(self.approver).action_approve()
        self.assertEqual(change.state, "approved")
        self.assertEqual(change.approved_by_id, self.approver)
        self.assertEqual(change.approved_on_behalf_of_id, self.manager)
        decision = change.approval_decision_ids.filtered(lambda d: d.decision == "approve")
        self.assertEqual(decision.on_behalf_of_id, self.manager)
        self.assertIn("On behalf of", change.message_ids[0].body)

    def test_delegation_keeps_separation_of_duties(self):
        # The manager requested it: their delegate may not approve it on their behalf.
        change = self.submitted(price=10.0, user=self.manager)
        self.env["integration.approval.delegation"].with_user(self.manager).create(
            {"delegate_id": self.approver.id, "date_to": self.now() + timedelta(days=2)}
        )
        with self.assertRaisesRegex(AccessError, "Pricing Manager"):
            change.with_user(self.approver).action_approve()
        with self.assertRaisesRegex(AccessError, "separation of duties"):
            change.with_user(self.manager).action_approve()

    def test_waiting_too_long_escalates_through_the_automation_rule(self):
        change = self.submitted(price=90.0)
        rule = self.env.ref("price_governance.automation_price_change_escalation")
        now = fields.Datetime.now()
        rule.last_run = now - timedelta(days=2)
        change._approval_write({"requested_at": now - timedelta(hours=25)})
        fresh = self.make_change([(self.product2, self.pricelist, 45.0)], user=self.approver)
        fresh.action_submit()
        run_time_based_automations(self.env)
        escalated = change.activity_ids.filtered(lambda a: a.user_id == self.manager)
        self.assertEqual(len(escalated), 1)
        self.assertIn("waiting too long", escalated.summary)
        self.assertFalse(change.activity_ids.filtered(lambda a: a.user_id == self.requester))
        self.assertFalse(fresh.activity_ids)
        self.assertIn("escalate", change.approval_decision_ids.mapped("decision"))
        # Never twice.
        rule.last_run = now - timedelta(days=2)
        run_time_based_automations(self.env)
        self.assertEqual(len(change.activity_ids.filtered(lambda a: a.user_id == self.manager)), 1)

    def test_a_user_without_email_submits_and_approves(self):
        self.requester.partner_id.email = False
        self.approver.partner_id.email = False
        change = self.submitted(price=90.0)
        self.assertEqual(change.state, "to_approve")
        change.with_user(self.approver).action_approve()
        self.assertEqual(change.state, "approved")
        self.assertIn("Approved by", change.message_ids[0].body)
