# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tools import SQL


def uninstall_hook(env):
    """Remove the price history before Odoo removes this module's records (its demo
    pricelists): versions and lines hold them with ondelete=restrict. The pricelist items
    written by the versions stay: they are the prices in effect."""
    env.cr.execute(SQL("UPDATE product_pricelist_item SET price_version_id = NULL"))
    env.cr.execute(SQL("DELETE FROM price_version"))
    env.cr.execute(SQL("DELETE FROM price_change_line"))
    env.cr.execute(SQL("DELETE FROM price_change"))
    env.invalidate_all()
