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
        self.assertEqual(messages[0].schema_id, self.env.ref("integration_core.schema_stock_v1"))
        self.assertEqual(messages[0].company_id, self.connector.company_id)
        self.assertTrue(messages[0].idempotency_key)
        self.assertNotEqual(messages[0].idempotency_key, messages[1].idempotency_key)

    def test_invalid_payload_is_refused_and_nothing_is_queued(self):
        before = self.Message.search_count([])
        with self.assertRaisesRegex(ValidationError, r"Message 2 of 2 .*stock/v1.*quantity"):
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

    def test_any_enqueue_triggers_every_delivery_worker(self):
        crons = self.env.ref("integration_core.ir_cron_integration_deliver") | self.env.ref(
            "integration_core.ir_cron_integration_deliver_2"
        )
        self.assertEqual(self.Message._delivery_crons() & crons, crons)
        Trigger = self.env["ir.cron.trigger"].sudo()

        def triggers():
            return Trigger.search_count([("cron_id", "in", crons.ids)])

        before = triggers()
        self.enqueue(self.stock_message("A", priority="batch"))
        self.assertEqual(triggers(), before + 2, "a batch message wakes delivery too")
        self.enqueue(self.stock_message("B", priority="realtime"))
        self.assertEqual(triggers(), before + 4)
        # Nothing created (the same idempotency key again): nothing to wake.
        self.enqueue(self.stock_message("B", priority="realtime", idempotency_key="dup"))
        self.enqueue(self.stock_message("B", priority="realtime", idempotency_key="dup"))
        self.assertEqual(triggers(), before + 6)

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


@tagged("post_install", "-at_install")
class TestBulkEnqueue(IntegrationCase):
    """_enqueue streams its rows by COPY into a staging table, then merges them at once."""

    def bulk(self, prefix, count, **extra):
        return [
            self.stock_message(f"{prefix}-{i}", quantity=i, coalescing_key=f"{prefix}:{i}", **extra)
            for i in range(count)
        ]

    def test_all_or_nothing_on_one_invalid_message(self):
        before = self.Message.search_count([])
        messages = self.bulk("ALL", 3000)
        messages[-1]["payload"]["quantity"] = -1
        with self.assertRaisesRegex(ValidationError, "Message 3000 of 3000"):
            self.Message._enqueue(messages)
        self.assertEqual(self.Message.search_count([]), before)

    def test_idempotent_on_a_repeated_key_in_one_call_and_across_calls(self):
        messages = self.bulk("IDEM", 2000)
        for index, message in enumerate(messages):
            message["idempotency_key"] = f"idem-{index % 1000}"
            message["coalescing_key"] = None
        first = self.Message._enqueue(messages)
        self.assertEqual(len(first), 1000, "the first of each key is queued, once")
        self.assertEqual(
            first.mapped("payload")[:2], [messages[0]["payload"], messages[1]["payload"]]
        )
        self.assertFalse(self.Message._enqueue(messages))
        self.assertEqual(self.Message.search_count([("idempotency_key", "=like", "idem-%")]), 1000)

    def test_coalescing_inside_one_call_and_against_waiting_messages(self):
        waiting = self.Message._enqueue(self.bulk("CO", 1500))
        again = self.bulk("CO", 1500) + self.bulk("CO", 1500)
        for message in again[1500:]:
            message["payload"]["quantity"] += 10_000
        latest = self.Message._enqueue(again)
        self.assertEqual(len(latest), 1500, "the last message of each key in the call")
        self.assertEqual(min(m.payload["quantity"] for m in latest), 10_000)
        self.assertEqual(set(waiting.mapped("state")), {"superseded"})
        by_key = {m.coalescing_key: m for m in latest}
        for old in waiting:
            new = by_key[old.coalescing_key]
            self.assertEqual(old.superseded_by_id, new)
            self.assertLess(old.key_sequence, new.key_sequence)
        self.assertEqual(set(latest.mapped("state")), {"pending"})

    def test_text_the_staging_copy_must_carry_exactly(self):
        odd = 'comma, "quote", back\\slash \\N, tab\t, new\nline, ünïcødé €, , NULL'
        message = self.stock_message(odd, coalescing_key=odd, idempotency_key=odd)
        message["source_version"] = odd
        other = self.stock_message("", quantity=0)  # invalid: sku has minLength 1
        with self.assertRaises(ValidationError):
            self.enqueue(message, other)
        created = self.enqueue(message, self.stock_message("PLAIN"))
        self.assertEqual(created[0].payload["sku"], odd)
        self.assertEqual(
            (created[0].coalescing_key, created[0].idempotency_key, created[0].source_version),
            (odd, odd, odd),
        )
        self.assertFalse(created[1].coalescing_key, "None stays NULL")
        self.assertFalse(created[1].res_model)
        # Twice in one transaction: the staging table holds only the second call's rows.
        self.assertEqual(len(self.enqueue(self.stock_message("SECOND"))), 1)
