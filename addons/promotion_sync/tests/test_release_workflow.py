from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from odoo.addons.integration_core.compat.cron import run_time_based_automations

from ..hooks import post_init_hook
from .common import PromotionCase


@tagged("post_install", "-at_install")
class TestReleaseWorkflow(PromotionCase):
    def test_draft_program_is_off_for_odoo(self):
        program = self.make_program()
        self.assertEqual(program.release_state, "draft")
        self.assertFalse(program.active, "an unapproved program must not apply anywhere")
        # Its rules and rewards stay visible on the form.
        self.assertEqual(len(program.rule_ids), 1)
        self.assertEqual(len(program.reward_ids), 1)

    def test_submit_and_approve_releases_now_when_time_passed(self):
        program = self.make_program(release_at=self.hours(-1))
        program.with_user(self.requester).action_submit()
        self.assertEqual(program.release_state, "to_approve")
        self.assertEqual(program.requested_by_id, self.requester)
        self.assertFalse(program.active)
        program.with_user(self.approver).action_approve()
        self.assertEqual(program.release_state, "active")
        self.assertTrue(program.active)
        self.assertEqual(program.approved_by_id, self.approver)
        decisions = program.approval_decision_ids.mapped("decision")
        self.assertEqual(sorted(decisions), ["approve", "submit"])

    def test_approved_without_release_time_waits_for_release_now(self):
        program = self.release(self.make_program())
        self.assertEqual(program.release_state, "approved")
        self.assertFalse(program.active)
        self.assertFalse(self.promotion_messages(program), "channels hear of it when it is live")
        with self.assertRaises(AccessError):
            program.with_user(self.salesman).action_release_now()
        program.with_user(self.approver).action_release_now()
        self.assertEqual(program.release_state, "active")
        self.assertTrue(program.active)

    def test_requester_cannot_approve(self):
        program = self.make_program()
        program.with_user(self.requester).action_submit()
        with self.assertRaisesRegex(AccessError, "separation of duties"):
            program.with_user(self.requester).action_approve()
        self.assertEqual(program.release_state, "to_approve")
        self.assertFalse(program.snapshot_ids)

    def test_approver_needs_promotion_manager_group(self):
        program = self.make_program()
        program.with_user(self.requester).action_submit()
        self.assertEqual(
            program.approval_required_group_name.split("/")[-1].strip(), "Promotion Manager"
        )
        with self.assertRaisesRegex(AccessError, "Promotion Manager"):
            program.with_user(self.salesman).action_approve()
        self.assertEqual(program.release_state, "to_approve")

    def test_waiting_for_my_decision(self):
        waiting = self.make_program()
        waiting.with_user(self.requester).action_submit()
        draft = self.make_program()
        domain = [("release_state", "=", "to_approve"), ("can_approve", "=", True)]
        ours = waiting | draft

        def found(user):
            programs = self.env["loyalty.program"].with_user(user).with_context(active_test=False)
            return programs.search(domain) & ours

        self.assertEqual(found(self.approver), waiting)
        self.assertFalse(found(self.requester), "nobody decides on their own request")
        self.assertFalse(found(self.salesman), "a salesman is no Promotion Manager")

    def test_reject_needs_reason_and_returns_to_draft(self):
        program = self.make_program()
        program.with_user(self.requester).action_submit()
        with self.assertRaises(UserError):
            program.with_user(self.approver)._approval_reject("  ")
        self.assertEqual(program.release_state, "to_approve")
        wizard = (
            self.env["integration.approval.reject.wizard"]
            .with_user(self.approver)
            .create(
                {"res_model": "loyalty.program", "res_id": program.id, "reason": "Margin too low"}
            )
        )
        wizard.action_reject()
        self.assertEqual(program.release_state, "draft")
        self.assertEqual(program.reject_reason, "Margin too low")
        self.assertFalse(program.active)

    def test_state_and_active_cannot_be_forced(self):
        program = self.make_program()
        with self.assertRaises(UserError):
            program.write({"release_state": "active"})
        with self.assertRaisesRegex(UserError, "approved programs go live"):
            program.write({"active": True})
        with self.assertRaises(UserError):
            program.toggle_active()
        self.assertEqual(program.release_state, "draft")
        self.assertFalse(program.active)

    def test_release_window_must_be_ordered(self):
        with self.assertRaisesRegex(ValidationError, "expire before it is released"):
            self.make_program(release_at=self.hours(5), expire_at=self.hours(1))
        program = self.make_program(release_at=self.hours(5))
        with self.assertRaises(ValidationError):
            program.write({"expire_at": self.hours(4)})
        self.assertFalse(program.expire_at)

    def test_scheduled_program_released_and_expired_by_cron(self):
        program = self.release(self.make_program(release_at=self.hours(2), expire_at=self.hours(4)))
        self.assertEqual(program.release_state, "scheduled")
        self.assertFalse(program.active)
        Program = self.env["loyalty.program"]
        self.assertEqual(Program._cron_release_schedule(), 0, "nothing is due yet")
        # Time passes: the release time is reached.
        program._approval_write({"release_at": self.hours(-1)})
        self.assertEqual(Program._cron_release_schedule(), 1)
        self.assertEqual(program.release_state, "active")
        self.assertTrue(program.active)
        program._approval_write({"expire_at": self.hours(-0.5)})
        self.assertEqual(Program._cron_release_schedule(), 1)
        self.assertEqual(program.release_state, "expired")
        self.assertFalse(program.active)
        self.assertEqual(
            self.promotion_messages(program).mapped("event_type"),
            ["promotion.active", "promotion.expired"],
        )

    def test_cron_batches(self):
        programs = self.env["loyalty.program"]
        for index in range(5):
            programs |= self.release(
                self.make_program(name=f"Batch {index}", release_at=self.hours(1), combinable=True)
            )
        programs._approval_write({"release_at": self.hours(-1)})
        self.assertEqual(self.env["loyalty.program"]._cron_release_schedule(limit=2), 5)
        self.assertEqual(set(programs.mapped("release_state")), {"active"})

    def test_kill_switch_stops_a_live_program(self):
        program = self.release(self.make_program(release_at=self.hours(-1)))
        self.assertTrue(program.active)
        with self.assertRaises(AccessError):
            program.with_user(self.salesman).action_cancel()
        self.assertEqual(program.release_state, "active")
        program.with_user(self.approver).action_cancel()
        self.assertEqual(program.release_state, "cancelled")
        self.assertFalse(program.active)
        self.assertEqual(self.promotion_messages(program)[-1].event_type, "promotion.cancelled")
        self.assertIn("cancel", program.approval_decision_ids.mapped("decision"))

    def test_switch_keeps_rules_and_rewards_in_snapshots(self):
        """Odoo 19.0 archives a program's rules and rewards with the program (18.0 does not):
        the release switch leaves them as they were on both, so a stopped program's next
        snapshot still carries its content."""
        program = self.release(self.make_program(release_at=self.hours(-1)))
        Snapshot = self.env["promotion.snapshot"]
        live_content = Snapshot._content(program)
        self.assertTrue(live_content["rewards"] and live_content["rules"])
        program.with_user(self.approver).action_cancel()
        self.assertFalse(program.active)
        children = program.with_context(active_test=False)
        self.assertEqual(children.reward_ids.mapped("active"), [True])
        self.assertEqual(children.rule_ids.mapped("active"), [True])
        program.invalidate_recordset()
        self.assertEqual(Snapshot._content(program), live_content)
        program._propagate_active(True)
        self.assertEqual(Snapshot._content(program), live_content)

    def test_archiving_a_live_program_is_the_kill_switch(self):
        program = self.release(self.make_program(release_at=self.hours(-1)))
        program.with_user(self.approver).action_archive()
        self.assertEqual(program.release_state, "cancelled")

    def test_only_active_programs_apply_on_orders(self):
        program = self.make_program()
        # Even an Odoo-active program (forced here) does not apply unless its release is live.
        program._propagate_active(True)
        order = self.make_order((self.desk, 1))
        self.assertFalse(self.apply_promotions(order))
        program._propagate_active(False)
        self.release(program)
        program.with_user(self.approver).action_release_now()
        order = self.make_order((self.desk, 1))
        reward_lines = self.apply_promotions(order)
        self.assertEqual(reward_lines.reward_id.program_id, program)
        self.assertAlmostEqual(order.amount_untaxed, 90.0)

    def test_codes_only_for_active_programs(self):
        program = self.make_program(
            program_type="promo_code",
            trigger="with_code",
            rule_ids=[(0, 0, {"mode": "with_code", "code": "PROMO-TEST-1"})],
        )
        program._propagate_active(True)
        order = self.make_order((self.desk, 1))
        self.assertIn("error", order._try_apply_code("PROMO-TEST-1"))

    def test_post_init_hook_keeps_existing_programs_working(self):
        Program = self.env["loyalty.program"]
        existing = Program.create(
            {
                "name": "Pre-existing",
                "program_type": "promotion",
                "reward_ids": [(0, 0, {"discount": 5})],
            }
        )
        archived = Program.create(
            {
                "name": "Old",
                "program_type": "promotion",
                "active": False,
                "reward_ids": [(0, 0, {"discount": 5})],
            }
        )
        # As Odoo left it before this addon: a live program.
        existing._approval_write({"active": True})
        self.assertEqual(existing.release_state, "draft")
        self.assertTrue(existing.active)
        post_init_hook(self.env)
        self.assertEqual(existing.release_state, "active")
        self.assertTrue(existing.active)
        self.assertEqual(existing.current_version, 1)
        self.assertEqual(archived.release_state, "expired")

    def test_reset_to_draft_and_resubmit_after_cancel(self):
        program = self.release(self.make_program(release_at=self.hours(-1)))
        program.with_user(self.approver).action_cancel()
        with self.assertRaises(UserError):
            program.with_user(self.approver).action_cancel()
        program.with_user(self.requester).action_draft()
        self.assertEqual(program.release_state, "draft")
        self.release(program)
        self.assertEqual(program.release_state, "active")
        self.assertEqual(program.current_version, 2)
        self.assertEqual(
            self.promotion_messages(program).mapped("event_type"),
            ["promotion.active", "promotion.cancelled", "promotion.active"],
        )
        action = program.action_view_snapshots()
        self.assertEqual(
            self.env["promotion.snapshot"].search(action["domain"]).mapped("version"), [2, 1]
        )

    def test_forms_render(self):
        for model in ("loyalty.program", "promotion.snapshot", "promotion.settlement.wizard"):
            arch = self.env[model].get_view(view_type="form")["arch"]
            self.assertIn("<form", arch)
        arch = self.env["loyalty.program"].get_view(
            self.env.ref("promotion_sync.loyalty_program_view_kanban_release").id, "kanban"
        )["arch"]
        self.assertIn("release_state", arch)

    def test_waiting_too_long_escalates_to_the_other_promotion_managers(self):
        program = self.make_program()
        program.with_user(self.requester).action_submit()
        rule = self.env.ref("promotion_sync.automation_promotion_escalation")
        now = fields.Datetime.now()
        rule.last_run = now - timedelta(days=2)
        program._approval_write({"requested_at": now - timedelta(hours=25)})
        run_time_based_automations(self.env)
        escalated = program.activity_ids.filtered(lambda a: "waiting too long" in a.summary)
        self.assertIn(self.approver, escalated.user_id)
        self.assertNotIn(self.requester, escalated.user_id, "never to the requester")
        self.assertIn("escalate", program.approval_decision_ids.mapped("decision"))

    def test_an_approved_program_is_not_deleted(self):
        program = self.release(self.make_program())
        with self.assertRaisesRegex(UserError, "audit trail"):
            program.with_user(self.requester).unlink()
        with self.assertRaisesRegex(UserError, "audit trail"):
            program.with_user(self.requester).with_context(_force_unlink=True).unlink()
        self.assertTrue(program.exists())
        self.assertTrue(program.snapshot_ids)
        draft = self.make_program()
        draft.with_user(self.requester).unlink()
        self.assertFalse(draft.exists())
