from odoo.exceptions import AccessError
from odoo.tests import tagged

from odoo.addons.integration_core.compat.groups import USER_GROUPS
from odoo.addons.integration_core.tools.workflow import workflow_scope

from .common import StockPublicationCase


@tagged("post_install", "-at_install")
class TestAccessAndLocations(StockPublicationCase):
    def test_quality_hold_toggle_requests_a_snapshot_that_republishes(self):
        self.set_stock(self.p1, self.wh1, 10)
        self.Channel._cron_publish_dirty()
        self.assertEqual(self.published(self.shop)[("t-webshop", "TST-0")], 10)
        with workflow_scope("stock.publication.channel"):
            self.channels.write({"snapshot_state": "idle"})
        self.wh1.lot_stock_id.quality_hold = True
        self.assertEqual(set(self.channels.mapped("snapshot_state")), {"requested"})
        self.Channel._cron_snapshot()
        self.assertEqual(self.published(self.shop)[("t-webshop", "TST-0")], 0)

    def test_stock_manager_configures_channels_stock_user_only_reads(self):
        manager = self.env["res.users"].create(
            {
                "name": "Sam Stock",
                "login": "sam.stock@example.com",
                USER_GROUPS: [(6, 0, [self.env.ref("stock.group_stock_manager").id])],
            }
        )
        user = self.env["res.users"].create(
            {
                "name": "Ulla User",
                "login": "ulla.user@example.com",
                USER_GROUPS: [(6, 0, [self.env.ref("stock.group_stock_user").id])],
            }
        )
        other = self.make_connector("third")
        channel = self.Channel.with_user(manager).create(
            {"name": "Third", "connector_id": other.id, "warehouse_ids": [(6, 0, [self.wh1.id])]}
        )
        channel.with_user(manager).write({"share_percent": 40})
        self.assertEqual(channel.with_user(user).share_percent, 40)
        with self.assertRaises(AccessError):
            channel.with_user(user).write({"share_percent": 10})
        with self.assertRaises(AccessError):
            self.env["stock.publication.override"].with_user(user).create(
                {"channel_id": channel.id, "product_id": self.p1.id, "mode": "exclude"}
            )
