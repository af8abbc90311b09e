# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).


def uninstall_hook(env):
    """The queue and the received events go with the addon: remove them before Odoo removes
    the connectors and schemas they reference (their foreign keys restrict deletion so that
    nobody deletes a connector with history by mistake)."""
    env.cr.execute("DELETE FROM integration_message")
    env.cr.execute("DELETE FROM integration_inbound_event")
