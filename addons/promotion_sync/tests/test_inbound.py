from odoo import Command
from odoo.tests import tagged

from .common import PromotionCase


@tagged("post_install", "-at_install")
class TestInboundPromotion(PromotionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.engine = cls.make_connector(
            "promo-engine", allowed_domain_ids=[Command.set([cls.domain_promotion.id])]
        )

    def campaign(self, external_id="evt-1", connector=None, **payload):
        values = {
            "program_id": 501,
            "name": "Engine: 12% on desks",
            "version": 1,
            "status": "active",
            "program_type": "promotion",
            "combinable": False,
            "starts_at": "2030-01-01T08:00:00Z",
            "ends_at": "2030-01-31T22:00:00+00:00",
            "rules": [{"minimum_qty": 1}],
            "rewards": [
                {
                    "reward_type": "discount",
                    "discount": 12,
                    "discount_mode": "percent",
                    "discount_applicability": "specific",
                    "discount_skus": ["T-DESK"],
                }
            ],
            "skus": ["T-DESK"],
        }
        values.update(payload)
        event = self.env["integration.inbound.event"].create(
            {
                "connector_id": (connector or self.engine).id,
                "domain_id": self.domain_promotion.id,
                "event_type": "promotion.proposed",
                "external_id": external_id,
                "payload": values,
            }
        )
        event._process()
        return event

    def programs(self):
        return (
            self.env["loyalty.program"]
            .with_context(active_test=False)
            .search([("external_ref", "like", "t-promo-engine:%")])
        )

    def test_campaign_from_the_owner_becomes_a_program_to_approve(self):
        self.domain_promotion.owner_connector_id = self.engine
        event = self.campaign()
        self.assertEqual(event.state, "done", event.error_message)
        program = self.programs()
        self.assertEqual(len(program), 1)
        self.assertEqual(program.release_state, "to_approve")
        self.assertFalse(program.active)
        self.assertEqual(program.source_connector_id, self.engine)
        self.assertEqual(program.rule_ids.product_ids, self.desk)
        self.assertEqual(program.reward_ids.discount, 12)
        self.assertEqual(program.reward_ids.discount_product_ids, self.desk)
        self.assertEqual(str(program.release_at), "2030-01-01 08:00:00")
        self.assertEqual(str(program.expire_at), "2030-01-31 22:00:00")
        # A Promotion Manager approves it like any other: scheduled for January 2030.
        program.with_user(self.approver).action_approve()
        self.assertEqual(program.release_state, "scheduled")

    def test_repeat_and_newer_version(self):
        self.domain_promotion.owner_connector_id = self.engine
        self.campaign()
        again = self.campaign(external_id="evt-2")
        self.assertEqual(again.state, "done")
        self.assertIn("already known", again.result)
        self.assertEqual(len(self.programs()), 1)
        program = self.programs()
        program.with_user(self.approver).action_approve()
        newer = self.campaign(
            external_id="evt-3",
            version=2,
            rewards=[
                {
                    "reward_type": "discount",
                    "discount": 18,
                    "discount_mode": "percent",
                    "discount_applicability": "order",
                }
            ],
        )
        self.assertEqual(newer.state, "done", newer.error_message)
        self.assertEqual(len(self.programs()), 1)
        self.assertEqual(program.release_state, "to_approve")
        self.assertTrue(program.pending_change)
        self.assertEqual(program.reward_ids.discount, 18)
        self.assertEqual(program.external_version, 2)

    def test_refused_when_the_connector_does_not_own_promotions(self):
        event = self.campaign()  # Odoo owns promotions
        self.assertEqual(event.state, "dead")
        self.assertEqual(event.error_category, "ownership")
        self.assertFalse(self.programs())
        other = self.make_connector("promo-other")
        self.domain_promotion.owner_connector_id = other
        event = self.campaign(external_id="evt-9")
        self.assertEqual(event.error_category, "ownership")
        self.assertFalse(self.programs())

    def test_invalid_campaigns_are_refused_with_nothing_created(self):
        self.domain_promotion.owner_connector_id = self.engine
        bad_schema = self.campaign(external_id="e1", version=0)
        self.assertEqual((bad_schema.state, bad_schema.error_category), ("dead", "validation"))
        self.assertIn("version", bad_schema.error_message)
        unknown_sku = self.campaign(external_id="e2", skus=["NOPE-1"])
        self.assertEqual(unknown_sku.error_category, "mapping")
        self.assertIn("NOPE-1", unknown_sku.error_message)
        bad_reward = self.campaign(
            external_id="e3",
            rewards=[{"reward_type": "discount", "discount": -5, "discount_mode": "percent"}],
        )
        self.assertEqual(bad_reward.error_category, "validation")
        no_reward = self.campaign(external_id="e4", rewards=[])
        self.assertEqual(no_reward.error_category, "validation")
        self.assertFalse(self.programs())
