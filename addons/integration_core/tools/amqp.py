"""AMQP 0-9-1 delivery (RabbitMQ) with publisher confirms, in the queue's own words.

A :class:`Publisher` holds one connection and one channel in confirm mode. ``publish()`` sends
a group of messages (persistent, ``mandatory``) and then waits for the broker to confirm all of
them: one message per call is "publish and wait", several are "publish the batch, then wait
for the batch's confirms", which is where AMQP gets its throughput. Every message comes back as
a transport :class:`~.transport.Outcome`, so the queue applies the same retries, circuit breaker
and dead letters as over HTTP:

* confirmed (``basic.ack``) and not returned: sent;
* returned as unroutable (no queue bound for its routing key), nacked, or not confirmed
  within the timeout: failed, retried later;
* the connection lost, refused or timed out: network/timeout for every unconfirmed message;
* credentials or permissions refused: auth.

pika's BlockingConnection confirms one message per ``basic_publish``; to wait for a batch of
confirms we publish on its underlying channel and let the blocking adapter run its I/O loop
until every delivery tag is acknowledged (``_impl`` / ``_flush_output``, stable since pika 1.0).
"""

import logging
import time
from urllib.parse import urlsplit

import pika
from pika import exceptions as pika_exceptions

from .transport import EXCERPT, Outcome

# pika logs every refused login or lost connection as ERROR, with tracebacks, from inside its
# I/O loop; the queue records each of them on the message and the connector in words, so the
# server log keeps only pika's critical lines.
logging.getLogger("pika").setLevel(logging.CRITICAL)

# A connection idle longer than this is closed and opened again before use: the broker drops
# connections whose heartbeats we did not answer while idle (pika answers only during I/O).
MAX_IDLE_SECONDS = 30.0
HEARTBEAT_SECONDS = 60


class AmqpError(Exception):
    """A connection-level problem, with its outcome category (auth, network, timeout,
    remote_error) and a sentence for people."""

    def __init__(self, category, message):
        super().__init__(message)
        self.category = category


