"""Every public method is an API: any logged-in account can call it over RPC, on any ids.

The suite's public methods are listed here with how each one refuses a caller without the
right; a new public method fails this test until someone reviews it and says how."""

from odoo import fields
from odoo.tests import TransactionCase, tagged

SUITE_ADDONS = ("integration_core", "price_governance", "promotion_sync", "stock_publication")
# The ORM's own entry points, overridden to enforce rules; access rights guard them.
ORM_OVERRIDES = {"create", "write", "unlink", "copy", "default_get", "name_create", "init"}

CHECKS_QUEUE = (
    "Checks Integration User and read access on the records (_integration_check_caller), "
    "then writes with sudo: no group writes the queue's records directly."
)
CHECKS_MANAGER = (
    "Checks Integration Manager and write access on the connectors "
    "(_integration_check_caller) before it writes with sudo."
)
RETURNS_ACTION = (
    "Returns a window action, nothing else; the web client then reads the records it shows "
    "with the caller's own rights."
)
CHANNEL_WRITE = (
    "Writes the channel through the ORM: stock managers alone may write channels (ACL), "
    "within their companies (record rule)."
)
SYSTEM_PARAMETER = (
    "Reads and writes ir.config_parameter without sudo: only Settings administrators "
    "(base.group_system) may (ACL)."
)
SETTINGS_SAVE = (
    "Odoo's save of Settings: only Settings administrators may create res.config.settings "
    "records (ACL); the override makes the delivery jobs follow the saved number of "
    "parallel deliverers (sudo, after Odoo's own checks)."
)
GOVERNANCE_SWITCH = (
    "Checks Pricing Manager (_check_governance_manager) and reads the pricelists' names as "
    "the caller (read access, company rule) before it writes with sudo."
)
SUBMIT = (
    "Approval mixin: checks write access on the records (rights and rules), then the state "
    "and the model's own checks; writes the workflow's fields in the workflow's scope."
)
APPROVE = (
    "Approval mixin: checks the state, evaluates the policy again on the content, refuses the "
    "requester and users outside the required group (unless a delegation from a member), "
    "and the content must match the fingerprint taken at submission."
)
REJECT = (
    "Approval mixin: the same approver check as approving, then opens the reason wizard; "
    "the rejection itself is the private _approval_reject, which checks again."
)
CANCEL = (
    "Approval mixin: before approval, write access on the records; approved content, the "
    "manager group, or the requester with a reason (the wizard) in _approval_cancel."
)
DRAFT = (
    "Approval mixin: checks write access on the records and that their state may go back to "
    "draft (and the model's own check, e.g. no price versions)."
)

READS_OWN_CONNECTORS = (
    "Checks Integration User and read access on the connectors (_integration_check_caller), "
    "then reads only the connectors the caller's search finds (company rules): every query is "
    "limited to their ids; approvals and stock with the caller's rights, if they may read them."
)

