from odoo.tests import tagged

from .common import PriceCase


@tagged("post_install", "-at_install")
class TestInboundPrices(PriceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.engine = cls.make_connector("pricing-engine")
        cls.domain_price.owner_connector_id = cls.engine

    def event(self, payload, connector=None, external_id="evt-1"):
        event = self.env["integration.inbound.event"].create(
            {
                "connector_id": (connector or self.engine).id,
                "domain_id": self.domain_price.id,
                "event_type": "price.proposed",
                "external_id": external_id,
                "payload": payload,
            }
        )
        event._process()
        return event

    def proposal(self, price, **extra):
        return {
            "sku": "PG-KETTLE",
            "pricelist": "PG Test Retail",
            "currency": self.currency.name,
            "price": price,
            **extra,
        }

    def change_of(self, event):
        return self.Change.search([("inbound_event_id", "=", event.id)])

    def test_proposal_becomes_a_change_to_approve(self):
        event = self.event(self.proposal(93.0, effective_from="2031-01-01T00:00:00Z"))
        self.assertEqual(event.state, "done", event.error_message)
        change = self.change_of(event)
        self.assertEqual(change.state, "to_approve")
        self.assertEqual(change.source, "inbound")
        self.assertEqual(change.line_ids.fixed_price, 93.0)
        self.assertEqual(change.line_ids.product_id, self.product)
        self.assertEqual(str(change.effective_from), "2031-01-01 00:00:00")
        self.assertIn(change.name, event.result)
        self.assertTrue(change.activity_ids.filtered(lambda a: a.user_id == self.responsible))

    def test_a_price_per_box_becomes_a_price_per_unit(self):
        """The engine prices boxes of 12 of our Units: its price and quantity break are
        converted into the product's unit through the connector's unit mapping."""
        self.env["integration.uom.mapping"].create(
            {
                "connector_id": self.engine.id,
                "uom_id": self.product.uom_id.id,
                "external_code": "BX",
                "counted_uom_id": self.env.ref("uom.product_uom_dozen").id,
            }
        )
        event = self.event(
            self.proposal(1116.0, uom="BX", min_quantity=2, effective_from="2031-01-01T00:00:00Z")
        )
        self.assertEqual(event.state, "done", event.error_message)
        line = self.change_of(event).line_ids
        self.assertEqual((line.fixed_price, line.min_quantity), (93.0, 24.0))

    def test_within_guardrail_is_approved_automatically(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "price_governance.inbound_guardrail_percent", "5"
        )
        event = self.event(
            {"prices": [self.proposal(96.0), {**self.proposal(48.0), "sku": "PG-TOASTER"}]}
        )
        change = self.change_of(event)
        self.assertEqual(change.state, "approved", event.error_message)
        self.assertEqual(len(change.version_ids), 2)
        decision = change.approval_decision_ids.filtered(lambda d: d.decision == "approve")
        self.assertIn("guardrail", decision.reason)
        # Outside the guardrail: waits for a person.
        event2 = self.event(
            self.proposal(80.0, effective_from="2032-01-01T00:00:00Z"), external_id="evt-2"
        )
        self.assertEqual(self.change_of(event2).state, "to_approve")

    def test_a_system_that_does_not_own_prices_is_refused(self):
        event = self.event(self.proposal(93.0), connector=self.connector)
        self.assertEqual(event.state, "dead")
        self.assertEqual(event.error_category, "ownership")
        self.assertFalse(self.change_of(event))

    def test_unknown_product_or_pricelist_is_refused_and_nothing_is_created(self):
        count = self.Change.search_count([])
        event = self.event({"prices": [self.proposal(93.0), {**self.proposal(1.0), "sku": "NOPE"}]})
        self.assertEqual(event.state, "dead")
        self.assertEqual(event.error_category, "mapping")
        self.assertIn("NOPE", event.error_message)
        event = self.event({**self.proposal(93.0), "pricelist": "Nope"}, external_id="evt-3")
        self.assertEqual(event.error_category, "mapping")
        event = self.event({**self.proposal(93.0), "currency": "XXX"}, external_id="evt-4")
        self.assertEqual(event.state, "dead")
        event = self.event(self.proposal(-3.0), external_id="evt-5")
        self.assertEqual(event.state, "dead")
        self.assertEqual(self.Change.search_count([]), count)

    def test_overlapping_proposal_dies_naming_the_change(self):
        window = {"effective_from": "2031-03-01T00:00:00Z", "effective_to": "2031-03-08T00:00:00Z"}
        first = self.event(self.proposal(93.0, **window))
        second = self.event(self.proposal(94.0, **window), external_id="evt-2")
        self.assertEqual(second.state, "dead")
        self.assertIn(self.change_of(first).name, second.error_message)
        self.assertFalse(self.change_of(second))
