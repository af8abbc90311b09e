from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import IntegrationCase


@tagged("post_install", "-at_install")
class TestEnqueue(IntegrationCase):
    def test_enqueue_creates_pending_messages(self):
        messages = self.enqueue(self.stock_message("A"), self.stock_message("B", priority="high"))
        self.assertEqual(len(messages), 2)
        self.assertEqual(set(messages.mapped("state")), {"pending"})
        self.assertEqual(messages.mapped("priority_class"), ["2_normal", "1_high"])
        self.assertEqual(messages[0].payload, {"sku": "A", "quantity": 5})
        self.assertEqual(messages[0].schema_id, self.env["integration.schema"]._lookup("stock"))
        self.assertEqual(messages[0].company_id, self.connector.company_id)
        self.assertTrue(messages[0].idempotency_key)
        self.assertNotEqual(messages[0].idempotency_key, messages[1].idempotency_key)

    def test_invalid_payload_is_refused_and_nothing_is_queued(self):
        before = self.Message.search_count([])
        with self.assertRaisesRegex(ValidationError, r"Message 2 of 2 .*stock/v\d.*quantity"):
            self.enqueue(self.stock_message("A"), self.stock_message("B", quantity=-3))
        self.assertEqual(self.Message.search_count([]), before)

    def test_missing_required_field_names_it(self):
        bad = self.stock_message("A")
        bad["payload"] = {"quantity": 1}
        with self.assertRaisesRegex(ValidationError, "'sku' is a required property"):
            self.enqueue(bad)

    def test_domain_not_allowed_is_refused(self):
        message = self.stock_message("A")
        message["domain"] = "promotion"
        with self.assertRaisesRegex(ValidationError, "not allowed to receive Promotion data"):
            self.enqueue(message)

    def test_unknown_domain_connector_and_priority_are_refused(self):
        with self.assertRaisesRegex(ValidationError, "unknown data domain"):
            self.enqueue({**self.stock_message(), "domain": "weather"})
        with self.assertRaisesRegex(ValidationError, "no such connector"):
            self.enqueue({**self.stock_message(), "connector": 999999})
        with self.assertRaisesRegex(ValidationError, "unknown priority"):
            self.enqueue(self.stock_message(priority="urgent!!"))
        with self.assertRaisesRegex(ValidationError, "payload must be a JSON object"):
            self.enqueue({**self.stock_message(), "payload": [1, 2]})

    def test_archived_connector_is_refused(self):
        self.connector.active = False
        with self.assertRaisesRegex(ValidationError, "archived"):
            self.enqueue(self.stock_message())

    def test_same_idempotency_key_is_queued_once(self):
        first = self.enqueue(self.stock_message("A", idempotency_key="k-1"))
        again = self.enqueue(self.stock_message("A", idempotency_key="k-1"))
        self.assertEqual(len(first), 1)
        self.assertFalse(again)
        self.assertEqual(self.Message.search_count([("idempotency_key", "=", "k-1")]), 1)

    def test_newer_message_supersedes_older_waiting_one(self):
        old = self.enqueue(self.stock_message("A", quantity=5, coalescing_key="stock:A"))
        other = self.enqueue(self.stock_message("B", quantity=1, coalescing_key="stock:B"))
        new = self.enqueue(self.stock_message("A", quantity=7, coalescing_key="stock:A"))
        self.assertEqual(old.state, "superseded")
        self.assertEqual(old.superseded_by_id, new)
        self.assertEqual(other.state, "pending")
        self.assertEqual(new.state, "pending")

    def test_coalescing_within_one_call_keeps_the_last(self):
        messages = self.enqueue(
            self.stock_message("A", quantity=1, coalescing_key="stock:A"),
            self.stock_message("A", quantity=2, coalescing_key="stock:A"),
            self.stock_message("A", quantity=3, coalescing_key="stock:A"),
        )
        self.assertEqual(len(messages), 1)
        self.assertEqual(messages.payload["quantity"], 3)

    def test_sent_message_is_not_superseded(self):
        old = self.enqueue(self.stock_message("A", coalescing_key="stock:A"))
        self.process()
        self.assertEqual(old.state, "sent")
        self.enqueue(self.stock_message("A", quantity=9, coalescing_key="stock:A"))
        self.assertEqual(old.state, "sent")

    def test_bulk_enqueue_runs_a_fixed_number_of_queries(self):
        def run(count):
            messages = [
                self.stock_message(f"SKU-{count}-{i}", quantity=i, coalescing_key=f"s:{count}:{i}")
                for i in range(count)
            ]
            self.env.flush_all()
            start = self.env.cr.sql_log_count
            created = self.Message._enqueue(messages)
            return len(created), self.env.cr.sql_log_count - start

        run(5)  # warm the caches (schemas, domains, connector)
        small_count, small_queries = run(10)
        big_count, big_queries = run(2000)
        self.assertEqual((small_count, big_count), (10, 2000))
        self.assertLessEqual(big_queries, small_queries, "enqueue must not run a query per message")
        self.assertLess(big_queries, 25)

    def test_realtime_message_triggers_every_delivery_worker(self):
        crons = self.env.ref("integration_core.ir_cron_integration_deliver") | self.env.ref(
            "integration_core.ir_cron_integration_deliver_2"
        )
        self.assertEqual(self.Message._delivery_crons() & crons, crons)
        Trigger = self.env["ir.cron.trigger"].sudo()

        def triggers():
            return Trigger.search_count([("cron_id", "in", crons.ids)])

        before = triggers()
        self.enqueue(self.stock_message("A", priority="batch"))
        self.assertEqual(triggers(), before)
        self.enqueue(self.stock_message("B", priority="realtime"))
        self.assertEqual(triggers(), before + 2)

    def test_publish_api_on_any_record_reaches_every_allowed_connector(self):
        # Only this test's connectors (demo data may have others).
        self.env["integration.connector"].search([("id", "!=", self.connector.id)]).active = False
        marketplace = self.make_connector("marketplace")
        self.make_connector(
            "wms", allowed_domain_ids=[(6, 0, [self.env.ref("integration_core.domain_product").id])]
        )
        partner = self.env["res.partner"].create({"name": "Source"})
        messages = partner._integration_publish(
            "stock",
            "stock.level",
            [{"sku": "A", "quantity": 1}],
            schema="stock",
            idempotency_keys=["stock-A-1"],
            versions=[4],
        )
        self.assertEqual(messages.connector_id, self.connector | marketplace)
        self.assertEqual(
            sorted(messages.mapped("idempotency_key")),
            ["stock-A-1:t-marketplace", "stock-A-1:t-webshop"],
        )
        self.assertEqual(set(messages.mapped("res_model")), {"res.partner"})
        self.assertEqual(set(messages.mapped("res_id")), {partner.id})
        self.assertEqual(set(messages.mapped("source_version")), {"4"})
        # The system of record of a domain is never among its default receivers.
        self.domain_stock.owner_connector_id = marketplace
        again = partner._integration_publish(
            "stock", "stock.level", [{"sku": "A", "quantity": 2}], schema="stock"
        )
        self.assertEqual(again.connector_id, self.connector)
