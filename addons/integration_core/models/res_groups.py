from odoo import api, models

from ..compat import groups as compat_groups


class ResGroups(models.Model):
    _inherit = "res.groups"

    @api.model
    def _integration_file_groups(self, group_ids, category_id=False, user_ids=()):
        """For the addons' XML data (<function>): show groups under a category of the user
        form and make users members, on Odoo 18.0 and 19.0 alike (see compat.groups)."""
        compat_groups.file_groups(
            self.browse(group_ids),
            self.env["ir.module.category"].browse(category_id),
            self.env["res.users"].browse(user_ids),
        )
        return True
