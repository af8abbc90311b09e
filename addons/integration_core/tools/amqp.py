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
import os
import threading
import time
from dataclasses import dataclass
from datetime import UTC
from urllib.parse import urlsplit

import pika
from pika import exceptions as pika_exceptions

from .cloudevents import CLOUDEVENTS_CONTENT_TYPE, cloudevent
from .transport import EXCERPT, Outcome, Transport, dumps

# pika logs every refused login or lost connection as ERROR, with tracebacks, from inside its
# I/O loop; the queue records each of them on the message and the connector in words, so the
# server log keeps only pika's critical lines.
logging.getLogger("pika").setLevel(logging.CRITICAL)

# A connection idle longer than this is closed and opened again before use: the broker drops
# connections whose heartbeats we did not answer while idle (pika answers only during I/O).
MAX_IDLE_SECONDS = 30.0
HEARTBEAT_SECONDS = 60
ROUTING_KEY_FIELDS = ("domain", "event_type", "connector")

# Publishers (connection + confirm-mode channel), one per connector, process and thread: pika
# connections are not thread-safe. Keyed with what they were opened with, so a changed URL,
# user, password or exchange opens a new one.
_LOCK = threading.Lock()
_PUBLISHERS = {}


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
        return [
            self._outcome(index, routing_key, properties, failure, latency_ms)
            for index, (routing_key, _body, properties) in enumerate(items)
        ]

    def _outcome(self, index, routing_key, properties, failure, latency_ms):
        """The Outcome of the group's message number `index` once its confirms were awaited."""
        acked = self._acked.get(index)
        returned = self._returned.get(properties.message_id)
        if acked and not returned:
            return Outcome(True, latency_ms=latency_ms, excerpt=f"confirmed: {routing_key}")
        if returned:
            return Outcome(
                False,
                category="rejected",
                error=returned,
                latency_ms=latency_ms,
                excerpt=returned[:EXCERPT],
            )
        if acked is False:
            text = (
                "The broker refused to take the message (basic.nack), for example because "
                "the queue is full; it is retried."
            )
            return Outcome(False, category="remote_error", error=text, latency_ms=latency_ms)
        if failure:
            return Outcome(False, category=failure[0], error=failure[1], latency_ms=latency_ms)
        self.broken = True  # late confirms would be ambiguous: start afresh next time
        return Outcome(
            False,
            category="timeout",
            error=f"The broker did not confirm the message within {self.timeout:g} seconds.",
            latency_ms=latency_ms,
        )


def properties(message_id, event_type, domain, created, headers=None, content_type=None):
    """Persistent JSON message with the idempotency key as message_id."""
    return pika.BasicProperties(
        content_type=content_type or "application/json",
        delivery_mode=pika.DeliveryMode.Persistent,
        message_id=message_id,
        type=event_type,
        timestamp=int(created),
        app_id="odoo.integration_core",
        headers={"domain": domain, **(headers or {})},
    )


def routing_key(template, domain, event_type, connector_code):
    """The routing key of one message from the connector's template ({domain}, {event_type},
    {connector}); raises KeyError, ValueError or IndexError on a bad template.

    >>> routing_key("{domain}.{event_type}", "price", "price.activated", "shop")
    'price.price.activated'
    """
    template = template or "{domain}.{event_type}"
    return template.format(domain=domain or "", event_type=event_type, connector=connector_code)


@dataclass(frozen=True)
class AmqpSettings:
    key: int  # the connector's id: its publisher and bucket in this process
    url: str
    username: str
    password: str
    timeout: float
    exchange: str
    routing_template: str
    connector_code: str
    batch_size: int = 1
    rate_limit: float = 0.0
    cloudevents_source: str = ""  # set: bodies are CloudEvents (AMQP binding, structured)

    @property
    def opened_with(self):
        return (self.url, self.username, self.password, self.timeout)


class AmqpTransport(Transport):
    """Publishes envelopes to the connector's exchange in groups of its batch size, each group
    followed by a wait for the broker's confirms (batch size 1: publish and wait). The
    publisher stays open for the next run of this thread. `error` (an AmqpError): the
    transport cannot be opened (no broker URL, no password); every send fails with it."""

    def __init__(self, settings, error=None):
        self.settings = settings
        self.error = error

    def send(self, items, single=False):
        chunk = max(1, self.settings.batch_size)
        if self.error is not None:
            failed = Outcome(False, category=self.error.category, error=str(self.error))
            return [failed] * min(len(items), chunk)
        messages = self.messages(items)
        outcomes = []
        for start in range(0, len(messages), chunk):
            got, broken = self._publish_group(messages[start : start + chunk])
            outcomes += got
            if broken:
                break  # a lost connection: the rest goes back to the queue untried
        return outcomes

    def messages(self, items):
        """[(routing key, body, properties)] of [(envelope, queued at)]."""
        keys = {}
        messages = []
        for envelope, queued_at in items:
            domain, event_type = envelope["domain"], envelope["event_type"]
            if (domain, event_type) not in keys:
                keys[domain, event_type] = routing_key(
                    self.settings.routing_template, domain, event_type, self.settings.connector_code
                )
            source = self.settings.cloudevents_source
            props = properties(
                envelope["idempotency_key"],
                event_type,
                domain,
                queued_at.replace(tzinfo=UTC).timestamp(),
                {"schema": envelope["schema"] or ""},
                # The CloudEvents AMQP binding, structured mode: the event is the body.
                content_type=CLOUDEVENTS_CONTENT_TYPE + "; charset=utf-8" if source else None,
            )
            body = dumps(cloudevent(envelope, source) if source else envelope)
            messages.append((keys[domain, event_type], body, props))
        return messages

    def _publish_group(self, group):
        """(outcomes, stop): publish and confirm one group. A connection found dead on first
        use (the broker dropped it while idle) is opened again once."""
        bucket = self.bucket(self.settings.key, self.settings.rate_limit)
        for fresh in (False, True):
            try:
                publisher, reused = self.publisher(fresh=fresh)
            except AmqpError as exc:
                failed = Outcome(False, category=exc.category, error=str(exc))
                return [failed] * len(group), True
            got = publisher.publish(self.settings.exchange, group, bucket)
            if publisher.broken:
                publisher.close()
            if not (reused and all(o.category == "network" for o in got)):
                break
        return got, publisher.broken

    def publisher(self, fresh=False):
        """(publisher, reused): this thread's publisher for the connector, opened (again)
        when missing, stale or opened with other settings. Raises AmqpError."""
        key = (self.settings.key, os.getpid(), threading.get_ident())
        opened_with = self.settings.opened_with
        with _LOCK:
            entry = _PUBLISHERS.pop(key, None)
        if entry is not None:
            settings, publisher = entry
            if fresh or publisher.stale or settings != opened_with:
                publisher.close()
            else:
                with _LOCK:
                    _PUBLISHERS[key] = entry
                return publisher, True
        publisher = Publisher(*opened_with)
        with _LOCK:
            _PUBLISHERS[key] = (opened_with, publisher)
        return publisher, False

    def check(self):
        """The broker's (product, version) once a fresh connection opened and the exchange
        exists; raises AmqpError."""
        if self.error is not None:
            raise self.error
        publisher, _reused = self.publisher(fresh=True)
        publisher.check_exchange(self.settings.exchange)
        server = publisher.connection._impl.server_properties or {}
        product, version = server.get("product", b""), server.get("version", b"")
        product = product.decode() if isinstance(product, bytes) else product or "broker"
        return product, version.decode() if isinstance(version, bytes) else version
