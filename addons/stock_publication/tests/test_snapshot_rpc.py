import xmlrpc.client

from odoo.tests import HttpCase, get_db_name, new_test_user, tagged

from odoo.addons.integration_core.tests.rpc import XmlRpcClientMixin

from .common import StockPublicationCase


@tagged("post_install", "-at_install")
class TestSnapshotProgressOverRpc(XmlRpcClientMixin, StockPublicationCase, HttpCase):
    """A Stock Manager configures channels over XML-RPC but cannot write their snapshot
    progress: setting snapshot_confirmed_at ahead would hide stale products."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.db = get_db_name()
        cls.stock_manager = new_test_user(
            cls.env,
            login="snap_manager",
            groups="stock.group_stock_manager",
            password="snap_manager-pw-2026",
        )

    def rpc_password(self, user):
        return f"{user.login}-pw-2026"

    def test_snapshot_fields_are_the_snapshots_own(self):
        self.set_stock(self.p1, self.wh1, 10)
        self.publish_dirty()
        self.shop.stale_hours = 4
        self.env.cr.execute(
            "UPDATE stock_publication_state SET last_checked_at = last_checked_at - "
            "interval '5 hours' WHERE channel_id = %s",
            [self.shop.id],
        )
        self.env.invalidate_all()
        stale = self.State.search([("channel_id", "=", self.shop.id), ("is_stale", "=", True)])
        self.assertTrue(stale)
        for vals in (
            {"snapshot_confirmed_at": "2999-01-01 00:00:00", "snapshot_confirmed_through": 10**9},
            {"snapshot_state": "idle"},
            {"last_snapshot_at": "2999-01-01 00:00:00"},
        ):
            with self.subTest(vals=vals):
                fault = self.xmlrpc(
                    self.stock_manager, "stock.publication.channel", "write", self.shop.ids, vals
                )
                self.assertIsInstance(fault, xmlrpc.client.Fault)
                self.assertIn("written by the snapshot itself", fault.faultString)
        self.assertFalse(self.shop.snapshot_confirmed_at)
        self.assertEqual(
            self.State.search([("channel_id", "=", self.shop.id), ("is_stale", "=", True)]), stale
        )
        # The channel's own settings stay the Stock Manager's, and the snapshot is asked for
        # through its action.
        self.assertIs(
            self.xmlrpc(
                self.stock_manager, "stock.publication.channel", "write", self.shop.ids,
                {"safety_buffer": 3},
            ),
            True,
        )  # fmt: skip
        self.assertEqual(self.shop.safety_buffer, 3)
        self.assertEqual(self.shop.snapshot_state, "requested")
