from cryptography.fernet import Fernet

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import config

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
        old_key = config.get("integration_encryption_key")
        new_key = Fernet.generate_key().decode()
        with _ConfigKeys(new_key, old_key):
            self.assertEqual(self.connector._get_secret(), "rotate-me", "old key still decrypts")
            count = self.env["integration.connector"]._rotate_encryption_key()
            self.assertGreaterEqual(count, 1)
        with _ConfigKeys(new_key):
            self.connector.invalidate_recordset()
            self.assertEqual(self.connector._get_secret(), "rotate-me", "new key alone is enough")


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
