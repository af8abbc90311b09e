"""Request signing, the same both ways (outbound deliveries, inbound webhooks).

**Standard Webhooks** (https://www.standardwebhooks.com, signature scheme v1), what webhook
platforms and their libraries verify: headers ``webhook-id`` (the message's id),
``webhook-timestamp`` (Unix seconds) and ``webhook-signature`` = ``v1,`` + base64(HMAC-SHA256(
key, id + "." + timestamp + "." + body)), several separated by spaces while a secret rotates.
The secret is ``whsec_`` + base64 of the key.

**Legacy** (this suite's first scheme, kept for receivers built on it): "sha256=" +
hex(HMAC-SHA256(secret, timestamp + "." + body)) in X-Signature, the Unix timestamp in
X-Timestamp.

Either way a receiver rejects timestamps too far from its clock.
"""

import base64
import binascii
import hashlib
import hmac
import secrets
import time

SIGNATURE_HEADER = "X-Signature"
TIMESTAMP_HEADER = "X-Timestamp"
WEBHOOK_ID = "webhook-id"
WEBHOOK_TIMESTAMP = "webhook-timestamp"
WEBHOOK_SIGNATURE = "webhook-signature"
WEBHOOK_SECRET_PREFIX = "whsec_"
MIN_KEY_BYTES = 24
# An id the Standard Webhooks libraries accept (they put it in the signed content as is).
MAX_ID_LENGTH = 255


def sign(secret, timestamp, body):
    mac = hmac.new(secret.encode(), str(int(timestamp)).encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signature_headers(secret, body, now=None):
    timestamp = int(now if now is not None else time.time())
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: sign(secret, timestamp, body)}


def verify(secret, timestamp, signature, body, max_skew=300, now=None):
    """Return None when valid, else the reason in words."""
    if not timestamp or not signature:
        return "missing signature or timestamp header"
    try:
        ts = int(timestamp)
    except ValueError:
        return "timestamp is not a Unix time in seconds"
    now = time.time() if now is None else now
    if abs(now - ts) > max_skew:
        return f"timestamp is more than {max_skew} seconds away from the server clock"
    if not hmac.compare_digest(sign(secret, ts, body), signature):
        return "signature does not match the body"
    return None


# ---------------------------------------------------------------- Standard Webhooks


def new_webhook_secret():
    """A random Standard Webhooks secret: "whsec_" + base64 of 32 random bytes."""
    return WEBHOOK_SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def webhook_key(secret):
    """The HMAC key of a Standard Webhooks secret ("whsec_" + base64, or the base64 alone);
    ValueError when it is not one.

    >>> len(webhook_key(new_webhook_secret()))
    32
    """
    text = (
        secret[len(WEBHOOK_SECRET_PREFIX) :] if secret.startswith(WEBHOOK_SECRET_PREFIX) else secret
    )
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("a Standard Webhooks secret is 'whsec_' followed by base64") from exc
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(
            f"a Standard Webhooks secret holds at least {MIN_KEY_BYTES} bytes: generate one"
        )
    return key


def webhook_sign(key, msg_id, timestamp, body):
    """ "v1," + base64 signature of `body` (bytes) sent as message `msg_id` at `timestamp`."""
    content = f"{msg_id}.{int(timestamp)}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()


def webhook_headers(secret, msg_id, body, now=None):
    """The three Standard Webhooks headers of one request; ValueError for a bad secret."""
    timestamp = int(now if now is not None else time.time())
    return {
        WEBHOOK_ID: msg_id,
        WEBHOOK_TIMESTAMP: str(timestamp),
        WEBHOOK_SIGNATURE: webhook_sign(webhook_key(secret), msg_id, timestamp, body),
    }


def webhook_verify(secret, headers, body, max_skew=300, now=None):
    """None when `headers` (a case-insensitive mapping) sign `body` with `secret` under
    Standard Webhooks, else the reason in words. Any bytes in the headers are refused cleanly;
    a secret that is not a Standard Webhooks one verifies nothing (same work, same answer)."""
    msg_id = headers.get(WEBHOOK_ID) or ""
    timestamp = headers.get(WEBHOOK_TIMESTAMP) or ""
    signatures = headers.get(WEBHOOK_SIGNATURE) or ""
    if not (msg_id and timestamp and signatures):
        return "missing webhook-id, webhook-timestamp or webhook-signature header"
    if not (msg_id.isascii() and msg_id.isprintable()) or len(msg_id) > MAX_ID_LENGTH:
        return "webhook-id is not printable ASCII of at most 255 characters"
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
        return "webhook-timestamp is not a Unix time in seconds"
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > max_skew:
        return f"webhook-timestamp is more than {max_skew} seconds away from the server clock"
    try:
        key, usable = webhook_key(secret), True
    except ValueError:
        key, usable = b"\0" * 32, False
    expected = webhook_sign(key, msg_id, int(timestamp), body).encode()
    matched = False
    for candidate in signatures.split(" "):
        matched |= hmac.compare_digest(candidate.encode("utf-8", "replace"), expected)
    if not (matched and usable):
        return "signature does not match the body"
    return None
