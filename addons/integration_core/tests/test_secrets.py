import json
import time

from cryptography.fernet import Fernet

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged
from odoo.tools import config, mute_logger

from ..tools import signing
from ..tools.crypto import SecretBox, SecretKeyError, keys_from
from .common import IntegrationCase


class _ConfigKeys:
    """Set the encryption keys of the Odoo configuration for one block, then restore them."""

    def __init__(self, key, old=""):
        self.values = {"integration_encryption_key": key, "integration_encryption_old_keys": old}

    def __enter__(self):
        self.saved = {k: config.get(k) for k in self.values}
        for k, v in self.values.items():
            config[k] = v

    def __exit__(self, *exc):
        for k, v in self.saved.items():
            config[k] = v


@tagged("post_install", "-at_install")
class TestSecrets(IntegrationCase):
    def test_secret_is_stored_encrypted_and_never_shown(self):
        self.connector.secret_input = "sup3r-secret"
        self.connector.invalidate_recordset()
        stored = self.connector.sudo().secret_encrypted
        self.assertTrue(stored)
        self.assertNotIn("sup3r-secret", stored)
        self.env.cr.execute(
            "SELECT secret_encrypted FROM integration_connector WHERE id = %s", [self.connector.id]
        )
        self.assertNotIn("sup3r-secret", self.env.cr.fetchone()[0])
        self.assertFalse(self.connector.secret_input, "the field never reads the secret back")
        self.assertTrue(self.connector.secret_is_set)
        self.assertEqual(self.connector._get_secret(), "sup3r-secret")

    def test_secret_fields_are_hidden_from_non_managers(self):
        self.connector.secret_input = "x"
        user_connector = self.connector.with_user(self.responsible)
        with self.assertRaises(AccessError):
            user_connector.read(["secret_encrypted"])
        self.assertNotIn("secret_input", user_connector.fields_get())
        self.assertTrue(user_connector.secret_is_set, "users may know a secret is set")

    def test_missing_key_is_a_clear_error(self):
        with _ConfigKeys(""), self.assertRaisesRegex(UserError, "No encryption key"):
            self.connector.secret_input = "x"

    def test_wrong_key_is_a_clear_error_not_a_traceback(self):
        self.connector.secret_input = "before"
        with _ConfigKeys(Fernet.generate_key().decode()):
            with self.assertRaisesRegex(UserError, "cannot be decrypted"):
                self.connector._get_secret()

    def test_malformed_key_is_a_clear_error(self):
        with _ConfigKeys("not-a-key"), self.assertRaisesRegex(UserError, "not a valid Fernet key"):
            self.connector.secret_input = "x"

    def test_key_rotation(self):
        self.connector.secret_input = "rotate-me"
        old_key = keys_from(config)[0]
        new_key = Fernet.generate_key().decode()
        with _ConfigKeys(new_key, old_key):
            self.assertEqual(self.connector._get_secret(), "rotate-me", "old key still decrypts")
            count = self.env["integration.connector"]._rotate_encryption_key()
            self.assertGreaterEqual(count, 1)
        with _ConfigKeys(new_key):
            self.connector.invalidate_recordset()
            self.assertEqual(self.connector._get_secret(), "rotate-me", "new key alone is enough")


def _encrypted_values(env):
    """{(model, field, id): stored token} of every value of every declared encrypted field."""
    values = {}
    registry = env["integration.connector"]._encrypted_field_registry()
    for model, fnames in registry.items():
        records = env[model].sudo().with_context(active_test=False).search([])
        for record in records:
            for fname in fnames:
                if record[fname]:
                    values[(model, fname, record.id)] = record[fname]
    return values


