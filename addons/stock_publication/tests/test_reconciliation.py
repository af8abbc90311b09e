from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from odoo.addons.integration_core.compat.groups import USER_GROUPS
from odoo.addons.integration_core.tools.workflow import workflow_scope

from .common import StockPublicationCase


@tagged("post_install", "-at_install")
class TestReconciliation(StockPublicationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Demo and other channels stay out of these runs.
        cls.Channel.search([("id", "not in", cls.channels.ids)]).write({"active": False})

    def test_snapshot_in_chunks_with_progress_publishes_differences_only(self):
        self.set_stock(self.p1, self.wh1, 10)
        self.set_stock(self.p2, self.wh1, 6)
        self.channels.action_request_snapshot()
        self.assertEqual(set(self.channels.mapped("snapshot_state")), {"requested"})
        self.Channel._cron_snapshot(chunk_size=7)
        publishable = len(self.Channel._publishable_products())
        for channel in self.channels:
            self.assertEqual(channel.snapshot_state, "idle")
            self.assertTrue(channel.last_snapshot_at)
            self.assertEqual(channel.snapshot_checked, publishable)
            self.assertEqual(channel.snapshot_differences, len(self.messages(channel)))
        self.assertEqual(self.published()[("t-webshop", "TST-0")], 10)
        self.assertEqual(self.published()[("t-webshop", "TST-3")], 0)
        # A quantity changed behind our back (no event): the next snapshot finds it, only it.
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE stock_quant SET quantity = 20 WHERE product_id = %s AND location_id = %s",
            (self.p1.id, self.wh1.lot_stock_id.id),
        )
        self.env.cr.execute("DELETE FROM stock_publication_dirty")
        self.env.invalidate_all()
        before = self.messages()
        self.channels.action_request_snapshot()
        self.Channel._cron_snapshot(chunk_size=3)
        new = self.messages() - before
        self.assertEqual(
            {(m.payload["channel"], m.payload["sku"], m.payload["quantity"]) for m in new},
            {("t-webshop", "TST-0", 20), ("t-market", "TST-0", 9)},
        )
        self.assertEqual((self.shop.snapshot_differences, self.market.snapshot_differences), (1, 1))
        self.assertEqual(
            set(new.mapped("priority_class")), {"2_normal"}, "snapshots yield to events"
        )
        self.assertEqual(self.shop.snapshot_checked, publishable)

    def test_snapshot_resumes_where_it_stopped(self):
        self.shop.action_request_snapshot()
        self.Channel._cron_snapshot(chunk_size=1, time_budget=0)
        self.assertEqual(self.shop.snapshot_state, "running")
        self.assertEqual(self.shop.snapshot_checked, 0)
        with workflow_scope("stock.publication.channel"):
            self.shop.write({"snapshot_cursor": self.p2.id})
        self.Channel._cron_snapshot(chunk_size=100)
        self.assertEqual(self.shop.snapshot_state, "idle")
        skus = {m.payload["sku"] for m in self.messages(self.shop)}
        self.assertIn("TST-2", skus)
        self.assertNotIn("TST-0", skus, "products before the cursor were done by the first run")

    def test_nightly_snapshot_runs_every_running_channel(self):
        self.Channel._cron_snapshot(nightly=True)
        self.assertTrue(self.shop.last_snapshot_at and self.market.last_snapshot_at)

    def test_freeze_stops_publication_and_says_who_and_when(self):
        self.set_stock(self.p1, self.wh1, 10)
        user = self.env["res.users"].create(
            {
                "name": "Ivan Incident",
                "login": "ivan.incident@example.com",
                "email": False,
                USER_GROUPS: [(6, 0, [self.env.ref("stock.group_stock_manager").id])],
            }
        )
        # Records created in the running transaction are not tracked: end the creation first.
        self.cr.flush()
        self.shop.with_user(user).action_freeze()
        self.assertTrue(self.shop.frozen)
        self.assertEqual(self.shop.publication_status, "frozen")
        last = self.shop.message_ids.filtered(lambda m: "Incident" in (m.body or ""))
        self.assertIn("Ivan Incident", last.body)
        self.assertIn("frozen", last.body)
        self.assertEqual(last.author_id, user.partner_id)
        self.env.flush_all()
        self.cr.flush()  # tracking values are written at commit
        self.shop.invalidate_recordset()
        tracked = self.shop.message_ids.tracking_value_ids.filtered(
            lambda t: t.field_id.name == "frozen"
        )
        self.assertTrue(tracked)
        self.publish_dirty()
        self.assertFalse(self.messages(self.shop))
        self.assertTrue(self.messages(self.market), "other channels go on")
        self.Channel._cron_snapshot(nightly=True)
        self.assertFalse(self.messages(self.shop))
        # Unfreeze: a snapshot is requested and catches up.
        self.shop.with_user(user).action_unfreeze()
        self.assertEqual(self.shop.snapshot_state, "requested")
        self.Channel._cron_snapshot()
        self.assertEqual(self.published(self.shop)[("t-webshop", "TST-0")], 10)

    def test_reduce_exposure_caps_published_quantities(self):
        self.set_stock(self.p1, self.wh1, 40)
        self.publish_dirty()
        self.shop.exposure_percent = 25
        self.assertEqual(self.shop.publication_status, "reduced")
        self.assertIn("exposure 25", self.shop.message_ids[0].body)
        self.assertEqual(self.shop.snapshot_state, "requested")
        self.Channel._cron_snapshot()
        self.assertEqual(self.published(self.shop)[("t-webshop", "TST-0")], 10)
        self.shop.action_reset_exposure()
        self.Channel._cron_snapshot()
        self.assertEqual(self.published(self.shop)[("t-webshop", "TST-0")], 40)

    def test_bad_exposure_is_refused(self):
        from psycopg2 import IntegrityError

        from odoo.tools import mute_logger

        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            self.shop.exposure_percent = 150
            self.shop.flush_recordset()