# (model, method) -> how it refuses a caller without the right.
REVIEWED = {
    ("integration.approval.mixin", "action_approval_reject"): REJECT,
    ("integration.approval.mixin", "action_approve"): APPROVE,
    ("integration.approval.mixin", "action_cancel"): CANCEL,
    ("integration.approval.mixin", "action_draft"): DRAFT,
    ("integration.approval.mixin", "action_submit"): SUBMIT,
    ("integration.approval.reject.wizard", "action_reject"): (
        "Only on a model using the approval mixin, on a record the caller may read; the "
        "record's private _approval_reject / _approval_cancel check the caller's rights."
    ),
    ("integration.connector", "action_close_circuit"): CHECKS_MANAGER,
    ("integration.connector", "action_generate_inbound_webhook_secret"): CHECKS_MANAGER,
    ("integration.connector", "action_generate_webhook_secret"): CHECKS_MANAGER,
    ("integration.connector", "action_import_mappings"): RETURNS_ACTION
    + " The wizard it opens is for Integration Managers alone (ACL).",
    ("integration.connector", "action_open_dead_letters"): RETURNS_ACTION,
    ("integration.connector", "action_open_messages"): RETURNS_ACTION,
    ("integration.connector", "action_open_unmapped_products"): RETURNS_ACTION
    + " It reads the connector's mappings through the ORM (Integration Users, ACL).",
    ("integration.connector", "action_test_connection"): CHECKS_MANAGER
    + " It also uses the connector's secrets.",
    ("integration.dashboard", "get_operations_data"): READS_OWN_CONNECTORS,
    ("integration.inbound.event", "action_cancel"): CHECKS_QUEUE,
    ("integration.inbound.event", "action_retry"): CHECKS_QUEUE,
    ("integration.mapping.import.wizard", "action_import"): (
        "ORM only: the wizard and product mappings are created and written by Integration "
        "Managers alone (ACL); a transient record is its creator's."
    ),
    ("integration.message", "action_cancel"): CHECKS_QUEUE,
    ("integration.message.replay.wizard", "action_confirm"): (
        "Calls integration.message.action_replay on the wizard's messages, which checks the "
        "caller (Integration User, read access) first; the context flag it adds is the "
        "confirmation of an outdated replay, not a privilege. Wizards are Integration Users' "
        "alone (ACL); a transient record is its creator's."
    ),
    ("integration.message", "action_open_source"): RETURNS_ACTION
    + " It reads the message through the ORM (Integration Users, ACL and company rule).",
    ("integration.message", "action_replay"): CHECKS_QUEUE,
    ("loyalty.program", "action_approval_reject"): REJECT,
    ("loyalty.program", "action_approve"): APPROVE,
    ("loyalty.program", "action_cancel"): CANCEL,
    ("loyalty.program", "action_draft"): DRAFT,
    ("loyalty.program", "action_override_conflicts"): (
        "Opens the reason wizard only; the override itself (_approval_override) checks the "
        "Promotion Manager group and read access before it writes in the workflow's scope."
    ),
    ("loyalty.program", "action_release_now"): (
        "Checks the release state and the Promotion Manager group before it releases with sudo."
    ),
    ("loyalty.program", "action_submit"): SUBMIT,
    ("loyalty.program", "action_view_snapshots"): RETURNS_ACTION,
    ("price.change", "action_approval_reject"): REJECT,
    ("price.change", "action_approve"): APPROVE,
    ("price.change", "action_cancel"): CANCEL,
    ("price.change", "action_draft"): DRAFT,
    ("price.change", "action_open_import"): RETURNS_ACTION
    + " The wizard it opens is for price users alone (ACL).",
    ("price.change", "action_open_messages"): RETURNS_ACTION,
    ("price.change", "action_open_versions"): RETURNS_ACTION,
    ("price.change", "action_reconcile"): (
        "Checks write access on the changes (Pricing Users, company rule) before the "
        "reconciliation writes their state in the workflow's scope."
    ),
    ("price.change", "action_submit"): SUBMIT,
    ("price.drift", "action_republish"): (
        "_integration_check_caller: Pricing Users who may read the drifts (ACL, company "
        "rule); then queues the drifts' versions to their channels with sudo "
        "(price_governance/tests/test_read_back.py, over XML-RPC)."
    ),
    ("price.change.import.wizard", "action_import"): (
        "ORM only: the wizard is for price users (ACL) and creates draft price changes "
        "through the ORM, under their access rights and the approval workflow."
    ),
    ("price.version", "action_open_change"): RETURNS_ACTION,
    ("price.version", "action_rollback"): (
        "Checks the right to create price changes; creates a draft change, which must then be "
        "submitted and approved like any other."
    ),
    ("product.pricelist", "action_govern_prices"): GOVERNANCE_SWITCH,
    ("product.pricelist", "action_open_price_versions"): RETURNS_ACTION,
    ("product.pricelist", "action_release_prices"): GOVERNANCE_SWITCH,
    ("product.template", "action_open_price_versions"): RETURNS_ACTION,
    ("promotion.settlement", "action_post"): (
        "Checks Accounting / Administrator (_check_accountant) and write access on the "
        "settlements (ACL: accountants alone; company rule) before it posts with sudo."
    ),
    ("promotion.settlement", "action_view_moves"): RETURNS_ACTION,
    ("promotion.settlement", "action_view_reconciliation"): RETURNS_ACTION,
    ("promotion.settlement.wizard", "action_export"): (
        "ORM only: the wizard is for promotion and sales managers and accountants alone (ACL; "
        "a transient record is its creator's); its figures come from _read_group with the "
        "caller's rights and company rules."
    ),
    ("promotion.settlement.wizard", "action_settle"): (
        "Checks Accounting / Administrator (_check_accountant), the right to create "
        "settlements (ACL) and that the wizard's company is one of the caller's before it "
        "settles that company's period with sudo."
    ),
    ("res.config.settings", "action_integration_disable_metrics"): SYSTEM_PARAMETER,
    ("res.config.settings", "action_integration_generate_metrics_token"): SYSTEM_PARAMETER,
    ("res.config.settings", "action_open_integration_connectors"): RETURNS_ACTION,
    ("res.config.settings", "set_values"): SETTINGS_SAVE,
    ("stock.publication.channel", "action_freeze"): CHANNEL_WRITE,
    ("stock.publication.channel", "action_request_snapshot"): (
        "Checks stock manager and write access on the channels (_integration_check_caller): "
        "for a channel already requested it would trigger the cron without any write."
    ),
    ("stock.publication.channel", "action_reset_exposure"): CHANNEL_WRITE,
    ("stock.publication.channel", "action_unfreeze"): CHANNEL_WRITE,
    ("stock.publication.channel", "action_view_overrides"): RETURNS_ACTION,
    ("stock.publication.channel", "action_view_stale"): RETURNS_ACTION,
    ("stock.publication.channel", "action_view_states"): RETURNS_ACTION,
}


