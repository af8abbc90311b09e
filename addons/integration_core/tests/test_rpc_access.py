"""The queue over the wire, as any logged-in account reaches it: XML-RPC and JSON-RPC.

Nobody queues a message from outside (the enqueue API is private) and no group writes a
message's fields; Integration Users handle messages through their checked actions only."""

import json
import xmlrpc.client

from odoo.tests import HttpCase, get_db_name, new_test_user, tagged
from odoo.tools import SQL, mute_logger

from ..models.res_config_settings import METRICS_TOKEN_HASH_PARAM
from .rpc import RPC_LOGGERS, XmlRpcClientMixin

EVIL_PRICE = {
    "connector": None,  # set per test: the connector's id
    "domain": "base_price",
    "event_type": "price.updated",
    "payload": {"sku": "FURN_0269", "pricelist": "Public", "currency": "EUR", "price": 0.01},
}


@tagged("post_install", "-at_install")
class TestRpcAccess(XmlRpcClientMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.db = get_db_name()
        cls.connector = cls.env["integration.connector"].create(
            {
                "name": "RPC Shop",
                "code": "t-rpc-shop",
                "base_url": "http://127.0.0.1:9",
                "environment": "test",
                "allowed_domain_ids": [
                    (6, 0, [cls.env.ref("integration_core.domain_base_price").id])
                ],
            }
        )
        cls.evil = [{**EVIL_PRICE, "connector": cls.connector.id}]
        cls.pending = cls.env["integration.message"]._enqueue(
            [
                {
                    **EVIL_PRICE,
                    "connector": cls.connector,
                    "payload": {**EVIL_PRICE["payload"], "price": 149.0},
                }
            ]
        )
        cls.users = {
            name: new_test_user(
                cls.env, login=f"rpc_{name}", groups=groups, password=f"{name}-pw-4711"
            )
            for name, groups in (
                ("portal", "base.group_portal"),
                ("internal", "base.group_user"),
                ("integration", "integration_core.group_integration_user"),
                ("manager", "integration_core.group_integration_manager"),
            )
        }

    # ------------------------------------------------------------------ clients

    def _password(self, user):
        return f"{user.login.removeprefix('rpc_')}-pw-4711"

    def rpc_password(self, user):
        return self._password(user)

    def jsonrpc(self, user, model, method, *args):
        """execute_kw through /jsonrpc as `user`; returns the error's data or the result."""
        body = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {
                "service": "object",
                "method": "execute_kw",
                "args": [self.db, user.id, self._password(user), model, method, list(args)],
            },
        }
        with mute_logger(*RPC_LOGGERS):
            answer = self.url_open(
                "/jsonrpc", json.dumps(body), headers={"Content-Type": "application/json"}
            ).json()
        return answer["error"]["data"] if "error" in answer else answer.get("result")

    def call_kw(self, user, model, method, *args):
        """The web client's /web/dataset/call_kw in a session of `user`."""
        self.authenticate(user.login, self._password(user))
        body = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {"model": model, "method": method, "args": list(args), "kwargs": {}},
        }
        with mute_logger(*RPC_LOGGERS):
            answer = self.url_open(
                f"/web/dataset/call_kw/{model}/{method}",
                json.dumps(body),
                headers={"Content-Type": "application/json"},
            ).json()
        return answer["error"]["data"] if "error" in answer else answer.get("result")

    def queue_table(self):
        """What the queue holds, read by SQL: (count, [(id, state, connector, payload)])."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT id, state, connector_id, payload::text FROM integration_message ORDER BY id"
            )
        )
        rows = self.env.cr.fetchall()
        return len(rows), rows

    def assertRefused(self, answer, expected):
        """`answer` is an XML-RPC Fault or a JSON-RPC error whose message says `expected`."""
        if isinstance(answer, xmlrpc.client.Fault):
            text = answer.faultString
        else:
            self.assertIsInstance(answer, dict, f"the call was not refused: {answer!r}")
            text = answer.get("message", "")
        self.assertIn(expected, text)

    # ------------------------------------------------------------------ tests

    def test_nobody_queues_a_message_over_rpc(self):
        before = self.queue_table()
        for name in ("portal", "internal"):
            user = self.users[name]
            for client in (self.xmlrpc, self.jsonrpc, self.call_kw):
                with self.subTest(user=name, client=client.__name__, method="_enqueue"):
                    answer = client(user, "integration.message", "_enqueue", self.evil)
                    self.assertRefused(answer, "cannot be called remotely")
                    self.assertEqual(self.queue_table(), before)
                with self.subTest(user=name, client=client.__name__, method="enqueue"):
                    answer = client(user, "integration.message", "enqueue", self.evil)
                    self.assertRefused(answer, "integration.message.enqueue' does not exist")
                    self.assertEqual(self.queue_table(), before)

    def test_no_group_writes_a_message_over_rpc(self):
        before = self.queue_table()
        count, _rows = before
        for name in ("integration", "manager"):
            user = self.users[name]
            with self.subTest(user=name, operation="write"):
                answer = self.xmlrpc(
                    user,
                    "integration.message",
                    "write",
                    self.pending.ids,
                    {"payload": {**EVIL_PRICE["payload"]}, "state": "pending"},
                )
                self.assertRefused(answer, "You are not allowed to modify")
                self.assertEqual(self.queue_table(), before)
            with self.subTest(user=name, operation="create"):
                answer = self.xmlrpc(
                    user,
                    "integration.message",
                    "create",
                    {
                        "connector_id": self.connector.id,
                        "domain_id": self.env.ref("integration_core.domain_base_price").id,
                        "event_type": "price.updated",
                        "idempotency_key": "rpc-forged",
                        "payload": EVIL_PRICE["payload"],
                    },
                )
                self.assertRefused(answer, "You are not allowed to create")
                self.assertEqual(self.queue_table(), before)
            with self.subTest(user=name, operation="unlink"):
                answer = self.xmlrpc(user, "integration.message", "unlink", self.pending.ids)
                self.assertRefused(answer, "You are not allowed to delete")
                self.assertEqual(self.queue_table()[0], count)

    def test_only_integration_users_cancel_and_replay(self):
        before = self.queue_table()
        for name in ("portal", "internal"):
            for method in ("action_cancel", "action_replay"):
                with self.subTest(user=name, method=method):
                    answer = self.xmlrpc(
                        self.users[name], "integration.message", method, self.pending.ids
                    )
                    self.assertRefused(answer, "Only members of Integration / User")
                    self.assertEqual(self.queue_table(), before)
        user = self.users["integration"]
        self.assertIs(
            self.xmlrpc(user, "integration.message", "action_cancel", self.pending.ids), True
        )
        self.assertEqual(self.pending.state, "cancelled")
        self.assertIs(
            self.xmlrpc(user, "integration.message", "action_replay", self.pending.ids), True
        )
        self.pending.invalidate_recordset()
        self.assertEqual(self.pending.state, "pending")
        self.assertEqual(self.pending.payload["price"], 149.0, "actions never touch the payload")
        # Reading a message is enough to discuss it.
        note_id = self.xmlrpc(
            user,
            "integration.message",
            "message_post",
            self.pending.ids,
            body="Called the shop.",
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )
        # 18.0 answers the new message's id, 19.0 the message as a list of ids.
        self.assertNotIsInstance(note_id, xmlrpc.client.Fault, note_id)
        self.assertEqual(len(note_id) if isinstance(note_id, list) else 1, 1, note_id)
        notes = self.pending.message_ids.filtered(lambda m: m.author_id == user.partner_id)
        self.assertIn("Called the shop.", notes.mapped("body")[0])
        self.assertTrue(
            any("Replayed by rpc_integration" in body for body in notes.mapped("body")),
            "the replay is noted in the user's name",
        )

    def test_connector_and_inbound_actions_check_the_caller(self):
        self.connector.write(
            {"circuit_state": "open", "consecutive_failures": 9, "last_error": "down"}
        )
        event = self.env["integration.inbound.event"].create(
            {
                "connector_id": self.connector.id,
                "domain_id": self.env.ref("integration_core.domain_base_price").id,
                "event_type": "price.updated",
                "external_id": "rpc-dead-1",
                "payload": {"sku": "FURN_0269"},
                "state": "dead",
            }
        )
        for name in ("portal", "internal", "integration"):
            user = self.users[name]
            for method in ("action_close_circuit", "action_test_connection"):
                with self.subTest(user=name, method=method):
                    answer = self.xmlrpc(user, "integration.connector", method, self.connector.ids)
                    self.assertRefused(answer, "Only members of Integration / Manager")
            self.connector.invalidate_recordset()
            self.assertEqual(self.connector.circuit_state, "open")
            self.assertFalse(self.connector.last_success_at)
        for name in ("portal", "internal"):
            for method in ("action_retry", "action_cancel"):
                with self.subTest(user=name, method=method):
                    answer = self.xmlrpc(
                        self.users[name], "integration.inbound.event", method, event.ids
                    )
                    self.assertRefused(answer, "Only members of Integration / User")
                    event.invalidate_recordset()
                    self.assertEqual(event.state, "dead")
        user = self.users["integration"]
        answer = self.xmlrpc(
            user, "integration.inbound.event", "write", event.ids, {"state": "done"}
        )
        self.assertRefused(answer, "You are not allowed to modify")
        self.assertIs(
            self.xmlrpc(user, "integration.inbound.event", "action_retry", event.ids), True
        )
        event.invalidate_recordset()
        self.assertEqual(event.state, "received")
        answer = self.xmlrpc(
            self.users["manager"],
            "integration.connector",
            "action_close_circuit",
            self.connector.ids,
        )
        self.assertIs(answer, True)
        self.connector.invalidate_recordset()
        self.assertEqual(self.connector.circuit_state, "closed")

    def test_metrics_token_actions_need_an_administrator(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param(METRICS_TOKEN_HASH_PARAM, "kept-hash")
        for name in ("portal", "internal", "manager"):
            for method in (
                "action_integration_generate_metrics_token",
                "action_integration_disable_metrics",
            ):
                with self.subTest(user=name, method=method):
                    answer = self.jsonrpc(self.users[name], "res.config.settings", method, [])
                    self.assertRefused(answer, "You are not allowed to access")
                    self.assertEqual(params.get_param(METRICS_TOKEN_HASH_PARAM), "kept-hash")
