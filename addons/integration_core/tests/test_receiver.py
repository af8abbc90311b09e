"""Plain pytest tests of the local test receiver (no Odoo needed).

Under ./suite test (pytest-odoo) this module is imported as
odoo.addons.integration_core.tests.test_receiver.  Run alone, without Odoo:
    cd addons/integration_core/tests && \
    /work/main/.venv/bin/python -m pytest -p no:odoo --import-mode=importlib test_receiver.py
(the default "prepend" import mode would import the addon package integration_core itself,
which needs Odoo).
"""

import hashlib
import hmac
import json
import threading
import time

import pytest
import requests

try:
    from .receiver import Fault, TestReceiver, sign
except ImportError:  # standalone run with --import-mode=importlib (no parent package)
    import os
    import sys

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from receiver import Fault, TestReceiver, sign

BODY = {"sku": "A-1", "price": "12.50", "currency": "EUR"}


@pytest.fixture
def make():
    started = []

    def _make(**kw):
        r = TestReceiver(**kw).start()
        started.append(r)
        return r

    yield _make
    for r in started:
        r.stop()


@pytest.fixture
def rcv(make):
    return make()


@pytest.fixture
def session():
    with requests.Session() as s:
        yield s


def post(s, r, key, body=None, path="/prices", headers=None, **kw):
    h = {"Content-Type": "application/json"}
    if key is not None:
        h["Idempotency-Key"] = key
    h.update(headers or {})
    if body is None:
        body = BODY
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return s.post(r.url + path, data=data, headers=h, timeout=kw.pop("timeout", 5), **kw)


# -- deliveries and idempotency --------------------------------------------------


def test_delivery_applied_once_and_replay(rcv, session):
    first = post(session, rcv, "k1")
    assert first.status_code == 200
    assert first.json() == {"status": "accepted", "idempotency_key": "k1"}
    second = post(session, rcv, "k1")
    assert second.status_code == 200
    assert second.content == first.content
    assert rcv.applied == {"k1": 1}
    assert rcv.replays == 1
    assert len(rcv.deliveries("k1")) == 2
    assert rcv.keys_sent_more_than_once() == ["k1"]
    post(session, rcv, "k2")
    assert rcv.applied == {"k1": 1, "k2": 1}
    assert rcv.keys_sent_more_than_once() == ["k1"]
    assert len(rcv.deliveries()) == 3

    rec = rcv.requests[0]
    assert rec.method == "POST" and rec.path == "/prices"
    assert rec.headers["idempotency-key"] == "k1"
    assert rec.json == BODY and json.loads(rec.body) == BODY
    assert rec.idempotency_key == "k1" and rec.status == 200
    assert rec.received_at <= rcv.requests[1].received_at


def test_missing_key_and_invalid_json(rcv, session):
    resp = post(session, rcv, None)
    assert resp.status_code == 400
    assert resp.json() == {"error": "missing Idempotency-Key"}
    resp = post(session, rcv, "bad", body=b"{not json")
    assert resp.status_code == 400 and "invalid JSON" in resp.json()["error"]
    assert rcv.applied == {}
    assert [r.status for r in rcv.requests] == [400, 400]


def test_health_and_other_gets(rcv, session):
    resp = session.get(rcv.url + "/health", timeout=5)
    assert resp.status_code == 200 and resp.json() == {"status": "ok"}
    assert session.get(rcv.url + "/elsewhere", timeout=5).status_code == 404
    assert rcv.deliveries() == []


def test_record_bodies_off_and_reset(make, session):
    r = make(record_bodies=False)
    post(session, r, "k1")
    assert r.requests[0].body == b"" and r.requests[0].json is None
    assert r.applied == {"k1": 1}
    r.add_faults(Fault.status(500))
    r.reset()
    assert r.requests == [] and r.applied == {} and r.replays == 0
    assert post(session, r, "k1").status_code == 200  # fault cleared, key forgotten
    assert r.replays == 0


# -- authentication ------------------------------------------------------------------


def test_api_key(make, session):
    r = make(api_key="secret-key", api_key_header="X-Shop-Key")
    assert post(session, r, "k1", headers={"X-Shop-Key": "secret-key"}).status_code == 200
    resp = post(session, r, "k2", headers={"X-Shop-Key": "wrong"})
    assert resp.status_code == 401 and "api key" in resp.json()["reason"]
    resp = post(session, r, "k3")
    assert resp.status_code == 401 and "missing" in resp.json()["reason"]
    assert session.get(r.url + "/health", timeout=5).status_code == 401
    assert (
        session.get(r.url + "/health", headers={"X-Shop-Key": "secret-key"}, timeout=5).status_code
        == 200
    )
    assert r.applied == {"k1": 1}


