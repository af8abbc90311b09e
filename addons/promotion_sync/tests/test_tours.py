from datetime import date, timedelta

from freezegun import freeze_time

from odoo import Command, fields
from odoo.tests import HttpCase, tagged

from odoo.addons.integration_core.compat.groups import USER_GROUPS

from ..tools.local_time import utc_from_local
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
                USER_GROUPS: [
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


@tagged("post_install", "-at_install")
class TestSchedulingTour(PromotionSetup, HttpCase):
    """A marketing user schedules a campaign at 18:00 in the company's time zone (Brussels,
    not the browser's UTC) and submits it; a Promotion Manager approves it (in Python); at
    that minute the release Scheduled Action, triggered for it, makes it live, and the
    marketing user sees it Active."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_promotions()
        cls.env.company.partner_id.tz = "Europe/Brussels"
        cls.marketing = cls.env["res.users"].create(
            {
                "name": "Marta Marketing",
                "login": "tour_scheduler",
                "password": "tour_scheduler",
                "email": "tour_scheduler@example.com",
                "tz": "UTC",
                USER_GROUPS: [
                    Command.set(
                        [
                            cls.env.ref("sales_team.group_sale_manager").id,
                            cls.env.ref("promotion_sync.group_promotion_manager").id,
                        ]
                    )
                ],
            }
        )
        cls.campaign = (
            cls.env["loyalty.program"]
            .with_user(cls.marketing)
            .create(
                {
                    "name": "Tour flash lamps",
                    "program_type": "promotion",
                    "trigger": "auto",
                    "rule_ids": [Command.create({"product_ids": [Command.set(cls.lamp.ids)]})],
                    "reward_ids": [
                        Command.create(
                            {
                                "reward_type": "discount",
                                "discount": 30,
                                "discount_mode": "percent",
                                "discount_applicability": "specific",
                                "discount_product_ids": [Command.set(cls.lamp.ids)],
                            }
                        )
                    ],
                }
            )
            .with_user(cls.env.user)
        )

    def test_marketing_schedules_at_shop_time_and_sees_it_go_live(self):
        self.start_tour("/odoo", "promotion_sync_marketing_schedules", login="tour_scheduler")
        campaign = self.campaign
        campaign.invalidate_recordset()
        self.assertEqual(campaign.release_state, "to_approve")
        self.assertEqual(campaign.release_time, 18.0)
        today = date.today()
        self.assertIn(campaign.release_date, [today + timedelta(days=n) for n in (1, 2, 3)])
        # 18:00 in Brussels, stored in UTC: 17:00 in winter, 16:00 in summer.
        release_at = utc_from_local(campaign.release_date, 18.0, "Europe/Brussels")
        self.assertEqual(campaign.release_at, release_at)
        self.assertIn(release_at.hour, (16, 17))

        campaign.with_user(self.approver).action_approve()
        self.assertEqual(campaign.release_state, "scheduled")
        self.assertFalse(campaign.active)
        cron = self.env.ref("promotion_sync.ir_cron_promotion_release_schedule")
        self.assertTrue(
            self.env["ir.cron.trigger"].search(
                [("cron_id", "=", cron.id), ("call_at", "=", release_at)]
            ),
            "the Scheduled Action is woken at that very minute",
        )
        with freeze_time(release_at - timedelta(minutes=1)):
            cron.method_direct_trigger()
        self.assertEqual(campaign.release_state, "scheduled", "not a minute early")
        with freeze_time(release_at + timedelta(seconds=5)):
            cron.method_direct_trigger()
        self.assertEqual(campaign.release_state, "active")
        self.assertTrue(campaign.active)
        self.assertLessEqual(fields.Datetime.now(), release_at)

        self.start_tour("/odoo", "promotion_sync_marketing_sees_it_live", login="tour_scheduler")
