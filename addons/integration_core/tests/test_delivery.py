import json
import socket
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from ..tools import queue_core
from .common import IntegrationCase
from .receiver import Fault


@tagged("post_install", "-at_install")
class TestDelivery(IntegrationCase):
    def test_delivery_sends_envelope_with_idempotency_key(self):
        message = self.enqueue(self.stock_message("A", quantity=4))
        counts = self.process()
        self.assertEqual(counts.get("sent"), 1)
        self.assertEqual(message.state, "sent")
        self.assertEqual(message.http_status, 200)
        self.assertEqual(message.attempts, 1)
        self.assertTrue(message.sent_at)
        [request] = self.receiver.deliveries()
        self.assertEqual(request.path, "/events")
        self.assertEqual(request.idempotency_key, message.idempotency_key)
        self.assertEqual(request.headers["x-event-type"], "stock.level")
        self.assertEqual(request.json["payload"], {"sku": "A", "quantity": 4})
        self.assertEqual(request.json["domain"], "stock")
        self.assertEqual(request.json["schema"], "stock/v1")
        self.assertEqual(self.connector.last_success_at.date(), fields.Date.today())
        self.assertEqual(self.receiver.applied, {message.idempotency_key: 1})

    def test_priority_order_realtime_first(self):
        # A batch backlog larger than one claim, then a normal and a real-time message. The
        # claim itself must take them first (within one claim, rows are also sorted after
        # the fact, so a backlog that fits in one claim would not tell).
        backlog = self.enqueue(
            *[self.stock_message(f"BATCH-{i}", priority="batch") for i in range(25)]
        )
        normal = self.enqueue(self.stock_message("NORMAL"))
        realtime = self.enqueue(self.stock_message("RT", priority="realtime"))
        self.process(batch_size=10, max_batches=1)
        order = [r.idempotency_key for r in self.receiver.deliveries()]
        self.assertEqual(
            order,
            [realtime.idempotency_key, normal.idempotency_key]
            + backlog[:8].mapped("idempotency_key"),
        )
        self.assertEqual(set(backlog[8:].mapped("state")), {"pending"})

    def test_server_error_is_retried_later_with_backoff(self):
        self.receiver.add_faults(Fault.status(500, body=b'{"error": "db down"}'))
        message = self.enqueue(self.stock_message())
        before = fields.Datetime.now()
        self.process()
        self.assertEqual(message.state, "failed")
        self.assertEqual(message.error_category, "remote_error")
        self.assertEqual(message.http_status, 500)
        self.assertIn("db down", message.response_excerpt)
        # Backoff: between half and the whole of the first step (30 s).
        self.assertGreaterEqual(message.next_attempt_at, before + timedelta(seconds=14))
        self.assertLessEqual(message.next_attempt_at, before + timedelta(seconds=31))
        # Not due yet: a second run sends nothing.
        self.process()
        self.assertEqual(len(self.receiver.deliveries()), 1)
        # Due: it goes, with the same idempotency key.
        message.sudo().write({"next_attempt_at": fields.Datetime.now() - timedelta(seconds=1)})
        self.process()
        self.assertEqual(message.state, "sent")
        self.assertEqual(message.attempts, 2)
        keys = [r.idempotency_key for r in self.receiver.deliveries()]
        self.assertEqual(keys, [message.idempotency_key] * 2)

    def test_429_honours_retry_after_and_pauses_the_connector(self):
        self.receiver.add_faults(Fault.status(429, retry_after=120))
        first, second = self.enqueue(self.stock_message("A"), self.stock_message("B"))
        before = fields.Datetime.now()
        self.process()
        self.assertEqual(first.state, "failed")
        self.assertEqual(first.error_category, "rate_limited")
        self.assertGreaterEqual(first.next_attempt_at, before + timedelta(seconds=119))
        # The second was given back untried: no attempt counted, and no request made.
        self.assertEqual(second.state, "pending")
        self.assertEqual(second.attempts, 0)
        self.assertEqual(len(self.receiver.deliveries()), 1)
        self.assertGreaterEqual(self.connector.paused_until, before + timedelta(seconds=119))
        self.process()
        self.assertEqual(len(self.receiver.deliveries()), 1, "a paused connector gets nothing")

    def test_dropped_connection_is_a_network_error(self):
        self.receiver.add_faults(Fault.drop())
        message = self.enqueue(self.stock_message())
        self.process()
        self.assertEqual(message.state, "failed")
        self.assertEqual(message.error_category, "network")
        self.assertIn("Could not reach the remote", message.error_message)

    def test_unreachable_connector_rests_a_moment_while_others_go_on(self):
        with socket.socket() as sock:  # a port nobody listens on: connections are refused
            sock.bind(("127.0.0.1", 0))
            closed = sock.getsockname()[1]
        down = self.make_connector("down", base_url=f"http://127.0.0.1:{closed}")
        messages = self.enqueue(*[self.stock_message(f"U{i}", connector=down) for i in range(5)])
        elsewhere = self.enqueue(self.stock_message("ELSEWHERE"))
        self.process(batch_size=2)
        # The refused connection gives the rest of its claim back untried and the connector
        # rests a moment: the run goes on with the other connector.
        self.assertEqual(elsewhere.state, "sent")
        self.assertEqual(sorted(messages.mapped("state")), ["failed"] + ["pending"] * 4)
        self.assertEqual(sum(messages.mapped("attempts")), 1, "untried attempts not counted")
        failed = messages.filtered(lambda m: m.state == "failed")
        self.assertEqual(failed.error_category, "network")

    def test_a_dropped_connection_does_not_rest_the_connector(self):
        # One connection lost after it was made says nothing of the remote's health: that
        # message is tried again later, the others go on at once.
        self.receiver.add_faults(Fault.drop())
        messages = self.enqueue(*[self.stock_message(f"D{i}") for i in range(5)])
        self.process(batch_size=5)
        self.assertEqual(sorted(messages.mapped("state")), ["failed"] + ["sent"] * 4)
        self.assertEqual(len(self.receiver.deliveries()), 5)

    def test_parallel_requests_hide_latency_and_keep_the_order_tried(self):
        self.connector.parallel_requests = 4
        self.receiver.set_always(Fault.delay(0.3))
        messages = self.enqueue(*[self.stock_message(f"P{i}") for i in range(8)])
        self.process(batch_size=8)
        self.assertEqual(set(messages.mapped("state")), {"sent"})
        times = sorted(r.received_at for r in self.receiver.deliveries())
        # Four in flight at once: the first four arrive together, not 0.3 s apart.
        self.assertLess(times[3] - times[0], 0.25)
        self.assertEqual(sorted(self.receiver.applied), sorted(messages.mapped("idempotency_key")))

    def test_parallel_requests_stop_at_a_429_and_give_the_rest_back(self):
        self.connector.parallel_requests = 4
        self.receiver.set_always(Fault.delay(0.3))
        messages = self.enqueue(*[self.stock_message(f"R{i}") for i in range(8)])
        # The first message's request is answered 429 at once, whenever it arrives among the
        # four started together.
        self.receiver.fault_for_key(messages[0].idempotency_key, Fault.status(429, retry_after=120))
        self.process(batch_size=8)
        # Those already in flight (at most four) were answered; none started after the 429,
        # and the messages tried are the first ones.
        tried = len(self.receiver.deliveries())
        self.assertLessEqual(tried, 4)
        states = [m.state for m in messages]
        self.assertEqual(states, ["failed"] + ["sent"] * (tried - 1) + ["pending"] * (8 - tried))
        self.assertEqual(messages[tried:].mapped("attempts"), [0] * (8 - tried))
        self.assertTrue(self.connector.paused_until)

    def test_a_pause_lasts_what_the_remote_asked_to_the_microsecond(self):
        self.receiver.add_faults(Fault.status(429, retry_after=1))
        self.enqueue(self.stock_message("A"))
        self.process()
        self.env.cr.execute(
            "SELECT paused_until FROM integration_connector WHERE id = %s", [self.connector.id]
        )
        [[until]] = self.env.cr.fetchall()
        # One second from the answer, not rounded up to the next whole second.
        remaining = (until - queue_core.utcnow()).total_seconds()
        self.assertGreater(remaining, 0.0)
        self.assertLessEqual(remaining, 1.0)
        self.assertIn(self.connector.id, self.env["integration.connector"]._blocked_connector_ids())

    def test_timeout_is_retried(self):
        # Odoo's test mode raises request timeouts under 10 s to 10 s: hang a little longer.
        self.connector.timeout = 1
        self.receiver.add_faults(Fault.hang(10.5))
        message = self.enqueue(self.stock_message())
        self.process()
        self.assertEqual(message.state, "failed")
        self.assertEqual(message.error_category, "timeout")

    def test_rejected_message_goes_dead_at_once_and_is_routed(self):
        self.receiver.add_faults(Fault.status(422, body=b'{"error": "unknown sku"}'))
        message = self.enqueue(self.stock_message("NOPE"))
        self.process()
        self.assertEqual(message.state, "dead")
        self.assertEqual(message.error_category, "rejected")
        self.assertEqual(message.attempts, 1)
        self.assertTrue(message.dead_at)
        # The shipped automation rule: an activity for the responsible, a note on the connector.
        activity = message.activity_ids
        self.assertEqual(activity.user_id, self.responsible)
        self.assertIn("Dead letter", activity.summary)
        notes = self.connector.message_ids.mapped("body")
        self.assertTrue(any("became dead letters" in (body or "") for body in notes))

    def test_dead_after_max_attempts(self):
        self.receiver.set_always(Fault.status(503))
        message = self.enqueue(self.stock_message())
        for _attempt in range(3):
            message.sudo().write({"next_attempt_at": fields.Datetime.now() - timedelta(seconds=1)})
            self.process()
        self.assertEqual(message.attempts, 3)
        self.assertEqual(message.state, "dead")
        self.assertEqual(message.error_category, "remote_error")

    def test_replay_and_cancel(self):
        self.receiver.add_faults(Fault.status(400))
        message = self.enqueue(self.stock_message())
        self.process()
        self.assertEqual(message.state, "dead")
        message.action_replay()
        self.assertEqual((message.state, message.attempts), ("pending", 0))
        self.assertFalse(message.activity_ids, "replaying closes the dead-letter activity")
        self.process()
        self.assertEqual(message.state, "sent")
        other = self.enqueue(self.stock_message("B"))
        other.action_cancel()
        self.process()
        self.assertEqual(other.state, "cancelled")
        self.assertEqual(len(self.receiver.deliveries(other.idempotency_key)), 0)

    def test_frozen_connector_sends_nothing_until_unfrozen(self):
        self.connector.frozen = True
        message = self.enqueue(self.stock_message())
        self.process()
        self.assertEqual(message.state, "pending")
        self.assertFalse(self.receiver.deliveries())
        self.connector.frozen = False
        self.process()
        self.assertEqual(message.state, "sent")

    def test_non_production_odoo_never_sends_to_production(self):
        prod = self.make_connector("prodshop", environment="production")
        message = self.enqueue(self.stock_message(connector=prod))
        self.process()
        self.assertEqual(message.state, "pending")
        self.env["ir.config_parameter"].sudo().set_param(
            "integration_core.instance_environment", "production"
        )
        self.process()
        self.assertEqual(message.state, "sent")

    def test_circuit_opens_after_consecutive_failures_then_probes(self):
        self.connector.write({"circuit_threshold": 2, "circuit_cooldown": 60, "max_attempts": 10})
        self.receiver.set_always(Fault.status(502))
        messages = self.enqueue(*[self.stock_message(f"S{i}") for i in range(4)])
        self.process()
        # A 5xx does not stop the batch, so the circuit opens within it; later ones wait.
        self.assertEqual(self.connector.circuit_state, "open")
        self.assertTrue(self.connector.activity_ids, "the responsible is told")
        sent_so_far = len(self.receiver.deliveries())
        messages.sudo().write({"next_attempt_at": fields.Datetime.now() - timedelta(seconds=1)})
        self.process()
        self.assertEqual(len(self.receiver.deliveries()), sent_so_far, "open circuit: nothing sent")
        # Cool-down over and the remote healthy again: one probe, then everything flows.
        self.receiver.set_always(None)
        self.connector.sudo().circuit_open_until = fields.Datetime.now() - timedelta(seconds=1)
        self.process()
        self.assertEqual(self.connector.circuit_state, "closed")
        self.assertEqual(set(messages.mapped("state")), {"sent"})

    def test_expired_lease_is_reclaimed(self):
        message = self.enqueue(self.stock_message())
        claimed = self.Message._claim(10)
        self.assertEqual(claimed, message)
        self.assertEqual(message.state, "sending")
        # Another worker: the lease still runs, so nothing to do.
        self.process()
        self.assertEqual(message.state, "sending")
        message.sudo().write({"lease_until": fields.Datetime.now() - timedelta(seconds=1)})
        self.process()
        self.assertEqual(message.state, "sent")
        self.assertEqual(message.attempts, 2)

    def test_batch_endpoint_with_per_item_results(self):
        self.connector.write({"batch_size": 10})
        messages = self.enqueue(*[self.stock_message(f"B{i}") for i in range(5)])
        self.receiver.fault_for_key(messages[2].idempotency_key, Fault.status(422))
        self.process()
        [request] = self.receiver.requests
        self.assertEqual(request.path, "/events/batch")
        self.assertEqual(len(request.json["messages"]), 5)
        states = messages.mapped("state")
        self.assertEqual(states, ["sent", "sent", "dead", "sent", "sent"])
        self.assertEqual(messages[2].error_category, "rejected")

    def test_dashboard_figures(self):
        self.receiver.add_faults(Fault.status(400))
        self.enqueue(self.stock_message("A"), self.stock_message("B"), self.stock_message("C"))
        self.process()
        self.enqueue(self.stock_message("D"))
        self.connector.invalidate_recordset()
        self.assertEqual(self.connector.dead_count, 1)
        self.assertEqual(self.connector.sent_24h, 2)
        self.assertEqual(self.connector.queue_depth, 1)
        self.assertEqual(self.connector.failed_24h, 1)
        self.assertTrue(self.connector.oldest_pending_at)