def test_bearer(make, session):
    r = make(bearer_token="tok")
    assert post(session, r, "k1", headers={"Authorization": "Bearer tok"}).status_code == 200
    resp = post(session, r, "k2", headers={"Authorization": "Bearer nope"})
    assert resp.status_code == 401 and resp.json()["reason"] == "invalid bearer token"
    assert post(session, r, "k3").status_code == 401
    assert r.applied == {"k1": 1}


def test_oauth_issue_use_expire_revoke(make, session):
    r = make(oauth_client_id="cid", oauth_client_secret="csecret", token_ttl=0.3)
    # wrong credentials
    resp = session.post(
        r.url + "/oauth/token",
        timeout=5,
        data={"grant_type": "client_credentials", "client_id": "cid", "client_secret": "bad"},
    )
    assert resp.status_code == 401 and resp.json() == {"error": "invalid_client"}
    # form credentials
    resp = session.post(
        r.url + "/oauth/token",
        timeout=5,
        data={"grant_type": "client_credentials", "client_id": "cid", "client_secret": "csecret"},
    )
    assert resp.status_code == 200
    tok = resp.json()
    assert tok["token_type"] == "Bearer" and tok["expires_in"] == 0.3
    auth = {"Authorization": "Bearer " + tok["access_token"]}
    assert post(session, r, "k1", headers=auth).status_code == 200
    assert post(session, r, "k2", headers={"Authorization": "Bearer forged"}).status_code == 401
    assert post(session, r, "k3").status_code == 401
    # expiry
    time.sleep(0.35)
    resp = post(session, r, "k4", headers=auth)
    assert resp.status_code == 401 and "expired" in resp.json()["reason"]
    # HTTP Basic credentials
    resp = session.post(
        r.url + "/oauth/token",
        timeout=5,
        auth=("cid", "csecret"),
        data={"grant_type": "client_credentials"},
    )
    assert resp.status_code == 200
    auth = {"Authorization": "Bearer " + resp.json()["access_token"]}
    assert post(session, r, "k5", headers=auth).status_code == 200
    # revoke
    r.revoke_tokens()
    resp = post(session, r, "k6", headers=auth)
    assert resp.status_code == 401 and resp.json()["reason"] == "invalid oauth token"
    assert r.token_requests == 3
    assert sorted(r.applied) == ["k1", "k5"]
    # token endpoint never counts as a delivery nor consumes faults
    r.add_faults(Fault.status(503))
    resp = session.post(
        r.url + "/oauth/token",
        timeout=5,
        auth=("cid", "csecret"),
        data={"grant_type": "client_credentials"},
        headers={"Idempotency-Key": "not-a-delivery"},
    )
    assert resp.status_code == 200
    assert all(d.path != "/oauth/token" for d in r.deliveries())
    auth = {"Authorization": "Bearer " + resp.json()["access_token"]}
    assert post(session, r, "k7", headers=auth).status_code == 503


