"""`odoo-bin integration_rotate_key` re-encrypts every encrypted field with a new key.

The real command, in its own process, on the workers' copy of the test database: every value
of every field in the declared list is re-encrypted in one transaction, a value no key opens
stops it with nothing changed, and a real Odoo server with the new key alone still
authenticates a signed inbound webhook.
"""

import configparser
import json
import os
import subprocess
import sys
import time

import requests
from cryptography.fernet import Fernet, InvalidToken

from odoo.tools import SQL

from odoo.addons.integration_core.tools import signing

from suitekit.pg import query
from suitekit.processes import result_of, run_in_odoo, start_server, stop
from test_queue_workers import _db

SETUP = """
from odoo.addons.integration_core.tools.crypto import SecretBox
stock = env.ref("integration_core.domain_stock")
connector = env["integration.connector"].create({
    "name": "Rotation", "code": args["code"], "auth_type": "api_key",
    "base_url": "http://127.0.0.1:9", "kind": "wms",
    "inbound_enabled": True, "inbound_auth": "hmac",
    "allowed_domain_ids": [(6, 0, [stock.id])],
})
connector.secret_input = "the-api-key"
connector.inbound_secret_input = "the-inbound-secret"
connector.sudo().oauth_token_encrypted = SecretBox([args["key"]]).encrypt("cached-oauth-token")
previous_owner = stock.owner_connector_id.id
stock.owner_connector_id = connector
# A second connector whose cached token was stored under a key nobody has any more.
broken = env["integration.connector"].create(
    {"name": "Rotation broken", "code": args["code"] + "-broken"}
)
broken.sudo().oauth_token_encrypted = SecretBox([args["stray"]]).encrypt("lost")
registry = env["integration.connector"]._encrypted_field_registry()
result = {
    "id": connector.id,
    "broken": broken.id,
    "stock": stock.id,
    "previous_owner": previous_owner,
    "fields": [[env[m]._table, f] for m, fnames in registry.items() for f in fnames],
}
"""

READ_SECRETS = """
connector = env["integration.connector"].browse(args["id"])
result = [connector._get_secret(), connector._get_inbound_secret()]
"""


def _config_key(config_file):
    parser = configparser.ConfigParser()
    parser.read(config_file)
    return parser["integration"]["encryption_key"]


def _addons_path(config_file):
    parser = configparser.ConfigParser()
    parser.read(config_file)
    return parser["options"]["addons_path"]


def _rotate(suite_env, env):
    # Odoo finds commands of addons only with --addons-path given first.
    return subprocess.run(
        [
            sys.executable,
            os.path.join(suite_env["odoo_src"], "odoo-bin"),
            "--addons-path=" + _addons_path(suite_env["config"]),
            "integration_rotate_key",
            "-c",
            suite_env["config"],
            "-d",
            _db(),
            "--log-level=warn",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def _stored(fields):
    """{(table, field, id): token} of every value of every declared encrypted field."""
    values = {}
    for table, field in fields:
        statement = SQL(
            "SELECT id, %s FROM %s WHERE %s IS NOT NULL",
            SQL.identifier(field),
            SQL.identifier(table),
            SQL.identifier(field),
        )
        for record_id, token in query(_db(), statement.code, statement.params):
            values[(table, field, record_id)] = token
    return values


def _post_signed_event(suite_env, env, code):
    """Status of a signed inbound event posted to a real Odoo server started with `env`."""
    server, port = start_server(
        suite_env["config"], _db(), "--max-cron-threads=0", env=env, wait=120
    )
    try:
        body = json.dumps(
            {
                "event_id": f"rotation-{time.time()}",
                "event_type": "stock.adjusted",
                "payload": {"sku": "FURN_0096", "warehouse": "WH", "quantity": 3},
            }
        ).encode()
        headers = {
            "Content-Type": "application/json",
            **signing.signature_headers("the-inbound-secret", body),
        }
        url = f"http://127.0.0.1:{port}/integration/{code}/events"
        answer = requests.post(url, data=body, headers=headers, timeout=60)
        return answer.status_code, answer.text
    finally:
        stop(server)


def test_rotate_key_command(suite_env):
    # The database's secrets are under the configuration file's key: it is the old one.
    old_key = _config_key(suite_env["config"])
    new_key = Fernet.generate_key().decode()
    stray_key = Fernet.generate_key().decode()
    base = {k: v for k, v in os.environ.items() if not k.startswith("INTEGRATION_ENCRYPTION")}
    code = f"rotation-{int(time.time())}"

    def with_key(key=None, old=None):
        env = dict(base)
        if key:
            env["INTEGRATION_ENCRYPTION_KEY"] = key
        if old:
            env["INTEGRATION_ENCRYPTION_OLD_KEYS"] = old
        return env

    def read_secrets(key):
        return run_in_odoo(
            suite_env["config"], _db(), READ_SECRETS, {"id": setup["id"]}, with_key(key)
        )

    setup = result_of(
        run_in_odoo(
            suite_env["config"],
            _db(),
            SETUP,
            {"key": old_key, "stray": stray_key, "code": code},
            with_key(),
        )
    )
    fields = [tuple(f) for f in setup["fields"]]
    for field in ("secret_encrypted", "oauth_token_encrypted", "inbound_secret_encrypted"):
        assert ("integration_connector", field) in fields
    before = _stored(fields)

    # One value no configured key opens: the command names it and commits nothing, although
    # the values before it could be rotated.
    refused = _rotate(suite_env, with_key(new_key, old_key))
    assert refused.returncode != 0
    message = refused.stderr + refused.stdout
    assert "Nothing was changed" in message
    assert "oauth_token_encrypted" in message and f"id {setup['broken']}" in message
    assert _stored(fields) == before

    assert query(
        _db(),
        "UPDATE integration_connector SET oauth_token_encrypted = NULL WHERE id = %s RETURNING id",
        [setup["broken"]],
    ) == [(setup["broken"],)]
    before = _stored(fields)
    for name in ("secret_encrypted", "oauth_token_encrypted", "inbound_secret_encrypted"):
        assert ("integration_connector", name, setup["id"]) in before
    rotated = _rotate(suite_env, with_key(new_key, old_key))
    assert rotated.returncode == 0, rotated.stderr[-3000:]
    assert f"Re-encrypted {len(before)} value(s)" in rotated.stdout
    after = _stored(fields)
    assert after.keys() == before.keys()
    new_only, old_only = Fernet(new_key), Fernet(old_key)
    for key, token in after.items():
        assert token != before[key], key
        assert new_only.decrypt(token.encode()) == old_only.decrypt(before[key].encode()), key
        try:
            old_only.decrypt(token.encode())
        except InvalidToken:
            pass
        else:
            raise AssertionError(f"{key} is still readable with the old key")

    # Odoo with the new key alone reads them, and authenticates the sender's signature.
    assert result_of(read_secrets(new_key)) == ["the-api-key", "the-inbound-secret"]
    status, text = _post_signed_event(suite_env, with_key(new_key), code)
    assert status == 202, text

    # And back to the configuration file's key, listing the new one as old: the database is
    # left as the other tests found it.
    back = _rotate(suite_env, with_key(old=new_key))
    assert back.returncode == 0, back.stderr[-3000:]
    query(
        _db(),
        "UPDATE integration_data_domain SET owner_connector_id = %s WHERE id = %s RETURNING id",
        [setup["previous_owner"] or None, setup["stock"]],
    )