@tagged("post_install", "-at_install")
class TestKeyRotation(IntegrationCase):
    def setUp(self):
        super().setUp()
        self.old_key = keys_from(config)[0]
        self.new_key = Fernet.generate_key().decode()
        self.connector.secret_input = "outbound-secret"
        self.connector.inbound_auth = "token"
        self.connector.inbound_secret_input = "inbound-secret"
        self.connector.sudo().oauth_token_encrypted = SecretBox([self.old_key]).encrypt("oauth")

    def test_every_encrypted_field_is_declared(self):
        registry = self.env["integration.connector"]._encrypted_field_registry()
        self.assertEqual(
            set(registry["integration.connector"]),
            {"secret_encrypted", "oauth_token_encrypted", "inbound_secret_encrypted"},
        )
        for model, fnames in registry.items():
            for fname in fnames:
                field = self.env[model]._fields.get(fname)
                self.assertTrue(field and field.store, f"{model}.{fname} is not a stored field")
        # A field named as encrypted but not declared would be left under the old key.
        for model_name, model in self.env.registry.items():
            if model._abstract:
                continue
            for fname, field in model._fields.items():
                if field.store and fname.endswith("_encrypted"):
                    self.assertIn(fname, registry.get(model_name, ()), f"{model_name}.{fname}")

    def test_rotation_reencrypts_every_declared_field(self):
        before = _encrypted_values(self.env)
        for fname in ("secret_encrypted", "oauth_token_encrypted", "inbound_secret_encrypted"):
            self.assertIn(("integration.connector", fname, self.connector.id), before)
        with _ConfigKeys(self.new_key, self.old_key):
            count = self.env["integration.connector"]._rotate_encryption_key()
        self.assertEqual(count, len(before))
        self.env.invalidate_all()
        after = _encrypted_values(self.env)
        self.assertEqual(after.keys(), before.keys())
        new_only, old_only = SecretBox([self.new_key]), SecretBox([self.old_key])
        for key, token in after.items():
            self.assertNotEqual(token, before[key], key)
            self.assertEqual(new_only.decrypt(token), old_only.decrypt(before[key]), key)
            with self.assertRaises(SecretKeyError, msg=key):
                old_only.decrypt(token)
        with _ConfigKeys(self.new_key):
            self.assertEqual(self.connector._get_inbound_secret(), "inbound-secret")
            self.assertEqual(self.connector._get_secret(), "outbound-secret")

    def test_one_undecryptable_value_stops_rotation_before_any_write(self):
        # Created after self.connector, so rotated after it: its failure must not leave the
        # connector before it re-encrypted.
        broken = self.make_connector("broken")
        stranger = SecretBox([Fernet.generate_key().decode()])
        broken.sudo().inbound_secret_encrypted = stranger.encrypt("lost")
        before = _encrypted_values(self.env)
        # No assertRaises: it would roll back to a savepoint and hide writes made before.
        with _ConfigKeys(self.new_key, self.old_key):
            try:
                self.env["integration.connector"]._rotate_encryption_key()
            except UserError as exc:
                error = str(exc)
            else:
                self.fail("a value no key decrypts must stop the rotation")
        self.assertIn("inbound_secret_encrypted", error)
        self.assertIn(f"id {broken.id}", error)
        self.assertIn("Nothing was re-encrypted", error)
        self.env.flush_all()
        self.env.invalidate_all()
        self.assertEqual(_encrypted_values(self.env), before)


@tagged("post_install", "-at_install")
class TestRotationKeepsInboundWorking(HttpCase):
    def test_signed_webhook_authenticates_after_rotation(self):
        stock = self.env.ref("integration_core.domain_stock")
        wms = self.env["integration.connector"].create(
            {
                "name": "Rotated WMS",
                "code": "t-rotated-wms",
                "kind": "wms",
                "inbound_enabled": True,
                "inbound_auth": "hmac",
                "allowed_domain_ids": [(6, 0, [stock.id])],
            }
        )
        wms.inbound_secret_input = "wms-secret"
        stock.owner_connector_id = wms
        old_key = keys_from(config)[0]
        new_key = Fernet.generate_key().decode()

        def post(event_id):
            body = json.dumps(
                {
                    "event_id": event_id,
                    "event_type": "stock.adjusted",
                    "occurred_at": "2026-11-25T10:00:00Z",
                    "payload": {"sku": "FURN_0096", "warehouse": "WH", "quantity": 7},
                }
            ).encode()
            headers = {
                "Content-Type": "application/json",
                **signing.signature_headers("wms-secret", body, now=time.time()),
            }
            return self.url_open("/integration/t-rotated-wms/events", data=body, headers=headers)

        with _ConfigKeys(new_key), mute_logger("odoo.addons.integration_core.inbound.security"):
            self.assertEqual(post("before").status_code, 401, "not rotated: new key cannot read")
        with _ConfigKeys(new_key, old_key):
            self.env["integration.connector"]._rotate_encryption_key()
        with _ConfigKeys(new_key):
            response = post("after")
            self.assertEqual(response.status_code, 202, response.text)


@tagged("post_install", "-at_install")
class TestSecretBox(IntegrationCase):
    def test_env_wins_over_config(self):
        env_key, conf_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
        keys = keys_from(
            {"integration_encryption_key": conf_key}, {"INTEGRATION_ENCRYPTION_KEY": env_key}
        )
        self.assertEqual(keys, [env_key])

    def test_roundtrip_and_rotation(self):
        a, b = Fernet.generate_key().decode(), Fernet.generate_key().decode()
        token = SecretBox([a]).encrypt("hello")
        both = SecretBox([b, a])
        self.assertEqual(both.decrypt(token), "hello")
        rotated = both.rotate(token)
        self.assertEqual(SecretBox([b]).decrypt(rotated), "hello")
        with self.assertRaises(SecretKeyError):
            SecretBox([b]).decrypt(token)