@tagged("post_install", "-at_install")
class TestAuthentication(IntegrationCase):
    def _deliver_with(self, receiver_options, connector_vals, secret):
        from .receiver import TestReceiver

        with TestReceiver(**receiver_options) as receiver:
            connector = self.make_connector(
                connector_vals.pop("code"), base_url=receiver.url, **connector_vals
            )
            connector.secret_input = secret
            messages = self.enqueue(
                self.stock_message("A", connector=connector),
                self.stock_message("B", connector=connector),
            )
            self.process()
            return receiver, connector, messages

    def test_api_key(self):
        receiver, _c, messages = self._deliver_with(
            {"api_key": "k3y", "api_key_header": "X-Shop-Key"},
            {"code": "apikey", "auth_type": "api_key", "api_key_header": "X-Shop-Key"},
            "k3y",
        )
        self.assertEqual(set(messages.mapped("state")), {"sent"})
        self.assertEqual(receiver.deliveries()[0].headers["x-shop-key"], "k3y")

    def test_wrong_api_key_is_an_auth_error(self):
        _r, _c, messages = self._deliver_with(
            {"api_key": "right"}, {"code": "badkey", "auth_type": "api_key"}, "wrong"
        )
        self.assertEqual(set(messages.mapped("error_category")), {"auth"})
        self.assertEqual(set(messages.mapped("state")), {"failed"})

    def test_bearer(self):
        _r, _c, messages = self._deliver_with(
            {"bearer_token": "t0k"}, {"code": "bearer", "auth_type": "bearer"}, "t0k"
        )
        self.assertEqual(set(messages.mapped("state")), {"sent"})

    def test_hmac_signature_verified_by_receiver(self):
        receiver, _c, messages = self._deliver_with(
            {"hmac_secret": "s1gn"}, {"code": "hmac", "auth_type": "hmac"}, "s1gn"
        )
        self.assertEqual(set(messages.mapped("state")), {"sent"})
        self.assertTrue(receiver.deliveries()[0].headers["x-signature"].startswith("sha256="))
        _r, _c, bad = self._deliver_with(
            {"hmac_secret": "s1gn"}, {"code": "hmac2", "auth_type": "hmac"}, "other"
        )
        self.assertEqual(set(bad.mapped("error_category")), {"auth"})

    def test_oauth2_token_is_cached_and_refreshed_when_revoked(self):
        from .receiver import TestReceiver

        with TestReceiver(oauth_client_id="odoo", oauth_client_secret="cs") as receiver:
            connector = self.make_connector(
                "oauth",
                base_url=receiver.url,
                auth_type="oauth2",
                oauth_token_url=receiver.url + "/oauth/token",
                oauth_client_id="odoo",
            )
            connector.secret_input = "cs"
            self.enqueue(*[self.stock_message(f"O{i}", connector=connector) for i in range(3)])
            self.process()
            self.assertEqual(receiver.token_requests, 1, "one token serves every message")
            self.assertTrue(connector.sudo().oauth_token_encrypted)
            self.assertNotIn(".", connector.sudo().oauth_token_encrypted[:3])
            receiver.revoke_tokens()
            message = self.enqueue(self.stock_message("late", connector=connector))
            self.process()
            self.assertEqual(message.state, "sent")
            self.assertEqual(receiver.token_requests, 2, "a revoked token is replaced once")

    def test_oauth2_revoked_token_with_parallel_requests(self):
        from .receiver import TestReceiver

        with TestReceiver(oauth_client_id="odoo", oauth_client_secret="cs") as receiver:
            connector = self.make_connector(
                "oauth-par",
                base_url=receiver.url,
                auth_type="oauth2",
                oauth_token_url=receiver.url + "/oauth/token",
                oauth_client_id="odoo",
                parallel_requests=4,
            )
            connector.secret_input = "cs"
            self.enqueue(self.stock_message("P0", connector=connector))
            self.process()
            receiver.revoke_tokens()
            # Four requests at once with a revoked token: each 401 is tried again, in the
            # sending thread, with a new token; every message goes.
            messages = self.enqueue(
                *[self.stock_message(f"P{i}", connector=connector) for i in range(1, 5)]
            )
            self.process(batch_size=4)
            self.assertEqual(set(messages.mapped("state")), {"sent"})
            self.assertEqual(len(receiver.applied), 5)
            self.assertLessEqual(receiver.token_requests, 5)
            self.assertGreaterEqual(receiver.token_requests, 2)

    def test_test_connection(self):
        from .receiver import TestReceiver

        with TestReceiver(api_key="k") as receiver:
            connector = self.make_connector("tc", base_url=receiver.url, auth_type="api_key")
            connector.secret_input = "k"
            result = connector.action_test_connection()
            self.assertEqual(result["params"]["type"], "success")
            connector.secret_input = "nope"
            result = connector.action_test_connection()
            self.assertEqual(result["params"]["type"], "danger")
            self.assertIn("401", result["params"]["message"])

    def test_envelope_is_json(self):
        message = self.enqueue(self.stock_message("J"))
        self.assertEqual(json.loads(json.dumps(message._envelope()))["payload"]["sku"], "J")
