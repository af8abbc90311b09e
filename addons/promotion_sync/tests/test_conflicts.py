from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import PromotionCase


@tagged("post_install", "-at_install")
class TestConflicts(PromotionCase):
    def test_overlapping_non_combinable_programs_are_listed(self):
        live = self.release(self.make_program(release_at=self.hours(-1), expire_at=self.hours(48)))
        new = self.make_program(
            self.desk | self.chair, release_at=self.hours(24), expire_at=self.hours(72)
        )
        self.assertEqual(new.conflict_program_ids, live)
        self.assertEqual(new.conflict_count, 1)
        # And the live one sees the newcomer once it is submitted.
        new.with_user(self.requester).action_submit()
        live.invalidate_recordset(["conflict_program_ids"])
        self.assertEqual(live.conflict_program_ids, new)

    def test_no_conflict_on_other_products_dates_or_when_combinable(self):
        self.release(self.make_program(release_at=self.hours(-1), expire_at=self.hours(48)))
        other_products = self.make_program(self.chair)
        later = self.make_program(release_at=self.hours(49), expire_at=self.hours(60))
        combinable = self.make_program(combinable=True)
        self.assertFalse(other_products.conflict_program_ids)
        self.assertFalse(later.conflict_program_ids)
        self.assertFalse(combinable.conflict_program_ids)

    def test_program_on_every_product_conflicts_with_all(self):
        live = self.release(self.make_program(self.lamp, release_at=self.hours(-1)))
        everything = (
            self.env["loyalty.program"]
            .with_user(self.requester)
            .create(
                {
                    "name": "5% on everything",
                    "program_type": "promotion",
                    "trigger": "auto",
                    "rule_ids": [(0, 0, {"minimum_amount": 10})],
                    "reward_ids": [(0, 0, {"discount": 5})],
                }
            )
        )
        self.assertEqual(everything.conflict_program_ids, live)

    def test_expired_and_cancelled_do_not_conflict(self):
        old = self.release(self.make_program(release_at=self.hours(-1)))
        old.with_user(self.approver).action_cancel()
        self.assertFalse(self.make_program().conflict_program_ids)

    def test_gift_cards_are_combinable_by_default(self):
        card = self.env["loyalty.program"].create({"name": "Gift", "program_type": "gift_card"})
        self.assertTrue(card.combinable)
        self.assertFalse(self.make_program().combinable)

    def test_conflicts_block_approval_until_a_manager_overrides_them(self):
        live = self.release(self.make_program(release_at=self.hours(-1)))
        new = self.make_program(discount=25, release_at=self.hours(-1))
        new.with_user(self.requester).action_submit()
        with self.assertRaisesRegex(UserError, "do not combine"):
            new.with_user(self.approver).action_approve()
        self.assertEqual(new.release_state, "to_approve")
        with self.assertRaisesRegex(AccessError, "Promotion Manager"):
            new.with_user(self.salesman)._approval_override("We accept it")
        with self.assertRaisesRegex(UserError, "Say why"):
            new.with_user(self.approver)._approval_override(" ")
        action = new.with_user(self.approver).action_override_conflicts()
        wizard = (
            self.env[action["res_model"]]
            .with_user(self.approver)
            .with_context(action["context"])
            .create({"reason": "Both run in different shops"})
        )
        wizard.action_reject()
        self.assertEqual(new.conflict_override_ids, live)
        override = new.approval_decision_ids.filtered(lambda d: d.decision == "override")
        self.assertEqual(override.reason, "Both run in different shops")
        self.assertEqual(override.user_id, self.approver)
        new.with_user(self.approver).action_approve()
        self.assertEqual(new.release_state, "active")
        # At order time the two still never stack on the same line.
        order = self.make_order((self.desk, 1))
        lines = self.apply_promotions(order)
        self.assertEqual(len(lines.reward_id.program_id), 1, "one non-combinable program a line")
        order._update_programs_and_rewards()
        self.assertEqual(len(order.order_line.filtered("reward_id").reward_id.program_id), 1)

    def test_of_two_waiting_programs_the_first_approved_blocks_the_other(self):
        first = self.make_program(release_at=self.hours(-1))
        second = self.make_program(discount=25, release_at=self.hours(-1))
        (first | second).with_user(self.requester).action_submit()
        self.assertEqual(first.conflict_program_ids, second, "shown while both wait")
        first.with_user(self.approver).action_approve()
        self.assertEqual(first.release_state, "active")
        with self.assertRaisesRegex(UserError, "do not combine"):
            second.with_user(self.approver).action_approve()
        self.assertEqual(second.release_state, "to_approve")

    def test_a_combinable_program_stacks_on_the_order(self):
        self.release(self.make_program(release_at=self.hours(-1)))
        self.release(self.make_program(discount=5, combinable=True, release_at=self.hours(-1)))
        order = self.make_order((self.desk, 1))
        lines = self.apply_promotions(order)
        self.assertEqual(len(lines.reward_id.program_id), 2)