def check_url(url):
    """None when `url` is a usable broker URL, else the reason in words."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("amqp", "amqps"):
        return "it must start with amqp:// or amqps://"
    if not parts.hostname:
        return "it has no host name"
    if parts.username or parts.password:
        return (
            "it must not contain a user or password: set the broker user on the connector and "
            "the password as its secret, where it is stored encrypted"
        )
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return "its port is not a number"
    return None


def parameters(url, username, password, timeout):
    params = pika.URLParameters(url)
    if username:
        params.credentials = pika.PlainCredentials(username, password or "")
    params.socket_timeout = timeout
    params.stack_timeout = timeout
    params.blocked_connection_timeout = timeout
    params.connection_attempts = 1
    params.heartbeat = HEARTBEAT_SECONDS
    params.client_properties = {"connection_name": "odoo integration_core"}
    return params


def describe(exc):
    """(category, sentence) for a pika exception."""
    if isinstance(
        exc,
        pika_exceptions.ProbableAuthenticationError
        | pika_exceptions.AuthenticationError
        | pika_exceptions.ProbableAccessDeniedError,
    ):
        return "auth", "The broker refused the user or password (or access to the virtual host)."
    if isinstance(exc, pika_exceptions.ChannelClosedByBroker):
        if exc.reply_code == 403:
            return "auth", f"The broker refused access: {exc.reply_text}"
        if exc.reply_code == 404:
            return (
                "remote_error",
                f"The broker has no such exchange ({exc.reply_text}): declare it on the broker "
                "or correct the connector's exchange.",
            )
        return (
            "remote_error",
            f"The broker closed the channel ({exc.reply_code}: {exc.reply_text}).",
        )
    if isinstance(exc, pika_exceptions.ConnectionClosedByBroker):
        # Forced closes (broker restart, an operator, a missed heartbeat): try again later.
        return (
            "network",
            f"The broker closed the connection ({exc.reply_code}: {exc.reply_text}).",
        )
    if isinstance(exc, pika_exceptions.AMQPConnectionError | OSError):
        text = str(exc) or type(exc).__name__
        return "network", f"Could not reach the broker: {text[:300]}"
    return "remote_error", f"AMQP error: {type(exc).__name__}: {str(exc)[:300]}"


class Publisher:
    """One connection and one confirm-mode channel; not thread-safe (one per thread)."""

    def __init__(self, url, username, password, timeout):
        self.timeout = timeout
        self._ticking = False
        try:
            self.connection = pika.BlockingConnection(parameters(url, username, password, timeout))
            self.channel = self.connection.channel()
            impl = self.channel._impl
            impl.add_on_return_callback(self._on_return)
            selected = []
            impl.confirm_delivery(
                ack_nack_callback=self._on_confirm, callback=lambda _frame: selected.append(True)
            )
            self._wait(lambda: bool(selected), timeout)
            if not selected:
                raise AmqpError("timeout", "The broker did not turn on publisher confirms in time.")
        except AmqpError:
            self.close()
            raise
        except Exception as exc:
            self.close()
            raise AmqpError(*describe(exc)) from exc
        self.last_used = time.monotonic()
        self._tag = 0  # the broker numbers our publishes 1, 2, ... on this channel
        self._pending = {}  # delivery tag -> index in the current group
        self._acked = {}  # index -> True (ack) / False (nack)
        self._returned = {}  # message_id -> sentence
        self.broken = False

    @property
    def stale(self):
        return (
            self.broken
            or not self.channel.is_open
            or time.monotonic() - self.last_used > MAX_IDLE_SECONDS
        )

    def close(self):
        connection = getattr(self, "connection", None)
        if connection is not None and connection.is_open:
            try:
                connection.close()
            except Exception:  # noqa: BLE001 - closing a broken connection may fail; ignore
                pass

    # ------------------------------------------------------------------ callbacks

    def _on_confirm(self, frame):
        method = frame.method
        ok = isinstance(method, pika.spec.Basic.Ack)
        tags = (
            [tag for tag in self._pending if tag <= method.delivery_tag]
            if method.multiple
            else [method.delivery_tag]
        )
        for tag in tags:
            index = self._pending.pop(tag, None)
            if index is not None:
                self._acked[index] = ok

    def _on_return(self, _channel, method, properties, _body):
        self._returned[properties.message_id] = (
            f"The broker could not route the message: no queue is bound to exchange "
            f"'{method.exchange}' for routing key '{method.routing_key}' "
            f"({method.reply_code} {method.reply_text})."
        )

    def _tick(self):
        # Re-armed every second while the connection does I/O, so that a wait for confirms
        # never blocks in poll() much longer than its deadline, without a timer per message.
        self.connection.call_later(1.0, self._tick)

    def _wait(self, ready, timeout):
        """Run the connection's I/O until ready() or `timeout` seconds passed."""
        if not self._ticking:
            self._ticking = True
            self.connection.call_later(1.0, self._tick)
        deadline = time.monotonic() + timeout
        self.channel._flush_output(lambda: ready() or time.monotonic() > deadline)

    # ------------------------------------------------------------------ publishing

    def check_exchange(self, exchange):
        """Raise AmqpError when `exchange` does not exist (passive declare)."""
        try:
            self.channel.exchange_declare(exchange, passive=True)
        except Exception as exc:
            self.broken = True
            raise AmqpError(*describe(exc)) from exc

    def publish(self, exchange, items, bucket=None):
        """Publish `items` [(routing_key, body, properties)], wait for their confirms and
        return one Outcome per item. Never raises: a connection problem fails every item that
        the broker had not confirmed (and marks the publisher broken)."""
        start = time.monotonic()
        self._pending.clear()
        self._acked.clear()
        self._returned.clear()
        failure = None
        try:
            for index, (routing_key, body, properties) in enumerate(items):
                if bucket:
                    bucket.acquire()
                self.channel._impl.basic_publish(
                    exchange, routing_key, body, properties, mandatory=True
                )
                self._tag += 1
                self._pending[self._tag] = index
            self._wait(lambda: not self._pending, self.timeout)
        except Exception as exc:  # noqa: BLE001 - every failure becomes an outcome
            self.broken = True
            failure = describe(exc)
        latency_ms = int((time.monotonic() - start) * 1000)
        self.last_used = time.monotonic()
        outcomes = []
        for index, (routing_key, _body, properties) in enumerate(items):
            acked = self._acked.get(index)
            returned = self._returned.get(properties.message_id)
            if acked and not returned:
                outcomes.append(
                    Outcome(True, latency_ms=latency_ms, excerpt=f"confirmed: {routing_key}")
                )
            elif returned:
                outcomes.append(
                    Outcome(
                        False,
                        category="rejected",
                        error=returned,
                        latency_ms=latency_ms,
                        excerpt=returned[:EXCERPT],
                    )
                )
            elif acked is False:
                text = (
                    "The broker refused to take the message (basic.nack), for example because "
                    "the queue is full; it is retried."
                )
                outcomes.append(
                    Outcome(False, category="remote_error", error=text, latency_ms=latency_ms)
                )
            elif failure:
                outcomes.append(
                    Outcome(False, category=failure[0], error=failure[1], latency_ms=latency_ms)
                )
            else:
                self.broken = True  # late confirms would be ambiguous: start afresh next time
                outcomes.append(
                    Outcome(
                        False,
                        category="timeout",
                        error=f"The broker did not confirm the message within {self.timeout:g} seconds.",
                        latency_ms=latency_ms,
                    )
                )
        return outcomes


def properties(message_id, event_type, domain, created, headers=None):
    """Persistent JSON message with the idempotency key as message_id."""
    return pika.BasicProperties(
        content_type="application/json",
        delivery_mode=pika.DeliveryMode.Persistent,
        message_id=message_id,
        type=event_type,
        timestamp=int(created),
        app_id="odoo.integration_core",
        headers={"domain": domain, **(headers or {})},
    )
