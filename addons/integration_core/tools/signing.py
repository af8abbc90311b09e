"""HMAC-SHA256 request signing, the same both ways (outbound deliveries, inbound webhooks).

Signature = "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + body)), sent in X-Signature
with the Unix timestamp in X-Timestamp; a receiver rejects timestamps too far from its clock.
"""

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Signature"
TIMESTAMP_HEADER = "X-Timestamp"


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
