from odoo import Command
from odoo.tests import tagged

from .common import PromotionCase


@tagged("post_install", "-at_install")
class TestPublication(PromotionCase):
    def test_payload_is_valid_and_delivered(self):
        program = self.release(
            self.make_program(release_at=self.hours(-1), expire_at=self.hours(10))
        )
        messages = self.promotion_messages(program)
        self.assertEqual(
            messages.connector_id,
            self.channel,
            "only connectors allowed the promotion domain are told",
        )
        self.assertEqual(messages.event_type, "promotion.active")
        self.assertEqual(messages.source_version, "1")
        schema = self.env["integration.schema"]._lookup(("promotion", 1))
        self.assertEqual(schema._errors(messages.payload), [])
        self.assertEqual(messages.payload["status"], "active")
        self.assertEqual(messages.payload["skus"], ["T-DESK"])
        self.process()
        self.assertEqual(messages.state, "sent")
        [request] = self.receiver.deliveries()
        self.assertEqual(request.headers["x-event-type"], "promotion.active")
        self.assertEqual(request.json["payload"]["program_id"], program.id)
        self.assertEqual(request.json["payload"]["version"], 1)

    def test_product_lists_go_out_under_the_channel_skus(self):
        Mapping = self.env["integration.product.mapping"]
        for product, sku in ((self.desk, "SHOP-DESK"), (self.chair, "SHOP-CHAIR")):
            Mapping.create(
                {"connector_id": self.channel.id, "product_id": product.id, "external_sku": sku}
            )
        program = self.release(self.make_program(self.desk | self.chair, release_at=self.hours(-1)))
        messages = self.promotion_messages(program)
        self.assertEqual(messages.payload["skus"], ["T-CHAIR", "T-DESK"], "the queue keeps ours")
        self.process()
        [request] = self.receiver.deliveries()
        payload = request.json["payload"]
        self.assertEqual(payload["skus"], ["SHOP-CHAIR", "SHOP-DESK"])
        self.assertEqual(payload["rules"][0]["skus"], ["SHOP-CHAIR", "SHOP-DESK"])
        self.assertEqual(payload["rewards"][0]["discount_skus"], ["SHOP-CHAIR", "SHOP-DESK"])

    def test_publish_to_overrides_the_domain_subscribers(self):
        other = self.make_connector(
            "promo-other", allowed_domain_ids=[Command.set([self.domain_promotion.id])]
        )
        program = self.make_program(
            release_at=self.hours(-1), publish_connector_ids=[Command.set(other.ids)]
        )
        self.release(program)
        self.assertEqual(self.promotion_messages(program).connector_id, other)

    def test_never_published_back_to_the_engine_that_owns_promotions(self):
        self.domain_promotion.owner_connector_id = self.channel
        other = self.make_connector(
            "promo-other", allowed_domain_ids=[Command.set([self.domain_promotion.id])]
        )
        program = self.release(self.make_program(release_at=self.hours(-1)))
        self.assertEqual(self.promotion_messages(program).connector_id, other)

    def test_no_publication_before_release(self):
        program = self.release(self.make_program(release_at=self.hours(3)))
        self.assertEqual(program.release_state, "scheduled")
        self.assertFalse(self.promotion_messages(program))

    def test_expiry_supersedes_a_waiting_activation(self):
        program = self.release(
            self.make_program(release_at=self.hours(-2), expire_at=self.hours(1))
        )
        program._approval_write({"expire_at": self.hours(-1)})
        self.env["loyalty.program"]._cron_release_schedule()
        messages = self.promotion_messages(program)
        self.assertEqual(messages.mapped("state"), ["superseded", "pending"])
        self.assertEqual(messages[-1].payload["status"], "expired")

    def test_one_enqueue_for_many_programs(self):
        programs = self.env["loyalty.program"]
        for index in range(4):
            programs |= self.release(
                self.make_program(name=f"Bulk {index}", release_at=self.hours(2), combinable=True)
            )
        programs._approval_write({"release_at": self.hours(-1)})
        self.env["loyalty.program"]._cron_release_schedule()
        messages = self.env["integration.message"].search(
            [
                ("res_model", "=", "loyalty.program"),
                ("res_id", "in", programs.ids),
                ("connector_id", "=", self.channel.id),
            ]
        )
        self.assertEqual(len(messages), 4)
        self.assertEqual(sorted(messages.mapped("res_id")), sorted(programs.ids))
        for message in messages:
            program = programs.browse(message.res_id)
            self.assertEqual(message.payload["program_id"], program.id)
            self.assertEqual(message.payload["name"], program.name)
