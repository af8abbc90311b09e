import base64

from odoo.tests import tagged

from .common import IntegrationCase


@tagged("post_install", "-at_install")
class TestMapping(IntegrationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Product = cls.env["product.product"]
        cls.desk = Product.create(
            {"name": "Map Desk", "default_code": "MAP-DESK", "barcode": "4006381333931"}
        )
        cls.chair = Product.create({"name": "Map Chair", "default_code": "MAP-CHAIR"})
        cls.unit = cls.env.ref("uom.product_uom_unit")
        cls.dozen = cls.env.ref("uom.product_uom_dozen")
        cls.Mapping = cls.env["integration.product.mapping"]

    def test_outbound_translates_skus_and_units(self):
        self.env["integration.product.mapping"].create(
            {
                "connector_id": self.connector.id,
                "product_id": self.desk.id,
                "external_sku": "SHOP-777",
            }
        )
        self.env["integration.uom.mapping"].create(
            {"connector_id": self.connector.id, "uom_id": self.unit.id, "external_code": "EA"}
        )
        message = self.enqueue(self.stock_message("MAP-DESK", uom=self.unit.name))
        self.process()
        self.assertEqual(message.state, "sent")
        sent = self.receiver.deliveries()[0].json["payload"]
        self.assertEqual((sent["sku"], sent["uom"]), ("SHOP-777", "EA"))
        self.assertEqual(message.payload["sku"], "MAP-DESK", "the queue keeps our own SKU")

    def stock_message(self, sku="SKU-1", quantity=5, connector=None, uom=None, **extra):
        message = super().stock_message(sku, quantity, connector, **extra)
        if uom:
            message["payload"]["uom"] = uom
        return message

    def test_unmapped_product_is_a_mapping_exception_for_the_responsible(self):
        self.connector.mapping_required = True
        message = self.enqueue(self.stock_message("MAP-CHAIR"))
        self.process()
        self.assertEqual(message.state, "dead")
        self.assertEqual(message.error_category, "mapping")
        self.assertIn("MAP-CHAIR", message.error_message)
        self.assertFalse(self.receiver.deliveries(), "nothing is sent under our own SKU")
        self.assertEqual(message.activity_ids.user_id, self.responsible)
        self.assertEqual(self.connector.circuit_state, "closed", "a mapping gap is not an outage")
        # Add the mapping, replay: it goes under the external SKU.
        self.env["integration.product.mapping"].create(
            {
                "connector_id": self.connector.id,
                "product_id": self.chair.id,
                "external_sku": "SHOP-CH",
            }
        )
        message.action_replay()
        self.process()
        self.assertEqual(message.state, "sent")
        self.assertEqual(self.receiver.deliveries()[0].json["payload"]["sku"], "SHOP-CH")

    def test_unmapped_products_view(self):
        self.env["integration.product.mapping"].create(
            {
                "connector_id": self.connector.id,
                "product_id": self.desk.id,
                "external_sku": "SHOP-777",
            }
        )
        action = self.connector.action_open_unmapped_products()
        unmapped = self.env["product.product"].search(action["domain"])
        self.assertIn(self.chair, unmapped)
        self.assertNotIn(self.desk, unmapped)

    def test_inbound_lookup_by_mapping_or_reference(self):
        self.env["integration.product.mapping"].create(
            {
                "connector_id": self.connector.id,
                "product_id": self.desk.id,
                "external_sku": "SHOP-777",
            }
        )
        self.assertEqual(
            self.external(["SHOP-777", "MAP-CHAIR"]),
            {"SHOP-777": self.desk, "MAP-CHAIR": self.chair},
        )
        self.connector.mapping_required = True
        self.assertEqual(self.external(["SHOP-777", "MAP-CHAIR"]), {"SHOP-777": self.desk})

    def external(self, skus):
        return self.Mapping._products_for_external_skus(self.connector, skus)

    def _import(self, text):
        wizard = self.env["integration.mapping.import.wizard"].create(
            {
                "connector_id": self.connector.id,
                "file": base64.b64encode(text.encode()),
                "filename": "m.csv",
            }
        )
        wizard.action_import()
        return wizard

    def test_csv_import_all_or_nothing(self):
        bad = self._import(
            "internal_reference,barcode,external_sku\n"
            "MAP-DESK,,S-1\n"
            "NOPE,,S-2\n"
            ",4006381333931,S-3\n"
            "MAP-CHAIR,,S-1\n"
        )
        self.assertFalse(self.connector.product_mapping_ids, "nothing imported on any error")
        self.assertIn("Line 3: no product", bad.error_report)
        self.assertIn(
            "Line 4: product [MAP-DESK] Map Desk appears twice (line 2)", bad.error_report
        )
        self.assertIn("Line 5: external SKU S-1 is used twice", bad.error_report)
        good = self._import(
            "internal_reference,barcode,external_sku,external_id\nMAP-DESK,,S-1,99\n,,,\n"[:-5]
        )
        self.assertFalse(good.error_report)
        self.assertEqual(good.imported_count, 1)
        self.assertEqual(self.connector.product_mapping_ids.external_sku, "S-1")
        self.assertEqual(self.connector.product_mapping_ids.external_id, "99")

    def test_csv_without_required_columns_is_refused(self):
        from odoo.exceptions import UserError

        with self.assertRaisesRegex(UserError, "header with external_sku"):
            self._import("sku,name\nA,B\n")

    def test_inbound_lookup_goes_by_the_configured_field(self):
        """Changed behaviour: an unmapped SKU is matched on the connector's field only
        (internal reference by default, or barcode), no longer on either."""
        self.Mapping.create(
            {"connector_id": self.connector.id, "product_id": self.desk.id, "external_sku": "W-1"}
        )
        skus = ["W-1", "MAP-CHAIR", "4006381333931", "NOPE"]
        self.assertEqual(self.external(skus), {"W-1": self.desk, "MAP-CHAIR": self.chair})
        self.connector.product_match = "barcode"
        self.assertEqual(self.external(skus), {"W-1": self.desk, "4006381333931": self.desk})
        self.connector.mapping_required = True
        self.assertEqual(self.external(skus), {"W-1": self.desk})
