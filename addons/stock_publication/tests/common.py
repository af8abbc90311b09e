"""Shared set-up: two warehouses, two connectors to the local receiver, a few products."""

from odoo.addons.integration_core.tests.common import IntegrationCase


class StockPublicationCase(IntegrationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.cr.execute("DELETE FROM stock_publication_dirty")
        cls.Channel = cls.env["stock.publication.channel"]
        cls.State = cls.env["stock.publication.state"]
        cls.Quant = cls.env["stock.quant"]
        cls.wh1 = cls.env["stock.warehouse"].create({"name": "Test North", "code": "TN1"})
        cls.wh2 = cls.env["stock.warehouse"].create({"name": "Test South", "code": "TS2"})
        cls.marketplace = cls.make_connector("market")
        cls.products = cls.env["product.product"].create(
            [
                {"name": f"Test sprocket {i}", "default_code": f"TST-{i}", "is_storable": True}
                for i in range(4)
            ]
        )
        cls.p1, cls.p2, cls.p3, cls.p4 = cls.products
        cls.shop = cls.Channel.create(
            {
                "name": "Test shop",
                "connector_id": cls.connector.id,
                "warehouse_ids": [(6, 0, [cls.wh1.id, cls.wh2.id])],
            }
        )
        cls.market = cls.Channel.create(
            {
                "name": "Test market",
                "connector_id": cls.marketplace.id,
                "warehouse_ids": [(6, 0, [cls.wh1.id])],
                "share_percent": 50,
                "safety_buffer": 2,
            }
        )
        cls.channels = cls.shop | cls.market

    def create_move(self, description, **values):
        """A stock move, with its description where the series has the field (stock.move.name
        is gone in Odoo 19.0)."""
        Move = self.env["stock.move"]
        if "name" in Move._fields:
            values["name"] = description
        return Move.create(values)

    def set_stock(self, product, warehouse, quantity, location=None):
        location = location or warehouse.lot_stock_id
        self.Quant._update_available_quantity(product, location, quantity)

    def dirty_ids(self):
        self.env.cr.execute("SELECT product_id FROM stock_publication_dirty")
        return {row[0] for row in self.env.cr.fetchall()}

    def messages(self, channel=None, states=("pending",)):
        connectors = (channel or self.channels).connector_id
        return self.Message.search(
            [("connector_id", "in", connectors.ids), ("state", "in", list(states))], order="id"
        )

    def published(self, channel=None, states=("pending",)):
        """{(connector code, sku): quantity} of the waiting messages."""
        return {
            (m.payload["channel"], m.payload["sku"]): m.payload["quantity"]
            for m in self.messages(channel, states)
        }

    def publish_dirty(self):
        return self.Channel._cron_publish_dirty()