def test_sign_helper_matches_reference():
    body = b'{"a":1}'
    expected = hmac.new(b"s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert sign("s3cret", 1700000000, body) == "sha256=" + expected


def test_hmac(make, session):
    r = make(hmac_secret="s3cret", max_skew=300)
    data = json.dumps(BODY).encode()

    def signed(ts, sig=None):
        return {"X-Timestamp": str(ts), "X-Signature": sig or sign("s3cret", ts, data)}

    now = int(time.time())
    assert post(session, r, "k1", body=data, headers=signed(now)).status_code == 200
    resp = post(session, r, "k2", body=data, headers=signed(now, sign("other", now, data)))
    assert resp.status_code == 401 and resp.json()["reason"] == "invalid signature"
    # body tampered after signing
    resp = post(session, r, "k3", body=data + b" ", headers=signed(now))
    assert resp.status_code == 401 and resp.json()["reason"] == "invalid signature"
    stale = now - 301
    resp = post(session, r, "k4", body=data, headers=signed(stale))
    assert resp.status_code == 401 and "stale timestamp" in resp.json()["reason"]
    future = now + 400
    assert post(session, r, "k5", body=data, headers=signed(future)).status_code == 401
    resp = post(session, r, "k6", body=data)
    assert resp.status_code == 401 and "missing" in resp.json()["reason"]
    # health is a GET with an empty body
    resp = session.get(r.url + "/health", headers=signed(now, sign("s3cret", now, b"")), timeout=5)
    assert resp.status_code == 200
    assert r.applied == {"k1": 1}


def test_all_configured_schemes_must_pass(make, session):
    r = make(api_key="k", hmac_secret="s")
    data = json.dumps(BODY).encode()
    ts = int(time.time())
    good = {"X-API-Key": "k", "X-Timestamp": str(ts), "X-Signature": sign("s", ts, data)}
    assert post(session, r, "a", body=data, headers=good).status_code == 200
    assert post(session, r, "b", body=data, headers={**good, "X-API-Key": "x"}).status_code == 401
    bad_sig = {**good, "X-Signature": sign("x", ts, data)}
    assert post(session, r, "c", body=data, headers=bad_sig).status_code == 401


# -- faults ------------------------------------------------------------------------------


def test_fault_status_with_retry_after(rcv, session):
    rcv.add_faults(
        Fault.status(503, retry_after=7),
        Fault.status(429, retry_after="Wed, 21 Oct 2015 07:28:00 GMT", body={"error": "slow down"}),
    )
    resp = post(session, rcv, "k1")
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "7"
    resp = post(session, rcv, "k1")
    assert resp.status_code == 429
    assert resp.headers["Retry-After"] == "Wed, 21 Oct 2015 07:28:00 GMT"
    assert resp.json() == {"error": "slow down"}
    assert rcv.applied == {}
    assert post(session, rcv, "k1").status_code == 200  # FIFO exhausted
    assert rcv.applied == {"k1": 1} and rcv.replays == 0
    assert [r.status for r in rcv.requests] == [503, 429, 200]
    assert rcv.requests[0].fault.startswith("Fault.status(503")


def test_fault_for_key_first_and_set_always(rcv, session):
    rcv.add_faults(Fault.status(500))
    rcv.fault_for_key("special", Fault.status(409))
    assert post(session, rcv, "other1").status_code == 500  # FIFO
    assert post(session, rcv, "special").status_code == 409  # key queue
    assert post(session, rcv, "special").status_code == 200
    rcv.add_faults(Fault.status(502))
    rcv.fault_for_key("special2", Fault.status(409))
    assert post(session, rcv, "special2").status_code == 409  # key queue consumed first
    assert post(session, rcv, "other2").status_code == 502
    rcv.set_always(Fault.status(503))
    assert [post(session, rcv, "x%d" % i).status_code for i in range(3)] == [503] * 3
    assert session.get(rcv.url + "/health", timeout=5).status_code == 200  # POSTs only
    rcv.set_always(None)
    assert post(session, rcv, "x0").status_code == 200
    assert sorted(rcv.applied) == ["special", "x0"]


def test_fault_delay(rcv, session):
    rcv.add_faults(Fault.delay(0.3))
    t = time.monotonic()
    resp = post(session, rcv, "k1")
    assert resp.status_code == 200 and time.monotonic() - t >= 0.3
    assert rcv.applied == {"k1": 1}


def test_constructor_delay(make, session):
    r = make(delay=0.2)
    t = time.monotonic()
    assert post(session, r, "k1").status_code == 200
    assert time.monotonic() - t >= 0.2


def test_fault_hang_makes_client_time_out(rcv, session):
    rcv.add_faults(Fault.hang(1.0))
    with pytest.raises(requests.Timeout):
        post(session, rcv, "k1", timeout=0.2)
    assert rcv.applied == {}
    # the receiver keeps serving other connections meanwhile, and answers 504 when done
    assert post(session, rcv, "k2").status_code == 200
    assert rcv.wait_for(lambda: rcv.requests[0].status == 504, timeout=3)
    assert rcv.applied == {"k2": 1}


def test_fault_drop(rcv, session):
    assert post(session, rcv, "warm").status_code == 200  # reuse a keep-alive connection
    rcv.add_faults(Fault.drop())
    with pytest.raises(requests.ConnectionError):
        post(session, rcv, "k1")
    assert "k1" not in rcv.applied
    assert rcv.requests[-1].dropped and rcv.requests[-1].status == 0
    resp = post(session, rcv, "k1")  # the retry goes through
    assert resp.status_code == 200 and rcv.applied["k1"] == 1 and rcv.replays == 0


def test_fault_apply_then_drop(rcv, session):
    rcv.add_faults(Fault.apply_then_drop())
    with pytest.raises(requests.ConnectionError):
        post(session, rcv, "k1")
    assert rcv.applied == {"k1": 1}
    # the sender retries: a replay with the original answer, not a second effect
    resp = post(session, rcv, "k1")
    assert resp.status_code == 200
    assert resp.json() == {"status": "accepted", "idempotency_key": "k1"}
    assert rcv.applied == {"k1": 1} and rcv.replays == 1
    assert rcv.keys_sent_more_than_once() == ["k1"]


# -- batch ----------------------------------------------------------------------------------


def _batch(keys):
    return {
        "messages": [
            {"idempotency_key": k, "event_type": "price.changed", "payload": {"sku": k}}
            for k in keys
        ]
    }


def test_batch_with_one_failing_item(rcv, session):
    rcv.fault_for_key("b2", Fault.status(503))
    resp = post(session, rcv, "batch-1", body=_batch(["b1", "b2", "b3"]), path="/prices/batch")
    assert resp.status_code == 200
    results = resp.json()["results"]
    assert results[0] == {"idempotency_key": "b1", "status": 200}
    assert results[1]["idempotency_key"] == "b2" and results[1]["status"] == 503
    assert results[1]["error"]
    assert results[2] == {"idempotency_key": "b3", "status": 200}
    assert rcv.applied == {"b1": 1, "b3": 1}
    assert rcv.requests[0].item_keys == ["b1", "b2", "b3"]
    assert len(rcv.deliveries("b2")) == 1  # the batch containing b2
    # the sender retries the batch: b2 applied now, b1 and b3 are replays
    resp = post(session, rcv, "batch-1", body=_batch(["b1", "b2", "b3"]), path="/prices/batch")
    assert [x["status"] for x in resp.json()["results"]] == [200, 200, 200]
    assert rcv.applied == {"b1": 1, "b2": 1, "b3": 1}
    assert rcv.replays == 2
    assert rcv.keys_sent_more_than_once() == ["b1", "b2", "b3", "batch-1"]


def test_batch_auth_missing_key_and_whole_request_faults(make, session):
    r = make(api_key="k")
    path = "/stock/batch"
    assert (
        post(
            session, r, None, body=_batch(["a"]), path=path, headers={"X-API-Key": "k"}
        ).status_code
        == 400
    )
    assert post(session, r, "b", body=_batch(["a"]), path=path).status_code == 401
    assert (
        post(session, r, "b", body={"nope": 1}, path=path, headers={"X-API-Key": "k"}).status_code
        == 400
    )
    r.add_faults(Fault.apply_then_drop())
    with pytest.raises(requests.ConnectionError):
        post(session, r, "b", body=_batch(["a", "c"]), path=path, headers={"X-API-Key": "k"})
    assert r.applied == {"a": 1, "c": 1}


# -- concurrency and lifecycle -------------------------------------------------------


def test_thread_safety_4x200_same_keys(rcv):
    keys = ["t%d" % i for i in range(200)]
    statuses = []
    errors = []

    def worker(offset):
        try:
            with requests.Session() as s:
                # every thread sends every key, starting at a different place
                for i in range(200):
                    k = keys[(i + offset * 50) % 200]
                    statuses.append(post(s, rcv, k).status_code)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert statuses == [200] * 800
    assert len(rcv.requests) == 800
    assert rcv.applied == {k: 1 for k in keys}
    assert rcv.replays == 600
    assert rcv.keys_sent_more_than_once() == sorted(keys)


def test_stop_is_prompt_with_open_keepalive_and_hang(session):
    r = TestReceiver().start()
    assert post(session, r, "k1").status_code == 200  # leaves a keep-alive connection open
    r.add_faults(Fault.hang(30))
    outcome = []

    def hung_client():
        try:
            outcome.append(post(session, r, "k2", timeout=10).status_code)
        except requests.RequestException as e:
            outcome.append(type(e).__name__)

    t = threading.Thread(target=hung_client)
    t.start()
    assert r.wait_for(lambda: len(r.requests) == 2, timeout=3)
    start = time.monotonic()
    r.stop()
    assert time.monotonic() - start < 3
    t.join(5)
    # the hang is cut short: the client got the 504 or lost the connection, not a 10 s timeout
    assert outcome and outcome[0] in (504, "ConnectionError")
    with pytest.raises(requests.ConnectionError):
        requests.get(r.url + "/health", timeout=2)


def test_context_manager_and_restart(session):
    with TestReceiver() as r:
        assert r.url.startswith("http://127.0.0.1:")
        assert session.get(r.url + "/health", timeout=5).status_code == 200
    r.start()
    try:
        assert requests.get(r.url + "/health", timeout=5).status_code == 200
    finally:
        r.stop()
    assert r.wait_for(lambda: True) and not r.wait_for(lambda: False, timeout=0.05)
