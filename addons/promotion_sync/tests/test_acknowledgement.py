from odoo.tests import tagged

from .common import PromotionCase


@tagged("post_install", "-at_install")
class TestPromotionAcknowledgement(PromotionCase):
    """promotion.applied: a channel confirms or rejects a program's snapshot version."""

    def acknowledge(self, payload, external_id):
        event = self.env["integration.inbound.event"].create(
            {
                "connector_id": self.channel.id,
                "domain_id": self.domain_promotion.id,
                "event_type": "promotion.applied",
                "external_id": external_id,
                "payload": payload,
            }
        )
        event._process()
        return event

    def test_rejection_goes_to_the_requester_of_the_program(self):
        program = self.release(
            self.make_program(release_at=self.hours(-1), expire_at=self.hours(10))
        )
        message = self.promotion_messages(program)
        self.process()
        self.assertEqual(message.state, "sent")
        event = self.acknowledge(
            {
                "status": "rejected",
                "version": 1,
                "record": {"program_id": program.id},
                "reason": "Overlaps campaign SUMMER on the same SKUs",
            },
            "promo-ack-1",
        )
        self.assertEqual(event.state, "done", event.error_message)
        self.assertEqual(message.ack_state, "rejected")
        self.assertEqual(message.ack_reason, "Overlaps campaign SUMMER on the same SKUs")
        user = program.requested_by_id or program.create_uid
        activity = program.activity_ids.filtered(lambda a: a.user_id == user)
        self.assertIn("rejected promotion", activity.summary)
        self.assertIn("Overlaps campaign SUMMER", activity.note)
        self.assertFalse(self.channel.activity_ids)
        # An older version that was never sent names no message: refused, nothing changes.
        event = self.acknowledge(
            {"status": "applied", "version": 7, "record": {"program_id": program.id}},
            "promo-ack-2",
        )
        self.assertEqual(event.state, "dead")
        self.assertEqual(message.ack_state, "rejected")
        # Applied by its idempotency key.
        self.acknowledge(
            {"status": "applied", "idempotency_key": message.idempotency_key}, "promo-ack-3"
        )
        self.assertEqual(message.ack_state, "applied")
        self.assertFalse(message.ack_reason)