def suite_public_methods(env):
    """{(model, method)} of the public methods defined by the suite's classes of every
    model of `env`'s registry (ORM overrides and fields left out)."""
    prefixes = tuple(f"odoo.addons.{addon}." for addon in SUITE_ADDONS)
    found = set()
    for name in env.registry:
        for cls in type(env[name]).__mro__:
            if not cls.__module__.startswith(prefixes):
                continue
            for attr, value in vars(cls).items():
                if (
                    attr.startswith("_")
                    or attr in ORM_OVERRIDES
                    or isinstance(value, fields.Field)
                    or not callable(value)
                ):
                    continue
                found.add((name, attr))
    return found


@tagged("post_install", "-at_install")
class TestPublicMethods(TransactionCase):
    def test_every_public_method_is_reviewed(self):
        unreviewed = sorted(suite_public_methods(self.env) - set(REVIEWED))
        self.assertFalse(
            unreviewed,
            "Public methods are reachable over RPC by any logged-in user. Make these private "
            "(_name), or check the caller (group and records) and add them to REVIEWED with "
            "how: %s" % ", ".join(f"{model}.{method}" for model, method in unreviewed),
        )

    def test_reviewed_list_names_existing_methods(self):
        stale = sorted(set(REVIEWED) - suite_public_methods(self.env))
        self.assertFalse(
            stale,
            "REVIEWED names methods that are no longer public: %s"
            % ", ".join(f"{model}.{method}" for model, method in stale),
        )

    def test_every_review_says_how(self):
        for key, how in REVIEWED.items():
            with self.subTest(method=key):
                self.assertTrue(how and how.strip(), "say how the method checks its caller")

    def test_the_enumeration_sees_public_and_skips_private(self):
        found = suite_public_methods(self.env)
        self.assertIn(("integration.message", "action_replay"), found)
        # A suite method added to a model of Odoo's own addons.
        self.assertIn(("res.config.settings", "action_open_integration_connectors"), found)
        for private in ("_enqueue", "write", "init", "payload", "state"):
            self.assertNotIn(("integration.message", private), found)
        # Odoo's own public methods are not the suite's to review.
        self.assertNotIn(("integration.message", "message_post"), found)
