"""One product identity: integration.product.mapping translates every SKU at any depth of a
payload and every product node's unit, outbound (delivered to a real local receiver) and
inbound, with the connector's choice of internal reference or barcode, in a constant number
of queries per delivery batch."""

from odoo.tests import tagged

from .common import IntegrationCase


@tagged("post_install", "-at_install")
class TestProductIdentity(IntegrationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Product = cls.env["product.product"]
        cls.desk = Product.create(
            {"name": "PI Desk", "default_code": "PI-DESK", "barcode": "4006381333948"}
        )
        cls.chair = Product.create({"name": "PI Chair", "default_code": "PI-CHAIR"})
        cls.bare = Product.create({"name": "PI Bare", "barcode": "5012345678900"})
        cls.unit = cls.env.ref("uom.product_uom_unit")
        cls.dozen = cls.env.ref("uom.product_uom_dozen")
        cls.dozen.active = True  # archived by default on 19.0; a name finds active units only
        cls.Mapping = cls.env["integration.product.mapping"]
        cls.connector.allowed_domain_ids |= cls.env.ref("integration_core.domain_promotion")

    def map(self, product, sku):
        return self.Mapping.create(
            {"connector_id": self.connector.id, "product_id": product.id, "external_sku": sku}
        )

    def map_unit(self, code="BX", counted=None):
        return self.env["integration.uom.mapping"].create(
            {
                "connector_id": self.connector.id,
                "uom_id": self.unit.id,
                "external_code": code,
                "counted_uom_id": counted.id if counted else False,
            }
        )

    def sent(self):
        return [delivery.json["payload"] for delivery in self.receiver.deliveries()]

    def stock(self, sku, quantity=5, **payload):
        message = self.stock_message(sku, quantity)
        message["payload"].update(payload)
        return message

    def promotion(self, **payload):
        return {
            "connector": self.connector,
            "domain": "promotion",
            "event_type": "promotion.updated",
            "schema": ("promotion", 1),
            "payload": {"program_id": 1, "name": "P", "version": 1, "status": "active", **payload},
        }

    def price(self, sku, **payload):
        return {
            "connector": self.connector,
            "domain": "base_price",
            "event_type": "price.updated",
            "schema": ("price", 1),
            "payload": {"sku": sku, "pricelist": "Shop", "currency": "EUR", **payload},
        }

    def test_nested_skus_go_out_mapped(self):
        self.map(self.desk, "SHOP-DESK")
        self.map(self.chair, "SHOP-CHAIR")
        promotion, stock = self.enqueue(
            self.promotion(
                skus=["PI-DESK", "PI-CHAIR"],
                rules=[{"mode": "auto", "skus": ["PI-CHAIR"]}],
                rewards=[{"reward_type": "product", "reward_skus": ["PI-DESK"]}],
            ),
            self.stock("PI-DESK", quantity=0, discontinued=True, substitute_sku="PI-CHAIR"),
        )
        self.process()
        self.assertEqual((promotion.state, stock.state), ("sent", "sent"))
        sent_promotion, sent_stock = self.sent()
        self.assertEqual(sent_promotion["skus"], ["SHOP-DESK", "SHOP-CHAIR"])
        self.assertEqual(sent_promotion["rules"][0]["skus"], ["SHOP-CHAIR"])
        self.assertEqual(sent_promotion["rewards"][0]["reward_skus"], ["SHOP-DESK"])
        self.assertEqual(
            (sent_stock["sku"], sent_stock["substitute_sku"]), ("SHOP-DESK", "SHOP-CHAIR")
        )
        self.assertEqual(promotion.payload["skus"], ["PI-DESK", "PI-CHAIR"], "queue keeps ours")

    def test_nested_unmapped_sku_is_a_mapping_exception_when_required(self):
        self.connector.mapping_required = True
        self.map(self.desk, "SHOP-DESK")
        self.map_unit("EA")
        message = self.enqueue(
            self.stock("PI-DESK", uom="Units", discontinued=True, substitute_sku="PI-CHAIR")
        )
        self.process()
        self.assertEqual((message.state, message.error_category), ("dead", "mapping"))
        self.assertIn("PI-CHAIR", message.error_message)
        self.assertFalse(self.receiver.deliveries())

    def test_units_convert_outbound(self):
        """The connector counts our Units by boxes of 12: quantities divide, unit prices
        multiply, and each product node states the connector's code."""
        self.map_unit("BX", counted=self.dozen)
        stock, price = self.enqueue(
            self.stock("PI-DESK", quantity=30, uom="Units"),
            self.price(
                "PI-CHAIR",
                uom="Units",
                price=1.5,
                min_quantity=12,
                breaks=[{"min_quantity": 24, "price": 1.25}],
            ),
        )
        self.process()
        self.assertEqual((stock.state, price.state), ("sent", "sent"))
        sent_stock, sent_price = self.sent()
        self.assertEqual((sent_stock["uom"], sent_stock["quantity"]), ("BX", 2.5))
        self.assertEqual(
            (sent_price["uom"], sent_price["price"], sent_price["min_quantity"]), ("BX", 18, 1)
        )
        self.assertEqual(sent_price["breaks"], [{"min_quantity": 2, "price": 15}])
        self.assertEqual(stock.payload["quantity"], 30, "the queue keeps our figures")

    def test_unmapped_unit_is_a_mapping_exception_when_required(self):
        self.connector.mapping_required = True
        self.map(self.desk, "SHOP-DESK")
        message = self.enqueue(self.stock("PI-DESK", quantity=24, uom="Units"))
        self.process()
        self.assertEqual((message.state, message.error_category), ("dead", "mapping"))
        self.assertIn("unit Units", message.error_message)
        self.assertFalse(self.receiver.deliveries(), "nothing goes in our own unit")
        self.map_unit("BX", counted=self.dozen)
        message.action_replay()
        self.process()
        self.assertEqual(message.state, "sent")
        self.assertEqual(self.sent()[0], {"sku": "SHOP-DESK", "quantity": 2, "uom": "BX"})

    def test_products_go_by_barcode_when_the_connector_says_so(self):
        self.connector.product_match = "barcode"
        # bare has no internal reference: our payloads give it its barcode as SKU.
        self.enqueue(self.stock("PI-DESK"), self.stock("5012345678900"), self.stock("PI-CHAIR"))
        self.process()
        self.assertEqual(
            [payload["sku"] for payload in self.sent()],
            ["4006381333948", "5012345678900", "PI-CHAIR"],
            "by barcode; a product without one keeps our SKU",
        )
        # A product published under its barcode is mapped like any other.
        self.receiver.reset()
        self.connector.mapping_required = True
        self.map(self.bare, "SHOP-BARE")
        self.enqueue(self.stock("5012345678900"))
        self.process()
        self.assertEqual(self.sent()[0]["sku"], "SHOP-BARE")

    def test_inbound_units_convert_back(self):
        self.map(self.desk, "SHOP-DESK")
        self.map_unit("BX", counted=self.dozen)

        def inbound(payload):
            return self.Mapping._inbound(self.connector, payload)

        payload, products, problems = inbound({"sku": "SHOP-DESK", "uom": "BX", "quantity": 2})
        self.assertEqual(
            (payload, products, problems),
            ({"sku": "SHOP-DESK", "uom": "Units", "quantity": 24}, {"SHOP-DESK": self.desk}, []),
        )
        # No unit named: nothing to convert.
        self.assertEqual(
            inbound({"sku": "SHOP-DESK", "quantity": 2})[0], {"sku": "SHOP-DESK", "quantity": 2}
        )
        # Not required: one of our units by name.
        self.assertEqual(
            inbound({"sku": "SHOP-DESK", "uom": self.dozen.name, "quantity": 2})[0]["quantity"],
            24,
        )
        self.connector.mapping_required = True
        _payload, _products, problems = inbound(
            {"sku": "SHOP-DESK", "uom": self.dozen.name, "quantity": 2}
        )
        self.assertIn(f"Unit {self.dozen.name} of SHOP-DESK", problems[0])
        _payload, _products, problems = inbound({"sku": "PI-CHAIR", "quantity": 2})
        self.assertIn("No product is known as PI-CHAIR", problems[0])

    def test_a_unit_counted_in_another_kind_is_refused(self):
        from odoo.exceptions import ValidationError

        with self.assertRaises(ValidationError):
            self.map_unit("BX", counted=self.env.ref("uom.product_uom_kgm"))

    def test_queries_per_batch_are_constant(self):
        products = self.env["product.product"].create(
            [{"name": f"PI {i}", "default_code": f"PI-{i}"} for i in range(30)]
        )
        self.Mapping.create(
            [
                {"connector_id": self.connector.id, "product_id": p.id, "external_sku": f"X{i}"}
                for i, p in enumerate(products)
            ]
        )
        self.map_unit("BX", counted=self.dozen)

        def queries(count):
            messages = self.enqueue(
                *[
                    self.stock(
                        p.default_code,
                        uom="Units",
                        discontinued=True,
                        substitute_sku=products[-1 - i].default_code,
                    )
                    for i, p in enumerate(products[:count])
                ]
            )
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            bodies, unmapped = messages._bodies(self.connector)
            spent = self.env.cr.sql_log_count - before
            self.assertFalse(unmapped)
            self.assertEqual(bodies.of(messages[-1].id)["payload"]["uom"], "BX")
            return spent

        self.assertEqual(queries(3), queries(30))
