from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged

from odoo.addons.integration_core.compat.groups import USER_GROUPS


@tagged("post_install", "-at_install")
class TestStockPublicationTours(HttpCase):
    """An operations user freezes a channel's publication in the UI; Python checks the channel
    and that the chatter names who froze it and when."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ops = cls.env["res.users"].create(
            {
                "name": "Oscar Operations",
                "login": "tour_operations",
                "password": "tour_operations",
                "email": "tour_operations@example.com",
                USER_GROUPS: [(6, 0, [cls.env.ref("stock.group_stock_manager").id])],
            }
        )
        connector = cls.env["integration.connector"].create(
            {
                "name": "Tour Webshop",
                "code": "tour-sp-webshop",
                "base_url": "http://127.0.0.1:9",
                "allowed_domain_ids": [(6, 0, [cls.env.ref("integration_core.domain_stock").id])],
            }
        )
        warehouse = cls.env["stock.warehouse"].create({"name": "Tour North", "code": "TRN"})
        cls.channel = cls.env["stock.publication.channel"].create(
            {
                "name": "Tour Webshop stock",
                "connector_id": connector.id,
                "warehouse_ids": [(6, 0, [warehouse.id])],
            }
        )

    def test_operations_user_freezes_a_channel(self):
        self.assertFalse(self.channel.frozen)
        before = fields.Datetime.now().replace(microsecond=0)
        self.start_tour("/odoo", "stock_publication_ops_freeze", login="tour_operations")
        after = fields.Datetime.now() + timedelta(seconds=1)
        self.channel.invalidate_recordset()
        self.assertTrue(self.channel.frozen)
        self.assertEqual(self.channel.publication_status, "frozen")
        self.assertEqual(self.channel.write_uid, self.ops)

        messages = self.channel.message_ids.filtered(lambda m: m.author_id == self.ops.partner_id)
        # The note says who and when.
        notes = messages.filtered(lambda m: "Incident switches changed by" in (m.body or ""))
        self.assertEqual(len(notes), 1, messages.mapped("body"))
        self.assertIn("Oscar Operations", notes.body)
        self.assertIn("publication frozen", notes.body)
        self.assertTrue(before <= notes.date <= after, (before, notes.date, after))
        stamp = notes.body.split(" at ", 1)[1].split(" UTC", 1)[0]
        stamped = fields.Datetime.to_datetime(stamp)
        self.assertTrue(before <= stamped <= after, (before, stamped, after))
        # The tracking of the switch is authored by the same user.
        trackings = messages.tracking_value_ids.filtered(lambda t: t.field_id.name == "frozen")
        self.assertEqual(len(trackings), 1)
        self.assertFalse(trackings.old_value_integer)
        self.assertTrue(trackings.new_value_integer)
