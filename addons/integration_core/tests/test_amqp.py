"""The AMQP 0-9-1 transport against the real RabbitMQ of the machine (127.0.0.1:5672).

No broker, no pass: when RabbitMQ cannot be reached the whole class fails with one sentence
saying so. INTEGRATION_TEST_AMQP_URL points the tests at another broker (guest/guest unless
the URL's user info says otherwise).
"""

import json
import os
import socket
import time
import uuid
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

import pika

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged

from ..tools import amqp
from .common import IntegrationCase

BROKER_URL = os.environ.get("INTEGRATION_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")


def _split(url):
    """(URL without user info, user, password)."""
    parts = urlsplit(url)
    netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
    clean = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    return clean, parts.username or "guest", parts.password or "guest"


class Broker:
    """The test's own connection to the broker: declares exchanges and queues, reads back."""

    def __init__(self, url):
        self.connection = pika.BlockingConnection(pika.URLParameters(url))
        self.channel = self.connection.channel()

    def exchange(self):
        name = f"test.integration.{uuid.uuid4().hex[:10]}"
        self.channel.exchange_declare(name, "topic", auto_delete=False)
        return name

    def queue(self, exchange, binding="#", **arguments):
        name = self.channel.queue_declare("", exclusive=True, arguments=arguments or None)
        queue = name.method.queue
        self.channel.queue_bind(queue, exchange, routing_key=binding)
        return queue

    def drain(self, queue):
        """Every message waiting in `queue`: (method, properties, body) in order."""
        messages = []
        while True:
            method, properties, body = self.channel.basic_get(queue, auto_ack=True)
            if method is None:
                return messages
            messages.append((method, properties, body))

    def close(self):
        if self.connection.is_open:
            self.connection.close()


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@tagged("post_install", "-at_install")
class TestAmqpTransport(IntegrationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.broker = Broker(BROKER_URL)
        except Exception as exc:  # noqa: BLE001 - any failure means: no broker here
            raise AssertionError(
                f"RabbitMQ cannot be reached at {_split(BROKER_URL)[0]} ({type(exc).__name__}): "
                "start it (rabbitmq-server -detached) or set INTEGRATION_TEST_AMQP_URL; the AMQP "
                "transport is tested against a real broker only."
            ) from exc
        cls.addClassCleanup(cls.broker.close)
        cls.broker_url, cls.user, cls.password = _split(BROKER_URL)

    def setUp(self):
        super().setUp()
        self.exchange = self.broker.exchange()
        self.addCleanup(self.broker.channel.exchange_delete, self.exchange)
        self.amqp = self.amqp_connector("amqp")

    def amqp_connector(self, code, **vals):
        values = {
            "transport": "amqp",
            "base_url": self.broker_url,
            "amqp_username": self.user,
            "amqp_exchange": self.exchange,
            "kind": "middleware",
        }
        values.update(vals)
        connector = self.make_connector(f"{code}-{uuid.uuid4().hex[:6]}", **values)
        connector.secret_input = vals.get("secret_input", self.password)
        return connector

    def test_published_persistent_confirmed_with_idempotency_key_as_message_id(self):
        queue = self.broker.queue(self.exchange)
        stock = self.enqueue(self.stock_message("AMQP-1", quantity=7, connector=self.amqp))
        price = self.enqueue(
            {
                "connector": self.amqp,
                "domain": "base_price",
                "event_type": "price.activated",
                "payload": {"sku": "AMQP-1", "price": 9.5, "currency": "EUR"},
            }
        )
        counts = self.process()
        self.assertEqual(counts.get("sent"), 2, counts)
        self.assertEqual((stock | price).mapped("state"), ["sent", "sent"])
        self.assertEqual(stock.error_category, False)
        received = {
            props.message_id: (method, props, body)
            for method, props, body in self.broker.drain(queue)
        }
        self.assertEqual(set(received), {stock.idempotency_key, price.idempotency_key})
        method, props, body = received[stock.idempotency_key]
        self.assertEqual(method.routing_key, "stock.stock.level")
        self.assertEqual(
            received[price.idempotency_key][0].routing_key, "base_price.price.activated"
        )
        self.assertEqual(props.delivery_mode, 2, "messages must be persistent")
        self.assertEqual(props.content_type, "application/json")
        self.assertEqual(props.type, "stock.level")
        self.assertEqual(props.headers["domain"], "stock")
        envelope = json.loads(body)
        self.assertEqual(envelope["idempotency_key"], stock.idempotency_key)
        self.assertEqual(envelope["payload"], {"sku": "AMQP-1", "quantity": 7})
        self.assertEqual(self.amqp.last_success_at.date(), fields.Date.today())
        # Nothing went over HTTP.
        self.assertFalse(self.receiver.deliveries())

    def test_cloudevents_over_amqp_parse_with_the_sdk(self):
        from cloudevents.core.bindings import amqp as ce_amqp

        queue = self.broker.queue(self.exchange)
        connector = self.amqp_connector("amqp-ce", envelope_format="cloudevents")
        message = self.enqueue(self.stock_message("CE-AMQP", quantity=3, connector=connector))
        self.process()
        self.assertEqual(message.state, "sent")
        [(_method, props, body)] = self.broker.drain(queue)
        self.assertTrue(props.content_type.startswith("application/cloudevents+json"))
        self.assertEqual(props.message_id, message.idempotency_key)
        event = ce_amqp.from_amqp_event(
            ce_amqp.AMQPMessage(
                properties={"content-type": props.content_type},
                application_properties={},
                application_data=body,
            )
        )
        self.assertEqual(event.get_id(), message.idempotency_key)
        self.assertEqual(event.get_type(), "stock.level")
        self.assertEqual(event.get_data(), {"sku": "CE-AMQP", "quantity": 3})

    def test_routing_key_template(self):
        self.amqp.amqp_routing_key = "erp.{connector}.{domain}"
        queue = self.broker.queue(self.exchange, binding=f"erp.{self.amqp.code}.stock")
        message = self.enqueue(self.stock_message("RK", connector=self.amqp))
        self.process()
        self.assertEqual(message.state, "sent")
        [(method, _props, _body)] = self.broker.drain(queue)
        self.assertEqual(method.routing_key, f"erp.{self.amqp.code}.stock")

    def test_batch_publishes_then_waits_for_all_confirms(self):
        queue = self.broker.queue(self.exchange)
        self.amqp.batch_size = 50
        messages = self.enqueue(
            *[self.stock_message(f"B-{i}", quantity=i, connector=self.amqp) for i in range(120)]
        )
        self.process()
        self.assertEqual(set(messages.mapped("state")), {"sent"})
        received = [props.message_id for _m, props, _b in self.broker.drain(queue)]
        self.assertEqual(len(received), 120)
        self.assertEqual(set(received), set(messages.mapped("idempotency_key")))

    def test_unroutable_message_is_not_sent_and_is_retried(self):
        queue = self.broker.queue(self.exchange, binding="price.#")
        message = self.enqueue(self.stock_message("NOWHERE", connector=self.amqp))
        self.process()
        self.assertEqual(message.state, "failed")
        self.assertEqual(message.error_category, "rejected")
        self.assertIn("no queue is bound", message.error_message)
        self.assertIn("stock.stock.level", message.error_message)
        self.assertFalse(self.broker.drain(queue))
        # Someone binds a queue; the retry gets through.
        self.broker.channel.queue_bind(queue, self.exchange, routing_key="stock.#")
        message.sudo().write({"next_attempt_at": fields.Datetime.now() - timedelta(seconds=1)})
        self.process()
        self.assertEqual(message.state, "sent")
        self.assertEqual(message.attempts, 2)
        self.assertEqual(len(self.broker.drain(queue)), 1)

    def test_nacked_message_is_not_sent(self):
        # A full queue that refuses new messages makes the broker nack them.
        queue = self.broker.queue(
            self.exchange, **{"x-max-length": 1, "x-overflow": "reject-publish"}
        )
        self.amqp.batch_size = 3
        messages = self.enqueue(
            *[self.stock_message(f"FULL-{i}", connector=self.amqp) for i in range(3)]
        )
        self.process()
        self.assertEqual(sorted(messages.mapped("state")), ["failed", "failed", "sent"])
        failed = messages.filtered(lambda m: m.state == "failed")
        self.assertEqual(len(failed), 2)
        self.assertEqual(set(failed.mapped("error_category")), {"remote_error"})
        self.assertIn("basic.nack", failed[0].error_message)
        [(_method, props, _body)] = self.broker.drain(queue)
        self.assertEqual(props.message_id, (messages - failed).idempotency_key)

    def test_rate_limit_spaces_publishes(self):
        queue = self.broker.queue(self.exchange)
        self.amqp.write({"rate_limit": 20, "batch_size": 10})  # burst of 20, then every 50 ms
        self.enqueue(*[self.stock_message(f"RL-{i}", connector=self.amqp) for i in range(30)])
        started = time.monotonic()
        self.process()
        elapsed = time.monotonic() - started
        self.assertEqual(len(self.broker.drain(queue)), 30)
        # Ten publishes beyond the burst at 20/s take at least half a second.
        self.assertGreaterEqual(elapsed, 0.45)

    def test_unroutable_until_the_last_attempt_becomes_a_dead_letter(self):
        self.amqp.max_attempts = 2
        message = self.enqueue(self.stock_message("DEAD", connector=self.amqp))
        self.process()
        self.assertEqual(message.state, "failed")
        message.sudo().write({"next_attempt_at": fields.Datetime.now() - timedelta(seconds=1)})
        self.process()
        self.assertEqual(message.state, "dead")
        self.assertEqual(message.error_category, "rejected")
        self.assertEqual(message.attempts, 2)
        self.assertTrue(message.dead_at)
        self.assertEqual(self.amqp.dead_count, 1)

    def test_wrong_password_is_an_auth_error(self):
        connector = self.amqp_connector("badpw", secret_input="not-the-password")
        message = self.enqueue(self.stock_message("AUTH", connector=connector))
        self.process()
        self.assertEqual(message.state, "failed")
        self.assertEqual(message.error_category, "auth")
        self.assertIn("refused the user or password", message.error_message)
        self.assertIn("refused the user or password", connector.last_error)
        self.assertTrue(connector.last_failure_at)

    def test_unreachable_broker_is_a_network_error_and_opens_the_circuit(self):
        connector = self.amqp_connector(
            "down", base_url=f"amqp://127.0.0.1:{_closed_port()}/%2F", circuit_threshold=2
        )
        messages = self.enqueue(
            *[self.stock_message(f"DOWN-{i}", connector=connector) for i in range(4)]
        )
        self.process()
        # One try per run on a broker that is down: the rest go back to the queue untried and
        # the run claims none of this connector's messages again.
        failed = messages.filtered(lambda m: m.state == "failed")
        self.assertEqual(len(failed), 1, messages.mapped("state"))
        self.assertEqual(failed.error_category, "network")
        self.assertIn("Could not reach the broker", failed.error_message)
        untried = messages - failed
        self.assertEqual(set(untried.mapped("state")), {"pending"})
        self.assertEqual(set(untried.mapped("attempts")), {0})
        self.assertEqual(connector.circuit_state, "closed")
        # The next run tries once more: the second consecutive failure opens the circuit.
        failed.sudo().write({"next_attempt_at": fields.Datetime.now() - timedelta(seconds=1)})
        self.process()
        self.assertEqual(connector.circuit_state, "open")
        self.assertEqual(sum(messages.mapped("attempts")), 2)
        self.process()
        self.assertEqual(sum(messages.mapped("attempts")), 2, "open circuit: nothing tried")

    def test_missing_exchange_fails_in_words_then_recovers(self):
        connector = self.amqp_connector("noexch", amqp_exchange=f"missing.{uuid.uuid4().hex[:8]}")
        message = self.enqueue(self.stock_message("NOEX", connector=connector))
        self.process()
        self.assertEqual(message.state, "failed")
        self.assertEqual(message.error_category, "remote_error")
        self.assertIn("no such exchange", message.error_message)
        # The exchange is declared on the broker: the next attempt opens a new channel and goes.
        self.broker.channel.exchange_declare(connector.amqp_exchange, "topic")
        self.addCleanup(self.broker.channel.exchange_delete, connector.amqp_exchange)
        queue = self.broker.queue(connector.amqp_exchange)
        message.sudo().write({"next_attempt_at": fields.Datetime.now() - timedelta(seconds=1)})
        self.process()
        self.assertEqual(message.state, "sent")
        self.assertEqual(len(self.broker.drain(queue)), 1)

    def test_dropped_connection_is_reopened_without_losing_a_message(self):
        queue = self.broker.queue(self.exchange)
        first = self.enqueue(self.stock_message("KEEP-1", connector=self.amqp))
        self.process()
        self.assertEqual(first.state, "sent")
        # The broker side goes away under the cached connection (as a broker restart or a
        # dropped idle connection does): the next delivery notices, reconnects once and sends.
        key = next(k for k in amqp._PUBLISHERS if k[0] == self.amqp.id)
        _settings, publisher = amqp._PUBLISHERS[key]
        publisher.connection._impl._transport._sock.shutdown(socket.SHUT_RDWR)
        second = self.enqueue(self.stock_message("KEEP-2", connector=self.amqp))
        self.process()
        self.assertEqual(second.state, "sent")
        self.assertEqual(second.attempts, 1)
        ids = [props.message_id for _m, props, _b in self.broker.drain(queue)]
        self.assertEqual(ids, [first.idempotency_key, second.idempotency_key])

    def test_test_connection(self):
        action = self.amqp.action_test_connection()
        self.assertEqual(action["params"]["type"], "success", action["params"]["message"])
        self.assertIn(self.exchange, action["params"]["message"])
        self.amqp.amqp_exchange = "does.not.exist"
        action = self.amqp.action_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("no such exchange", action["params"]["message"])

    def test_password_is_stored_encrypted(self):
        stored = self.amqp.sudo().secret_encrypted
        self.assertTrue(stored)
        self.assertNotIn(self.password, stored)
        self.assertTrue(self.amqp.secret_is_set)
        self.assertEqual(self.amqp._get_secret(), self.password)

    def test_form_of_an_amqp_connector(self):
        """What an admin fills in on the form: the broker fields appear and are required once
        the transport is AMQP; the HTTP ones are not asked for."""
        with Form(self.env["integration.connector"]) as form:
            form.name = "Middleware broker"
            form.code = f"form-{uuid.uuid4().hex[:6]}"
            form.transport = "amqp"
            form.base_url = self.broker_url
            form.amqp_username = self.user
            with self.assertRaises(AssertionError):  # the exchange is required
                form.save()
            form.amqp_exchange = self.exchange
            form.secret_input = self.password
            form.allowed_domain_ids.add(self.domain_stock)
        connector = form.record
        self.assertEqual(connector.amqp_routing_key, "{domain}.{event_type}")
        self.assertTrue(connector.secret_is_set)
        action = connector.action_test_connection()
        self.assertEqual(action["params"]["type"], "success", action["params"]["message"])

    def test_bad_settings_are_refused_in_words(self):
        cases = [
            ({"base_url": "amqp://guest:guest@127.0.0.1:5672/%2F"}, "must not contain a user"),
            ({"base_url": "https://broker.example.com"}, "must start with amqp://"),
            ({"amqp_routing_key": "{domain}.{sku}"}, r"may only use \{domain\}"),
            ({"amqp_exchange": " "}, "needs the exchange"),
        ]
        for values, error in cases:
            with self.subTest(values=values), self.assertRaisesRegex(ValidationError, error):
                with self.env.cr.savepoint():
                    self.amqp_connector("bad", **values)
        # The same values on an HTTPS connector are not its business: only AMQP checks them.
        self.make_connector("https-ok", amqp_routing_key="{sku}")
