# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tools import SQL


def uninstall_hook(env):
    """Remove queued messages and inbound events before Odoo removes this module's records:
    they hold the (demo) connectors with ondelete=restrict, which would otherwise fail the
    deletion of the connectors during uninstall."""
    env.cr.execute(SQL("DELETE FROM integration_message"))
    env.cr.execute(SQL("DELETE FROM integration_inbound_event"))
    env.invalidate_all()
