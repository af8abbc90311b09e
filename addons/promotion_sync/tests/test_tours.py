from odoo import Command
from odoo.tests import HttpCase, tagged

from .common import PromotionSetup


@tagged("post_install", "-at_install")
class TestPromotionTours(PromotionSetup, HttpCase):
    """A marketing user sends a draft promotion that overlaps a live non-combinable one for
    approval, through the UI; Python checks the state and the conflict it saw."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_promotions()
        cls.marketing = cls.env["res.users"].create(
            {
                "name": "Marta Marketing",
                "login": "tour_marketing",
                "password": "tour_marketing",
                "email": "tour_marketing@example.com",
                "groups_id": [
                    Command.set(
                        [
                            cls.env.ref("sales_team.group_sale_manager").id,
                            cls.env.ref("promotion_sync.group_promotion_manager").id,
                        ]
                    )
                ],
            }
        )
        # Live, non-combinable, on the desk, for the next two days.
        cls.live = cls.release(
            cls.make_program(
                name="Tour live desks", release_at=cls.hours(-1), expire_at=cls.hours(48)
            )
        )
        # The marketing user's draft: desk and chair, starting tomorrow, overlapping it.
        products = cls.desk | cls.chair
        cls.draft = (
            cls.env["loyalty.program"]
            .with_user(cls.marketing)
            .create(
                {
                    "name": "Tour spring desks",
                    "program_type": "promotion",
                    "trigger": "auto",
                    "release_at": cls.hours(24),
                    "expire_at": cls.hours(72),
                    "rule_ids": [
                        Command.create(
                            {"product_ids": [Command.set(products.ids)], "minimum_qty": 1}
                        )
                    ],
                    "reward_ids": [
                        Command.create(
                            {
                                "reward_type": "discount",
                                "discount": 15,
                                "discount_mode": "percent",
                                "discount_applicability": "specific",
                                "discount_product_ids": [Command.set(products.ids)],
                            }
                        )
                    ],
                }
            )
            .with_user(cls.env.user)
        )

    def test_marketing_sees_the_conflict_and_submits(self):
        self.assertEqual(self.live.release_state, "active")
        self.assertFalse(self.draft.combinable)
        self.assertEqual(self.draft.release_state, "draft")
        self.start_tour("/odoo", "promotion_sync_marketing_submits", login="tour_marketing")
        self.draft.invalidate_recordset()
        self.assertEqual(self.draft.release_state, "to_approve")
        self.assertEqual(self.draft.requested_by_id, self.marketing)
        self.assertEqual(self.draft.conflict_program_ids, self.live)
        self.assertEqual(self.draft.conflict_count, 1)
        self.assertEqual(self.draft.approval_decision_ids.mapped("decision"), ["submit"])
        self.assertFalse(self.draft.with_user(self.marketing).can_approve)
        # The live program now sees the newcomer too.
        self.live.invalidate_recordset(["conflict_program_ids"])
        self.assertEqual(self.live.conflict_program_ids, self.draft)
