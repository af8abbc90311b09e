"""`odoo-bin integration_rotate_key` re-encrypts connector secrets with a new key."""

import os
import subprocess
import sys

from cryptography.fernet import Fernet

from suite_helpers import result_of, run_in_odoo
from test_queue_workers import _db

SET_SECRET = """
connector = env["integration.connector"].create({
    "name": "Rotation", "code": "rotation", "auth_type": "api_key",
    "base_url": "http://127.0.0.1:9",
})
connector.secret_input = "the-api-key"
result = connector.id
"""

READ_SECRET = """
connector = env["integration.connector"].browse(args["id"])
result = connector._get_secret()
"""


def _addons_path(config_file):
    import configparser

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


def test_rotate_key_command(suite_env):
    old_key = Fernet.generate_key().decode()
    new_key = Fernet.generate_key().decode()
    base = {k: v for k, v in os.environ.items() if not k.startswith("INTEGRATION_ENCRYPTION")}

    def with_key(key, old=None):
        env = {**base, "INTEGRATION_ENCRYPTION_KEY": key}
        if old:
            env["INTEGRATION_ENCRYPTION_OLD_KEYS"] = old
        return env

    def read_secret(key):
        return run_in_odoo(
            suite_env["config"], _db(), READ_SECRET, {"id": connector_id}, with_key(key)
        )

    connector_id = result_of(
        run_in_odoo(suite_env["config"], _db(), SET_SECRET, env=with_key(old_key))
    )

    # Without the old key listed, nothing can be rotated, and nothing changes.
    refused = _rotate(suite_env, with_key(new_key))
    assert refused.returncode != 0
    assert "Nothing was changed" in refused.stderr + refused.stdout
    assert result_of(read_secret(old_key)) == "the-api-key"

    rotated = _rotate(suite_env, with_key(new_key, old_key))
    assert rotated.returncode == 0, rotated.stderr[-3000:]
    assert "Re-encrypted the secrets of" in rotated.stdout
    # The new key alone now reads it; the old one no longer does.
    assert result_of(read_secret(new_key)) == "the-api-key"
    stale = read_secret(old_key)
    assert stale.returncode != 0 and "cannot be decrypted" in stale.stderr
