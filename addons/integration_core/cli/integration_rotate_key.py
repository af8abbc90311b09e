# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""odoo-bin --addons-path=<your addons path> integration_rotate_key -c odoo.conf -d DB

Re-encrypts, with the current key, every value of every field stored encrypted (the fields
models declare in `_encrypted_fields`: connector secrets and AMQP passwords, inbound secrets,
cached OAuth tokens), in one transaction: if one value cannot be decrypted, the command names its
record and field and nothing is changed. Rotation, step by step:
1. generate a new key; set it as encryption_key in the [integration] section of the
   configuration file (or INTEGRATION_ENCRYPTION_KEY) and move the previous one to
   encryption_old_keys (or INTEGRATION_ENCRYPTION_OLD_KEYS);
2. run this command on each database;
3. remove the old key from the configuration.
"""

import logging
import sys
from pathlib import Path

import odoo
from odoo.cli import Command
from odoo.exceptions import UserError

# Absolute imports only, made once the command runs: 19.0 loads this file by its path, as
# odoo.cli.integration_rotate_key, where a relative import fails and the command is "unknown".

_logger = logging.getLogger(__name__)


class IntegrationRotateKey(Command):
    """Re-encrypt every encrypted field with the current integration encryption key"""

    name = "integration_rotate_key"

    def run(self, args):
        parser = odoo.tools.config.parser
        parser.prog = f"{Path(sys.argv[0]).name} {self.name}"
        odoo.tools.config.parse_config(args, setup_logging=True)
        from odoo.addons.integration_core.compat.config import (  # pylint: disable=odoo-addons-relative-import
            database_names,
        )
        from odoo.addons.integration_core.tools.crypto import (  # pylint: disable=odoo-addons-relative-import
            SecretKeyError,
        )

        dbnames = database_names(odoo.tools.config)
        if len(dbnames) != 1:
            sys.exit("integration_rotate_key needs one database: use -d DB.")
        dbname = dbnames[0]
        registry = odoo.modules.registry.Registry(dbname)
        try:
            # One cursor, one transaction: committed only when every value was re-encrypted.
            with registry.cursor() as cr:
                env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
                connectors = env["integration.connector"]
                fields = [
                    f"{model}.{fname}"
                    for model, fnames in connectors._encrypted_field_registry().items()
                    for fname in fnames
                ]
                count = connectors._rotate_encryption_key()
        except (SecretKeyError, UserError) as exc:
            sys.exit(f"Nothing was changed: {exc}")
        print(  # noqa: T201
            f"Re-encrypted {count} value(s) with the current key, in: {', '.join(fields)}."
        )
