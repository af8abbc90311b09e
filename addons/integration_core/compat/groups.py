"""The fields that link users, groups and group categories, by series.

19.0 renamed `res.users.groups_id` to `group_ids` and `res.groups.users` to `user_ids`, and
replaced the group's `category_id` (an `ir.module.category`) with `privilege_id` (a
`res.groups.privilege`). The names are needed before any model is loaded (in values for
`create`, domains, tests), so they follow `odoo.release`.
"""

from odoo import release

_NINETEEN = release.version_info[0] >= 19

#: res.users → res.groups (Many2many)
USER_GROUPS = "group_ids" if _NINETEEN else "groups_id"
#: res.groups → res.users (Many2many)
GROUP_USERS = "user_ids" if _NINETEEN else "users"
#: res.groups → what the group is listed under in the user form
GROUP_CATEGORY = "privilege_id" if _NINETEEN else "category_id"


def group_users(group):
    """The users of `group` (a res.groups record set)."""
    return group[GROUP_USERS]


def user_groups(user):
    """The groups of `user` (a res.users record set)."""
    return user[USER_GROUPS]