@tagged("post_install", "-at_install")
class TestStaleness(StockPublicationCase):
    def age(self, hours, field="last_checked_at"):
        self.env.flush_all()
        self.env.cr.execute(
            f"UPDATE stock_publication_state SET {field} = %s WHERE channel_id = %s",  # noqa: S608
            (fields.Datetime.now() - timedelta(hours=hours), self.shop.id),
        )
        self.env.invalidate_all()

    def test_stale_products_listed_and_routed_as_one_activity(self):
        self.set_stock(self.p1, self.wh1, 10)
        self.set_stock(self.p2, self.wh1, 10)
        self.publish_dirty()
        states = self.State.search([("channel_id", "=", self.shop.id)])
        self.assertEqual(len(states), 2)
        self.assertFalse(states.filtered("is_stale"))
        self.assertEqual(self.shop.stale_count, 0)
        self.shop.stale_hours = 4
        self.age(5)
        self.assertEqual(
            self.State.search([("channel_id", "=", self.shop.id), ("is_stale", "=", True)]), states
        )
        self.shop.invalidate_recordset()
        self.assertEqual(self.shop.stale_count, 2)
        action = self.shop.action_view_stale()
        self.assertEqual(self.State.search(action["domain"]), states)
        self.Channel._cron_check_stale()
        activity = self.shop.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.responsible)
        self.assertIn("TST-0", activity.note)
        self.Channel._cron_check_stale()
        self.assertEqual(len(self.shop.activity_ids), 1, "one open activity, updated")
        # A reconciliation confirms the quantities: no longer stale, the activity is closed.
        self.shop.action_request_snapshot()
        self.Channel._cron_snapshot()
        self.assertFalse(
            self.State.search([("channel_id", "=", self.shop.id), ("is_stale", "=", True)])
        )
        self.Channel._cron_check_stale()
        self.assertFalse(self.shop.activity_ids)

    def test_undelivered_message_after_window_is_stale(self):
        self.set_stock(self.p1, self.wh1, 10)
        self.publish_dirty()
        self.shop.stale_hours = 2
        self.age(3, field="last_published_at")
        state = self.State.search([("channel_id", "=", self.shop.id)])
        self.assertEqual(state.message_state, "pending")
        self.assertTrue(state.is_stale)
        state.message_id.state = "sent"
        self.assertFalse(self.State.search([("id", "=", state.id), ("is_stale", "=", True)]))

    def test_bad_stale_search_is_refused(self):
        # 18.0 asks the field's search method, which refuses; 19.0's domain checks refuse a
        # comparison on a boolean before it.
        try:
            self.State.search([("is_stale", ">", 1)])
        except (NotImplementedError, ValueError):
            pass
        else:
            self.fail("a comparison on is_stale was accepted")

    def test_snapshot_confirms_what_it_compared_and_nothing_else(self):
        """A complete snapshot confirms every state it compared at once (the channel's
        snapshot_confirmed_at), without writing them: not those of products it no longer
        publishes (excluded, archived), nor any while it is still running."""
        self.set_stock(self.p1, self.wh1, 10)
        self.set_stock(self.p2, self.wh1, 10)
        self.publish_dirty()
        self.shop.stale_hours = 4
        self.age(5)
        states = self.State.search([("channel_id", "=", self.shop.id)])
        self.assertEqual(states.filtered("is_stale"), states)
        checked_before = {s.id: s.last_checked_at for s in states}
        # Interrupted after its first chunk: nothing is confirmed yet.
        self.shop.action_request_snapshot()
        self.Channel._cron_snapshot(chunk_size=1, time_budget=0)
        self.assertEqual(self.shop.snapshot_state, "running")
        states.invalidate_recordset()
        self.assertEqual(states.filtered("is_stale"), states)
        # p2 is excluded from the shop before the snapshot completes: it is no longer
        # published there, so the snapshot does not vouch for its last quantity.
        self.env["stock.publication.override"].create(
            {"channel_id": self.shop.id, "product_id": self.p2.id, "mode": "exclude"}
        )
        self.Channel._cron_snapshot(chunk_size=100)
        self.assertEqual(self.shop.snapshot_state, "idle")
        self.assertEqual(self.shop.snapshot_confirmed_at, self.shop.snapshot_started_at)
        state1 = states.filtered(lambda s: s.product_id == self.p1)
        state2 = states - state1
        states.invalidate_recordset()
        self.assertFalse(state1.is_stale)
        self.assertEqual(state1.confirmed_at, self.shop.snapshot_confirmed_at)
        self.assertEqual(
            state1.last_checked_at, checked_before[state1.id], "confirmed without a write"
        )
        self.assertTrue(state2.is_stale)
        self.assertEqual(
            self.State.search([("channel_id", "=", self.shop.id), ("is_stale", "=", True)]),
            state2,
        )
        # Archived products are not confirmed either.
        self.p1.product_tmpl_id.active = False
        states.invalidate_recordset()
        self.assertTrue(state1.is_stale)
