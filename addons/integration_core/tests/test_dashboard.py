import json
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestOperationsDashboard(TransactionCase):
    """The figures of the operations dashboard, as one user of one company sees them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env["res.company"].create({"name": "Dashboard Co"})
        cls.other_company = cls.env["res.company"].create({"name": "Other Co"})
        cls.connector = cls.make_connector("dash-shop", cls.company)
        cls.other_connector = cls.make_connector("dash-other", cls.other_company)
        cls.user = cls.make_user(
            "dash.user", cls.company, "integration_core.group_integration_user"
        )
        cls.other_user = cls.make_user(
            "dash.other", cls.other_company, "integration_core.group_integration_user"
        )
        now = fields.Datetime.now()
        cls.enqueue(cls.connector, 3)
        sent, dead = cls.enqueue(cls.connector, 2, sku="DONE")
        # Sent before the dead letter died: each figure has its own time window.
        sent.write({"state": "sent", "sent_at": now - timedelta(hours=3), "latency_ms": 120})
        dead.write(
            {
                "state": "dead",
                "attempts": 3,
                "error_category": "rejected",
                "last_attempt_at": now - timedelta(hours=2),
                "dead_at": now - timedelta(hours=2),
            }
        )
        cls.other_dead = cls.enqueue(cls.other_connector, 1, sku="OTHER")
        cls.other_dead.write({"state": "dead", "dead_at": now - timedelta(days=3)})

    @classmethod
    def make_connector(cls, code, company):
        return cls.env["integration.connector"].create(
            {
                "name": code.title(),
                "code": code,
                "base_url": "http://127.0.0.1:9",
                "company_id": company.id,
                "allowed_domain_ids": [(6, 0, [cls.env.ref("integration_core.domain_stock").id])],
            }
        )

    @classmethod
    def make_user(cls, login, company, groups):
        return new_test_user(
            cls.env, login=login, groups=groups, company_id=company.id, company_ids=company.ids
        )

    @classmethod
    def enqueue(cls, connector, count, sku="SKU"):
        return cls.env["integration.message"]._enqueue(
            [
                {
                    "connector": connector,
                    "domain": "stock",
                    "event_type": "stock.level",
                    "payload": {"sku": f"{sku}-{index}", "quantity": index},
                    "schema": "stock",
                }
                for index in range(count)
            ]
        )

    def data_of(self, user):
        return self.env["integration.dashboard"].with_user(user).get_operations_data()

    def counter(self, data, key):
        return next(c for c in data["counters"] if c["key"] == key)

    def test_the_figures_match_the_queue(self):
        data = self.data_of(self.user)
        json.dumps(data)  # the web client gets it as JSON
        self.assertEqual(self.counter(data, "waiting")["value"], 3)
        dead = self.counter(data, "dead")
        self.assertEqual(dead["value"], 1)
        self.assertAlmostEqual(dead["age"], 7200, delta=60)
        self.assertEqual(self.counter(data, "sent")["value"], 1)
        self.assertEqual(self.counter(data, "failure_rate")["value"], 50.0)
        self.assertEqual(self.counter(data, "latency")["value"], "120 / 120")
        self.assertEqual(sum(hour["count"] for hour in data["throughput"]), 1)
        self.assertEqual(len(data["throughput"]), 24)
        self.assertEqual(
            data["failure_categories"],
            [{"category": "rejected", "label": "Rejected by the remote", "count": 1}],
        )
        self.assertEqual([b["outbound"] for b in data["exceptions_by_age"]], [0, 1, 0, 0])
        [row] = data["connectors"]
        self.assertEqual((row["name"], row["waiting"], row["dead"]), ("Dash-Shop", 3, 1))

    def test_each_counter_opens_the_list_behind_it(self):
        data = self.data_of(self.user)
        Message = self.env["integration.message"].with_user(self.user)
        for key, expected in (("waiting", 3), ("dead", 1), ("sent", 1), ("failure_rate", 1)):
            with self.subTest(counter=key):
                action = self.counter(data, key)["action"]
                self.assertEqual(action["res_model"], "integration.message")
                self.assertEqual(Message.search_count(action["domain"]), expected)

    def test_a_user_sees_nothing_of_another_company(self):
        data = self.data_of(self.other_user)
        self.assertEqual([row["name"] for row in data["connectors"]], ["Dash-Other"])
        self.assertEqual(self.counter(data, "waiting")["value"], 0)
        self.assertEqual(self.counter(data, "dead")["value"], 1)
        self.assertAlmostEqual(self.counter(data, "dead")["age"], 3 * 86400, delta=60)
        self.assertEqual([b["outbound"] for b in data["exceptions_by_age"]], [0, 0, 1, 0])

    def test_only_integration_users_read_it(self):
        internal = self.make_user("dash.internal", self.company, "base.group_user")
        portal = self.make_user("dash.portal", self.company, "base.group_portal")
        for user in (internal, portal):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.data_of(user)

    def test_a_company_without_connectors_gets_empty_figures(self):
        company = self.env["res.company"].create({"name": "Empty Co"})
        user = self.make_user("dash.empty", company, "integration_core.group_integration_user")
        data = self.data_of(user)
        self.assertFalse(data["has_connectors"])
        self.assertEqual(data["connectors"], [])
        self.assertEqual(self.counter(data, "dead")["value"], 0)

    def test_queries_do_not_grow_with_the_connectors(self):
        def queries():
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            self.data_of(self.user)
            return self.env.cr.sql_log_count - before

        queries()  # warm the caches that do not depend on the data (registry, groups)
        few = queries()
        self.assertLess(few, 40)
        for index in range(3):
            connector = self.make_connector(f"dash-more-{index}", self.company)
            self.enqueue(connector, 2)
        self.assertEqual(queries(), few)
        self.assertEqual(len(self.data_of(self.user)["connectors"]), 4)
