"""The fields that link users, groups and group categories, by series.

19.0 renamed `res.users.groups_id` to `group_ids` and `res.groups.users` to `user_ids`, and
replaced the group's `category_id` (an `ir.module.category`) with `privilege_id` (a
`res.groups.privilege`). The names are needed before any model is loaded (in values for
`create`, domains, tests), so they follow `odoo.release`.
"""

from odoo import Command, release

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


def file_groups(groups, category=None, users=None):
    """Show `groups` under `category` (an ir.module.category) in the user form and make
    `users` members, on either series: XML data cannot branch on field names, so the addons'
    security and demo files call this (res.groups._integration_file_groups) instead.

    18.0 sets the groups' category. 19.0 lists groups by privilege: the category's privilege
    (created once, with an XML id of the category's module, so that it goes with the module).
    """
    if category:
        if GROUP_CATEGORY == "category_id":  # 18.0
            groups.write({"category_id": category.id})
        else:  # 19.0
            groups.write({"privilege_id": _privilege_of(category).id})
    if users:
        groups.write({GROUP_USERS: [Command.link(user.id) for user in users]})


def _privilege_of(category):
    Data = category.env["ir.model.data"].sudo()
    module, _dot, name = category.get_external_id()[category.id].partition(".")
    if not name:
        raise ValueError(f"{category.name}: a category needs an XML id to get a privilege")
    xml_id = f"{module}.privilege_{name.removeprefix('module_category_')}"
    privilege = category.env.ref(xml_id, raise_if_not_found=False)
    if not privilege:
        privilege = (
            category.env["res.groups.privilege"]
            .sudo()
            .create(
                {"name": category.name, "category_id": category.id, "sequence": category.sequence}
            )
        )
    # Declared again at each install and upgrade: the module keeps its privilege.
    Data._update_xmlids([{"xml_id": xml_id, "record": privilege, "noupdate": False}])
    return privilege
