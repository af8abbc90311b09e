from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import PromotionCase


@tagged("post_install", "-at_install")
class TestSnapshot(PromotionCase):
    def test_approval_takes_a_versioned_snapshot(self):
        program = self.release(
            self.make_program(discount=15, release_at=self.hours(-1), expire_at=self.hours(48))
        )
        snapshot = program.current_snapshot_id
        self.assertEqual(snapshot.version, 1)
        self.assertEqual(snapshot.approved_by_id, self.approver)
        self.assertEqual(snapshot.skus, "T-DESK")
        self.assertFalse(snapshot.combinable)
        self.assertEqual(snapshot.starts_at, program.release_at)
        content = snapshot.content
        self.assertEqual(content["skus"], ["T-DESK"])
        self.assertEqual(content["rewards"][0]["discount"], 15)
        self.assertEqual(content["rules"][0]["skus"], ["T-DESK"])
        self.assertTrue(snapshot.in_force)

    def test_snapshot_is_immutable(self):
        snapshot = self.release(self.make_program()).current_snapshot_id
        with self.assertRaises(UserError):
            snapshot.write({"version": 7})
        with self.assertRaises(UserError):
            snapshot.unlink()
        self.assertEqual(snapshot.version, 1)

    def test_editing_a_live_program_needs_a_new_version(self):
        program = self.release(self.make_program(discount=10, release_at=self.hours(-1)))
        self.assertEqual(program.release_state, "active")
        v1 = program.current_snapshot_id
        # A sales manager edits the reward: back to approval, v1 stays in force.
        program.with_user(self.requester).write(
            {"reward_ids": [Command.update(program.reward_ids.id, {"discount": 25})]}
        )
        self.assertEqual(program.release_state, "draft")
        self.assertTrue(program.pending_change)
        self.assertFalse(program.active, "unapproved rules never apply in Odoo")
        self.assertEqual(program.current_snapshot_id, v1)
        self.assertEqual(v1.content["rewards"][0]["discount"], 10)
        self.assertIn("redraft", program.approval_decision_ids.mapped("decision"))
        program.with_user(self.requester).action_submit()
        program.with_user(self.approver).action_approve()
        v2 = program.current_snapshot_id
        self.assertEqual(v2.version, 2)
        self.assertEqual(v2.content["rewards"][0]["discount"], 25)
        self.assertEqual(v1.content["rewards"][0]["discount"], 10)
        self.assertEqual(program.release_state, "active")
        self.assertTrue(program.active)
        self.assertEqual(
            self.promotion_messages(program).mapped("event_type"),
            ["promotion.active", "promotion.changed"],
        )

    def test_direct_edits_of_rules_and_products_count(self):
        program = self.release(self.make_program(release_at=self.hours(2)))
        self.assertEqual(program.release_state, "scheduled")
        program.rule_ids.write({"product_ids": [Command.link(self.chair.id)]})
        self.assertEqual(program.release_state, "draft")
        self.release_again(program)
        self.assertEqual(program.release_state, "scheduled")
        self.assertEqual(program.current_snapshot_id.content["skus"], ["T-CHAIR", "T-DESK"])
        program.with_user(self.requester).write({"expire_at": self.hours(30)})
        self.assertEqual(program.release_state, "draft")
        self.assertEqual(program.current_version, 2)

    def release_again(self, program):
        program.with_user(self.requester).action_submit()
        program.with_user(self.approver).action_approve()

    def test_untracked_edits_keep_the_release(self):
        program = self.release(self.make_program(release_at=self.hours(-1)))
        program.write({"portal_visible": True})
        self.assertEqual(program.release_state, "active")
        self.assertEqual(program.current_version, 1)
