"""The suite's settings in the [integration] section of Odoo's configuration file."""

import doctest
import os
import tempfile
import unittest

from cryptography.fernet import Fernet

from ..tools import crypto, options


class TestOptions(unittest.TestCase):
    def setUp(self):
        super().setUp()
        handle, self.path = tempfile.mkstemp(suffix=".conf")
        os.close(handle)
        self.addCleanup(os.unlink, self.path)

    def write_file(self, text):
        with open(self.path, "w") as handle:
            handle.write(text)

    def test_doctests(self):
        self.assertEqual(doctest.testmod(options).failed, 0)

    def test_key_from_the_section_of_the_file_odoo_read(self):
        key = Fernet.generate_key().decode()
        self.write_file(f"[options]\nhttp_port = 0\n\n[integration]\nencryption_key = {key}\n")
        self.assertEqual(crypto.keys_from({"config": self.path}, environ={}), [key])

    def test_old_name_in_options_and_environment_still_win(self):
        section_key, old_name_key, env_key = (Fernet.generate_key().decode() for _ in range(3))
        self.write_file(f"[integration]\nencryption_key = {section_key}\n")
        config = {"config": self.path, "integration_encryption_key": old_name_key}
        self.assertEqual(crypto.keys_from(config, environ={})[0], old_name_key)
        environ = {crypto.KEY_ENV: env_key}
        self.assertEqual(crypto.keys_from(config, environ=environ)[0], env_key)

    def test_edited_file_read_again_and_missing_setting_defaults(self):
        self.write_file("[integration]\nqueue_batch_size = 50\n")
        self.assertEqual(options.get({"config": self.path}, "queue_batch_size"), "50")
        self.write_file("[integration]\nqueue_batch_size = 75\nqueue_time_budget =\n")
        os.utime(self.path, ns=(0, os.stat(self.path).st_mtime_ns + 1_000_000))
        self.assertEqual(options.get({"config": self.path}, "queue_batch_size"), "75")
        self.assertEqual(options.get({"config": self.path}, "queue_time_budget", 50), 50)
        self.assertIsNone(options.get({}, "queue_batch_size"))

    def test_no_key_names_the_section(self):
        self.write_file("[options]\n")
        with self.assertRaisesRegex(crypto.SecretKeyError, r"\[integration\] section"):
            crypto.keys_from({"config": self.path}, environ={})
