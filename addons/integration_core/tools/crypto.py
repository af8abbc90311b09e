"""Encryption of connector secrets at rest (Fernet), keys from the config file or environment.

The key never lives in the database: `encryption_key` in the `[integration]` section of the
Odoo configuration file (see tools/options.py) or the INTEGRATION_ENCRYPTION_KEY environment
variable (which wins). Previous keys, listed in `encryption_old_keys` /
INTEGRATION_ENCRYPTION_OLD_KEYS (comma-separated), still decrypt, so a key can be rotated: set
the new key, list the old one, re-encrypt, drop the old.

Also the hashing of bearer tokens Odoo only checks and never sends (the metrics token).
"""

import hashlib
import hmac
import os
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from . import options

KEY_OPTION = "encryption_key"
OLD_KEYS_OPTION = "encryption_old_keys"
KEY_ENV = "INTEGRATION_ENCRYPTION_KEY"
OLD_KEYS_ENV = "INTEGRATION_ENCRYPTION_OLD_KEYS"


class SecretKeyError(Exception):
    """The encryption key is missing, malformed, or not the one the secret was stored with.
    Its message is meant for an administrator, in plain words."""


def _split(value):
    return [k.strip() for k in (value or "").split(",") if k.strip()]


def keys_from(config, environ=None):
    """Return [primary, *old] keys from an Odoo config mapping and the environment."""
    environ = os.environ if environ is None else environ
    primary = environ.get(KEY_ENV) or options.get(config, KEY_OPTION) or ""
    old = _split(environ.get(OLD_KEYS_ENV)) or _split(options.get(config, OLD_KEYS_OPTION))
    primary = primary.strip()
    if not primary:
        raise SecretKeyError(
            f"No encryption key for connector secrets: set '{KEY_OPTION}' in the "
            f"[{options.SECTION}] section of the Odoo configuration file or the {KEY_ENV} "
            "environment variable "
            '(generate one with: python3 -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())").'
        )
    return [primary, *[k for k in old if k != primary]]


class SecretBox:
    """Encrypts with the primary key, decrypts with any configured key."""

    def __init__(self, keys):
        if not keys:
            raise SecretKeyError("No encryption key configured for connector secrets.")
        fernets = []
        for index, key in enumerate(keys):
            try:
                fernets.append(Fernet(key.encode() if isinstance(key, str) else key))
            except (ValueError, TypeError) as exc:
                which = "the encryption key" if index == 0 else f"old encryption key #{index}"
                raise SecretKeyError(
                    f"{which.capitalize()} for connector secrets is not a valid Fernet key "
                    "(32 url-safe base64-encoded bytes)."
                ) from exc
        self._primary = fernets[0]
        self._all = MultiFernet(fernets)

    @classmethod
    def from_config(cls, config, environ=None):
        return cls(keys_from(config, environ))

    def encrypt(self, plaintext):
        return self._primary.encrypt(plaintext.encode()).decode()

    def decrypt(self, token):
        try:
            return self._all.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise SecretKeyError(
                "A stored secret cannot be decrypted with the configured encryption key: the "
                "key changed without rotation. Put the previous key in "
                f"'{OLD_KEYS_OPTION}' ({OLD_KEYS_ENV}) and rotate, or enter the secret again."
            ) from exc

    def rotate(self, token):
        """Re-encrypt a token with the primary key (decrypting with any configured key)."""
        try:
            return self._all.rotate(token.encode()).decode()
        except InvalidToken as exc:
            raise SecretKeyError(
                "A stored secret cannot be decrypted with any configured key, so it cannot be "
                "rotated: enter it again."
            ) from exc


# Bearer tokens Odoo checks but never sends are stored as a salted SHA-256, never in clear.
# A fast hash is enough because the tokens are random: new_token() draws 256 bits and a typed
# token must have at least MIN_TOKEN_LENGTH characters, far beyond any brute force, so a
# deliberately slow hash (pbkdf2) would add nothing but CPU spent on every unauthenticated
# request. The salt keeps equal tokens from having equal hashes.
TOKEN_HASH_SCHEME = "sha256"
MIN_TOKEN_LENGTH = 32


def new_token():
    """A random bearer token, 256 bits, url-safe."""
    return secrets.token_urlsafe(32)


def hash_token(token, salt=None):
    """'sha256$<salt hex>$<digest hex>' of a token; a new random salt unless one is given."""
    salt = secrets.token_bytes(16) if salt is None else salt
    digest = hashlib.sha256(salt + token.encode()).hexdigest()
    return f"{TOKEN_HASH_SCHEME}${salt.hex()}${digest}"


def token_matches(token, stored_hash):
    """Whether `token` is the one `stored_hash` was made from (constant-time comparison)."""
    scheme, _sep, rest = (stored_hash or "").partition("$")
    salt_hex, _sep, _digest = rest.partition("$")
    if scheme != TOKEN_HASH_SCHEME or not token:
        return False
    try:
        salt = bytes.fromhex(salt_hex)
    except ValueError:
        return False
    return hmac.compare_digest(hash_token(token, salt).encode(), stored_hash.encode())
