"""Shared set-up of integration_core tests: a real local receiver and connectors to it."""

from odoo.tests import TransactionCase

from odoo.addons.integration_core.compat.groups import USER_GROUPS

from .receiver import TestReceiver


class IntegrationCase(TransactionCase):
    """A TransactionCase with a local HTTP receiver running for the whole class."""

    receiver_options = {}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.receiver = TestReceiver(**cls.receiver_options).start()
        cls.addClassCleanup(cls.receiver.stop)
        cls.env["ir.config_parameter"].sudo().set_param(
            "integration_core.instance_environment", "test"
        )
        cls.Message = cls.env["integration.message"]
        # Demo messages waiting in the queue would be delivered by the tests' runs.
        cls.Message.search([("state", "in", ("pending", "failed", "sending"))]).write(
            {"state": "cancelled"}
        )
        cls.domain_stock = cls.env.ref("integration_core.domain_stock")
        cls.domain_price = cls.env.ref("integration_core.domain_base_price")
        cls.responsible = cls.env["res.users"].create(
            {
                "name": "Rita Responsible",
                "login": "rita.responsible@example.com",
                USER_GROUPS: [(6, 0, [cls.env.ref("integration_core.group_integration_user").id])],
            }
        )
        cls.connector = cls.make_connector("webshop")

    def setUp(self):
        super().setUp()
        self.receiver.reset()

    @classmethod
    def make_connector(cls, code, **vals):
        values = {
            "name": code.title(),
            "code": f"t-{code}",  # demo connectors own the plain codes
            "base_url": cls.receiver.url,
            "environment": "test",
            "allowed_domain_ids": [(6, 0, [cls.domain_stock.id, cls.domain_price.id])],
            "responsible_user_id": cls.responsible.id,
            "retry_base_delay": 30,
            "max_attempts": 3,
            # One request after the other: what each test sees is deterministic; parallel
            # requests have tests of their own.
            "parallel_requests": 1,
        }
        values.update(vals)
        return cls.env["integration.connector"].create(values)

    def stock_message(self, sku="SKU-1", quantity=5, connector=None, **extra):
        return {
            "connector": connector or self.connector,
            "domain": "stock",
            "event_type": "stock.level",
            "payload": {"sku": sku, "quantity": quantity},
            "schema": ("stock", 1),
            **extra,
        }

    def enqueue(self, *messages):
        return self.Message._enqueue(list(messages))

    def process(self, **kwargs):
        kwargs.setdefault("time_budget", 30)
        return self.Message._process_queue(**kwargs)
