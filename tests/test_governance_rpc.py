"""Issue #15: governance holds against every client, not only the form.

Each test logs in over real XML-RPC or JSON-RPC (/jsonrpc, and the web client's
/web/dataset/call_kw in a session) as one user of one group and tries what the form would not
let them do. Every attempt must be refused with a clear message and leave the governed data as
it was: the governed pricelist's rules (by SQL), the price an order gets, the queue and the
approval audit (by SQL), and the states of the governed records."""

import base64
import json
import xmlrpc.client
from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, get_db_name, new_test_user, tagged
from odoo.tools import SQL, mute_logger

from odoo.addons.integration_core.compat.groups import USER_GROUPS
from odoo.addons.integration_core.models.integration_approval_mixin import content_digest
from odoo.addons.integration_core.tests.rpc import RPC_LOGGERS, XmlRpcClientMixin
from odoo.addons.price_governance.tests.common import PriceCase
from odoo.addons.promotion_sync.tests.common import PromotionSetup

# One account per group, each with a password, as a remote client logs in.
GROUPS = {
    "portal": "base.group_portal",
    "internal": "base.group_user",
    "pricer": "price_governance.group_price_user",
    "pricer2": "price_governance.group_price_user",
    "price_manager": "price_governance.group_price_manager",
    "sales_admin": "sales_team.group_sale_manager",
    "stock_manager": "stock.group_stock_manager",
    "integration": "integration_core.group_integration_user",
    "promo_requester": "sales_team.group_sale_manager",
    "promo_manager": "promotion_sync.group_promotion_manager",
}
WORKFLOW_FIELD = "are set by the approval workflow"
ACL = "You are not allowed to"
PRIVATE = "cannot be called remotely"


def password(login):
    return f"{login}-pw-1915"


def stamp(value):
    return fields.Datetime.to_string(value)


def wire(command):
    """An ORM command as a remote client sends it (XML-RPC has no enums)."""
    return [int(command[0]), *command[1:]]


@tagged("standard", "post_install", "-at_install")
class TestGovernanceOverRpc(XmlRpcClientMixin, PromotionSetup, PriceCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.db = get_db_name()
        cls.users = {
            name: new_test_user(
                cls.env, login=f"atk_{name}", groups=groups, password=password(f"atk_{name}")
            )
            for name, groups in GROUPS.items()
        }
        cls.setup_promotions()
        users = cls.users
        now = fields.Datetime.now()
        # Governed pricelist: an old price superseded by the one in force, and an approved
        # change that is not effective yet; a channel subscribed to it.
        cls.pricelist.integration_connector_ids = [Command.set(cls.connector.ids)]
        old = cls.governed_change([(cls.product, cls.pricelist, 95.0)], now - timedelta(minutes=3))
        cls.live_change = cls.governed_change(
            [(cls.product, cls.pricelist, 90.0)], now - timedelta(minutes=2)
        )
        cls.future_change = cls.governed_change(
            [(cls.product2, cls.pricelist, 45.0)], now + timedelta(days=10)
        )
        cls.Version._cron_effect()
        cls.old_version = old.version_ids
        cls.live_item = cls.env["product.pricelist.item"].search(
            [("price_version_id", "=", cls.live_change.version_ids.id)]
        )
        cls.pending = cls.env["integration.message"].search(
            [
                ("res_model", "=", "price.version"),
                ("res_id", "=", cls.live_item.price_version_id.id),
            ]
        )
        cls.free_item = cls.env["product.pricelist.item"].create(
            {
                "pricelist_id": cls.other_pricelist.id,
                "applied_on": "0_product_variant",
                "product_id": cls.product2.id,
                "compute_price": "fixed",
                "fixed_price": 49.0,
            }
        )
        cls.draft_change = cls.change([(cls.product, cls.other_pricelist, 95.0)], now)
        cls.waiting_change = cls.change([(cls.product2, cls.other_pricelist, 48.0)], now)
        cls.waiting_change.action_submit()
        # Promotions: one live, one approved waiting for its release, one draft, all requested
        # by a Sales Administrator and approved by a Promotion Manager.
        cls.promo_channel = cls.make_connector(
            "promo-channel", allowed_domain_ids=[Command.set([cls.domain_promotion.id])]
        )
        cls.requester = users["promo_requester"]  # make_program creates as cls.requester
        cls.live_program = cls.make_program(
            name="RPC live desks", release_at=cls.hours(-1), expire_at=cls.hours(48)
        )
        cls.approved_program = cls.make_program(cls.lamp, name="RPC lamps, released by hand")
        for program in cls.live_program | cls.approved_program:
            program.with_user(users["promo_requester"]).action_submit()
            program.with_user(users["promo_manager"]).action_approve()
        cls.draft_program = cls.make_program(cls.chair, discount=5.0, name="RPC draft chairs")
        cls.programs = cls.live_program | cls.approved_program | cls.draft_program
        cls.partner = cls.env["res.partner"].create({"name": "RPC Customer"})

    @classmethod
    def change(cls, lines, start, user=None):
        """A draft price change of `lines` ((product, pricelist, price) tuples)."""
        return (
            cls.env["price.change"]
            .with_user(user or cls.users["pricer"])
            .create(
                {
                    "description": "RPC test",
                    "effective_from": start,
                    "line_ids": [
                        Command.create(
                            {"product_id": p.id, "pricelist_id": pl.id, "fixed_price": price}
                        )
                        for p, pl, price in lines
                    ],
                }
            )
        )

    @classmethod
    def governed_change(cls, lines, start):
        change = cls.change(lines, start)
        change.action_submit()
        change.with_user(cls.users["price_manager"]).action_approve()
        return change.with_user(cls.env.user)

    # ------------------------------------------------------------------ clients

    def rpc_password(self, user):
        return password(user.login)

    def jsonrpc(self, user, model, method, *args, **kwargs):
        """execute_kw through /jsonrpc (service object) as `user`."""
        return self._json(
            "/jsonrpc",
            {
                "service": "object",
                "method": "execute_kw",
                "args": [self.db, user.id, password(user.login), model, method, list(args), kwargs],
            },
        )

    def call_kw(self, user, model, method, *args, **kwargs):
        """The web client's /web/dataset/call_kw in a session of `user`."""
        self.authenticate(user.login, password(user.login))
        return self._json(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def _json(self, url, params):
        self.env.flush_all()
        body = {"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}
        with mute_logger(*RPC_LOGGERS):
            answer = self.url_open(
                url, json.dumps(body), headers={"Content-Type": "application/json"}
            ).json()
        self.env.invalidate_all()
        if "error" in answer:
            return {"refused": answer["error"]["data"]}
        return answer.get("result")

    # ------------------------------------------------------------------ what must not change

    def governed_state(self):
        """What an attack must leave as it was, read by SQL (and the prices an order gets)."""
        self.env.flush_all()
        program_ids = self.programs.ids

        def rows(query):
            self.env.cr.execute(query)
            return self.env.cr.fetchall()

        state = {
            "rules of the governed pricelist": rows(
                SQL(
                    "SELECT id, product_id, fixed_price, min_quantity, date_start, date_end,"
                    " price_version_id FROM product_pricelist_item"
                    " WHERE pricelist_id = %s ORDER BY id",
                    self.pricelist.id,
                )
            ),
            "governance of the pricelists": rows(
                SQL(
                    "SELECT id, price_governed, currency_id, active FROM product_pricelist"
                    " WHERE id IN %s ORDER BY id",
                    (self.pricelist.id, self.other_pricelist.id),
                )
            ),
            "queue (count, last id)": rows(
                SQL("SELECT count(*), max(id) FROM integration_message")
            ),
            "waiting message": rows(
                SQL(
                    "SELECT state, payload::text FROM integration_message WHERE id IN %s",
                    tuple(self.pending.ids),
                )
            ),
            "decisions (count, last id)": rows(
                SQL("SELECT count(*), max(id) FROM integration_approval_decision")
            ),
            "price changes": rows(
                SQL(
                    "SELECT id, state, requested_by_id, approved_by_id, approved_at, needs_manager,"
                    " approval_digest, effective_from FROM price_change ORDER BY id"
                )
            ),
            "price change lines": rows(
                SQL(
                    "SELECT id, change_id, product_id, fixed_price, current_price, breach"
                    " FROM price_change_line ORDER BY id"
                )
            ),
            "price versions": rows(
                SQL("SELECT id, state, fixed_price, date_start FROM price_version ORDER BY id")
            ),
            "programs": rows(
                SQL(
                    "SELECT id, release_state, active, current_snapshot_id, pending_change,"
                    " published_live, requested_by_id, approved_by_id FROM loyalty_program"
                    " WHERE id = ANY(%s) ORDER BY id",
                    program_ids,
                )
            ),
            "rewards": rows(
                SQL(
                    "SELECT id, discount, active FROM loyalty_reward"
                    " WHERE program_id = ANY(%s) ORDER BY id",
                    program_ids,
                )
            ),
            "snapshots": rows(SQL("SELECT id, program_id, content::text FROM promotion_snapshot")),
        }
        self.env.invalidate_all()
        state["prices an order gets"] = [
            self.pricelist._get_product_price(product, 1.0)
            for product in (self.product, self.product2)
        ]
        return state

    def assertUnchanged(self, before, attack):
        after = self.governed_state()
        for key, value in before.items():
            self.assertEqual(after[key], value, f"{attack}: {key} changed")

    def assertRefused(self, answer, expected, attack=""):
        """`answer` is an XML-RPC Fault or a JSON-RPC error whose message says `expected`."""
        if isinstance(answer, xmlrpc.client.Fault):
            text = answer.faultString
        else:
            self.assertIsInstance(answer, dict, f"{attack}: not refused, it returned {answer!r}")
            self.assertIn("refused", answer, f"{attack}: not refused, it returned {answer!r}")
            text = answer["refused"].get("message", "")
        self.assertIn(expected, text, attack)

    def attack(self, expected, client, user, model, method, *args, **kwargs):
        """One attempt: refused with `expected` in its message, nothing governed changed."""
        name = f"{user.login}: {model}.{method}{args!r} {kwargs!r} over {client.__name__}"
        with self.subTest(attack=name):
            before = self.governed_state()
            self.assertRefused(client(user, model, method, *args, **kwargs), expected, name)
            self.assertUnchanged(before, name)

    def order_price(self, product):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.partner.id,
                "pricelist_id": self.pricelist.id,
                "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 1})],
            }
        )
        return order.order_line.price_unit

    # ------------------------------------------------------------------ Pricing User

    def test_pricing_user_cannot_write_the_workflow(self):
        pricer, x, j = self.users["pricer"], self.xmlrpc, self.jsonrpc
        own = self.draft_change.ids
        manager = self.users["price_manager"].id
        for vals in (
            {"state": "to_approve"},
            {"state": "approved"},
            {"needs_manager": True},
            {"requested_by_id": self.users["pricer2"].id},
            {"approved_by_id": manager},
            {"approved_at": stamp(fields.Datetime.now())},
            {"approval_digest": "0" * 64},
            {"source": "inbound"},
        ):
            self.attack(WORKFLOW_FIELD, x, pricer, "price.change", "write", own, vals)
        self.attack(WORKFLOW_FIELD, j, pricer, "price.change", "write", own, {"state": "approved"})
        new = {
            "description": "forged",
            "line_ids": [
                wire(
                    Command.create(
                        {
                            "product_id": self.product.id,
                            "pricelist_id": self.pricelist.id,
                            "fixed_price": 1.0,
                        }
                    )
                )
            ],
        }
        self.attack(
            WORKFLOW_FIELD, x, pricer, "price.change", "create", {**new, "state": "approved"}
        )
        self.attack(
            WORKFLOW_FIELD, j, pricer, "price.change", "create", {**new, "approved_by_id": manager}
        )
        self.attack(
            WORKFLOW_FIELD,
            self.call_kw,
            pricer,
            "price.change",
            "web_save",
            [],
            {**new, "state": "approved"},
            specification={"state": {}},
        )
        self.attack(
            WORKFLOW_FIELD,
            x,
            pricer,
            "price.change",
            "copy",
            self.future_change.ids,
            {"state": "approved", "approved_by_id": manager},
        )
        # Defaults from the client's context are ignored, not trusted.
        change_id = x(
            pricer,
            "price.change",
            "create",
            new,
            context={"default_state": "approved", "default_approved_by_id": manager},
        )
        self.assertIsInstance(change_id, int, change_id)
        forged = self.env["price.change"].browse(change_id)
        self.assertEqual((forged.state, forged.approved_by_id.id), ("draft", False))
        # Import (load) meets the same rule.
        answer = j(pricer, "price.change", "load", ["description", "state"], [["x", "approved"]])
        self.assertFalse(answer["ids"], answer)
        self.assertIn(WORKFLOW_FIELD, json.dumps(answer["messages"]))
        # Lines: what submission notes is the workflow's.
        line = self.draft_change.line_ids.ids
        for vals in ({"current_price": 500.0}, {"breach": False}):
            self.attack(WORKFLOW_FIELD, x, pricer, "price.change.line", "write", line, vals)
        self.attack(
            WORKFLOW_FIELD,
            x,
            pricer,
            "price.change",
            "write",
            own,
            {"line_ids": [wire(Command.update(line[0], {"current_price": 500.0}))]},
        )

    def test_pricing_user_cannot_forge_versions_or_decisions(self):
        pricer, x = self.users["pricer"], self.xmlrpc
        version, old = self.live_item.price_version_id.ids, self.old_version.ids
        values = {
            "change_id": self.draft_change.id,
            "pricelist_id": self.pricelist.id,
            "product_id": self.product.id,
            "fixed_price": 1.0,
            "currency_id": self.currency.id,
            "version": 99,
            "date_start": stamp(fields.Datetime.now()),
            "state": "effective",
        }
        trusted_once = {"price_version_effect": True, "install_mode": True, "_force_unlink": True}
        for context in ({}, trusted_once):
            by_hand = "Price versions are created by approving a price change"
            self.attack(by_hand, x, pricer, "price.version", "create", values, context=context)
            history = "Price versions cannot be changed: they are the price history"
            self.attack(
                history,
                x,
                pricer,
                "price.version",
                "write",
                version,
                {"fixed_price": 1.0},
                context=context,
            )
            self.attack(
                history,
                x,
                pricer,
                "price.version",
                "write",
                old,
                {"state": "effective"},
                context=context,
            )
            self.attack(
                "Price versions cannot be deleted",
                x,
                pricer,
                "price.version",
                "unlink",
                version,
                context=context,
            )
        self.attack(PRIVATE, x, pricer, "price.version", "_activate", version, "2031-01-01")
        self.attack(PRIVATE, x, pricer, "price.version", "_set_state", old, "effective")
        decision = self.waiting_change.approval_decision_ids[:1].ids
        self.assertTrue(decision)
        forged = {
            "res_model": "price.change",
            "res_id": self.waiting_change.id,
            "decision": "approve",
            "user_id": self.users["price_manager"].id,
        }
        Decision = "integration.approval.decision"
        self.attack("recorded by the approval workflow only", x, pricer, Decision, "create", forged)
        self.attack(
            "Approval decisions cannot be changed",
            x,
            pricer,
            Decision,
            "write",
            decision,
            {"decision": "approve"},
        )
        self.attack("Approval decisions cannot be deleted", x, pricer, Decision, "unlink", decision)

    def test_pricing_user_cannot_decide_on_own_changes(self):
        pricer, pricer2, x = self.users["pricer"], self.users["pricer2"], self.xmlrpc
        waiting = self.waiting_change.ids
        own = "someone else must approve it"
        self.attack(own, x, pricer, "price.change", "action_approve", waiting)
        self.attack(own, self.jsonrpc, pricer, "price.change", "action_approve", waiting)
        self.attack(own, x, pricer, "price.change", "action_approval_reject", waiting)
        wizard = x(
            pricer,
            "integration.approval.reject.wizard",
            "create",
            {"res_model": "price.change", "res_id": waiting[0], "reason": "mine"},
        )
        self.attack(own, x, pricer, "integration.approval.reject.wizard", "action_reject", [wizard])
        self.attack(PRIVATE, x, pricer, "price.change", "_approval_reject", waiting, "mine")
        self.attack(PRIVATE, x, pricer, "price.change", "_approval_grant", waiting, {})
        # Under cost: a second Pricing User is not enough.
        cut = self.change([(self.product2, self.pricelist, 10.0)], fields.Datetime.now())
        cut.action_submit()
        self.assertTrue(cut.needs_manager)
        self.attack(
            "needs approval by a member of", x, pricer2, "price.change", "action_approve", cut.ids
        )

    def test_pricing_user_alone_cannot_make_a_price_effective(self):
        """Defaults in the context of the workflow's own entry points (CSV import, rollback)
        must not choose the state, the requester or the digest of what they create."""
        pricer, x = self.users["pricer"], self.xmlrpc
        start = fields.Datetime.now() - timedelta(minutes=1)
        # What anyone computes from the form's values: the digest the approval will expect.
        twin = self.change([(self.product, self.pricelist, 61.0)], start)
        digest = content_digest(twin._approval_content())
        twin.sudo().unlink()
        forged = {
            "default_state": "to_approve",
            "default_requested_by_id": self.users["pricer2"].id,
            "default_requested_at": stamp(start),
            "default_approval_digest": digest,
        }
        csv = "default_code,pricelist,price\nPG-KETTLE,PG Test Retail,61\n"
        wizard = x(
            pricer,
            "price.change.import.wizard",
            "create",
            {"file": base64.b64encode(csv.encode()).decode(), "effective_from": stamp(start)},
        )
        with self.subTest(attack="CSV import with forged defaults, then approve own change"):
            answer = x(
                pricer, "price.change.import.wizard", "action_import", [wizard], context=forged
            )
            self.assertIsInstance(answer, dict, answer)
            imported = self.env["price.change"].browse(answer["res_id"])
            x(pricer, "price.change", "action_approve", imported.ids)
            self.Version._cron_effect()
            self.assertEqual(self.order_price(self.product), 90.0, "one person changed a price")
            self.assertEqual(
                (imported.state, imported.requested_by_id.id, imported.approval_digest),
                ("draft", False, False),
                "the import took the state, the requester and the digest from the context",
            )
        with self.subTest(attack="rollback to a superseded price with forged defaults"):
            answer = x(
                pricer,
                "price.version",
                "action_rollback",
                self.old_version.ids,
                context={
                    **forged,
                    "default_state": "approved",
                    "default_approved_by_id": self.users["price_manager"].id,
                },
            )
            self.assertIsInstance(answer, dict, answer)
            rollback = self.env["price.change"].browse(answer["res_id"])
            self.assertEqual(
                (rollback.state, rollback.requested_by_id.id, rollback.approved_by_id.id),
                ("draft", False, False),
                "the rollback took the state, the requester or the approver from the context",
            )

    def test_approval_context_does_not_shape_what_it_creates(self):
        """Approving creates versions: their state and history are the effect's, whatever
        the approver's client puts in the context."""
        pricer2, x = self.users["pricer2"], self.xmlrpc
        context = {
            "default_state": "effective",
            "default_activated_at": stamp(fields.Datetime.now()),
            "default_previous_version_id": self.old_version.id,
        }
        self.assertIs(
            x(pricer2, "price.change", "action_approve", self.waiting_change.ids, context=context),
            True,
        )
        versions = self.waiting_change.version_ids
        self.assertEqual(
            (versions.state, versions.activated_at, versions.previous_version_id.id),
            ("scheduled", False, False),
        )

    def test_content_changes_after_submission_and_approval(self):
        pricer, pricer2, x = self.users["pricer"], self.users["pricer2"], self.xmlrpc
        # After submission: allowed, but the change is back to draft and not approvable.
        line = self.waiting_change.line_ids
        self.assertIs(
            x(pricer, "price.change.line", "write", line.ids, {"fixed_price": 20.0}), True
        )
        self.assertEqual(self.waiting_change.state, "draft")
        self.assertEqual(self.waiting_change.approval_decision_ids[0].decision, "redraft")
        self.attack(
            "is not possible", x, pricer2, "price.change", "action_approve", self.waiting_change.ids
        )
        # After approval: refused, whichever way the content is reached.
        approved = self.future_change
        was_approved = "was approved: its content cannot change"
        self.attack(
            was_approved,
            x,
            pricer,
            "price.change.line",
            "write",
            approved.line_ids.ids,
            {"fixed_price": 1.0},
        )
        self.attack(
            was_approved,
            self.jsonrpc,
            pricer,
            "price.change.line",
            "create",
            {
                "change_id": approved.id,
                "product_id": self.product.id,
                "pricelist_id": self.pricelist.id,
                "fixed_price": 1.0,
            },
        )
        self.attack(was_approved, x, pricer, "price.change.line", "unlink", approved.line_ids.ids)
        self.attack(
            was_approved,
            x,
            pricer,
            "price.change.line",
            "write",
            self.draft_change.line_ids.ids,
            {"change_id": approved.id},
        )
        self.attack(
            was_approved,
            x,
            pricer,
            "price.change",
            "write",
            approved.ids,
            {"line_ids": [wire(Command.update(approved.line_ids.id, {"fixed_price": 1.0}))]},
        )
        self.attack(
            was_approved,
            x,
            pricer,
            "price.change",
            "write",
            approved.ids,
            {"effective_from": stamp(fields.Datetime.now())},
        )
        for context in ({"install_mode": True}, {"price_version_effect": True}):
            self.attack(
                was_approved,
                x,
                pricer,
                "price.change.line",
                "write",
                approved.line_ids.ids,
                {"fixed_price": 1.0},
                context=context,
            )

    def test_cancelling_an_approved_change(self):
        pricer, pricer2, x = self.users["pricer"], self.users["pricer2"], self.xmlrpc
        approved = self.future_change.ids
        only = "only a member of"
        self.attack(only, x, pricer2, "price.change", "action_cancel", approved)
        self.attack(PRIVATE, x, pricer, "price.change", "_approval_cancel", approved, False)
        self.attack(PRIVATE, x, pricer2, "price.change", "_approval_cancel", approved, "because")
        for user, reason in ((pricer2, "I want to"), (pricer, "   ")):
            wizard = x(
                user,
                "integration.approval.reject.wizard",
                "create",
                {
                    "res_model": "price.change",
                    "res_id": approved[0],
                    "decision": "cancel",
                    "reason": reason,
                },
            )
            self.attack(
                only, x, user, "integration.approval.reject.wizard", "action_reject", [wizard]
            )
        # The requester is asked why: the button opens the wizard and changes nothing.
        before = self.governed_state()
        action = x(pricer, "price.change", "action_cancel", approved)
        self.assertEqual(action["res_model"], "integration.approval.reject.wizard")
        self.assertEqual(action["context"]["default_decision"], "cancel")
        self.assertUnchanged(before, "action_cancel by the requester")
        self.assertEqual(self.future_change.state, "approved")

    def test_public_methods_out_of_order(self):
        pricer, pricer2, x = self.users["pricer"], self.users["pricer2"], self.xmlrpc
        manager = self.users["price_manager"]
        not_now = "is not possible for"
        self.attack(not_now, x, pricer2, "price.change", "action_approve", self.draft_change.ids)
        self.attack(not_now, x, manager, "price.change", "action_approve", self.future_change.ids)
        self.attack(not_now, x, pricer, "price.change", "action_submit", self.future_change.ids)
        self.attack(not_now, x, pricer, "price.change", "action_submit", self.live_change.ids)
        self.attack(not_now, x, pricer, "price.change", "action_draft", self.future_change.ids)
        self.attack(not_now, x, manager, "price.change", "action_draft", self.live_change.ids)
        self.attack(not_now, x, manager, "price.change", "action_cancel", self.live_change.ids)
        self.attack(
            not_now, x, pricer2, "price.change", "action_approval_reject", self.draft_change.ids
        )
        self.attack(
            ACL,
            x,
            self.users["internal"],
            "price.change",
            "action_reconcile",
            self.live_change.ids,
        )
        self.attack(
            "Only published changes",
            x,
            pricer,
            "price.change",
            "action_reconcile",
            self.live_change.ids,
        )
        self.attack(
            "Releasing is not possible",
            x,
            self.users["promo_manager"],
            "loyalty.program",
            "action_release_now",
            self.draft_program.ids,
        )

    # ------------------------------------------------------------------ pricelist administrators

    def test_sales_and_inventory_admins_cannot_edit_governed_rules(self):
        governed = "are governed: its rules change only through approved price changes"
        only_manager = "Only a Pricing Manager may switch Governed prices"
        item = {
            "pricelist_id": self.pricelist.id,
            "applied_on": "0_product_variant",
            "product_id": self.product.id,
            "compute_price": "fixed",
            "fixed_price": 1.0,
        }
        items = self.live_item.ids
        for name in ("sales_admin", "stock_manager"):
            user, x, j = self.users[name], self.xmlrpc, self.jsonrpc
            self.attack(governed, x, user, "product.pricelist.item", "create", item)
            self.attack(
                governed,
                j,
                user,
                "product.pricelist.item",
                "create",
                {**item, "pricelist_id": False},
                context={"default_pricelist_id": self.pricelist.id},
            )
            self.attack(
                governed, x, user, "product.pricelist.item", "write", items, {"fixed_price": 1.0}
            )
            self.attack(
                governed,
                j,
                user,
                "product.pricelist.item",
                "write",
                items,
                {"date_end": stamp(fields.Datetime.now())},
            )
            self.attack(governed, x, user, "product.pricelist.item", "unlink", items)
            self.attack(
                governed,
                x,
                user,
                "product.pricelist.item",
                "write",
                self.free_item.ids,
                {"pricelist_id": self.pricelist.id},
            )
            self.attack(
                governed,
                x,
                user,
                "product.pricelist",
                "write",
                self.pricelist.ids,
                {"item_ids": [wire(Command.create(item))]},
            )
            self.attack(
                governed,
                x,
                user,
                "product.pricelist",
                "write",
                self.pricelist.ids,
                {"item_ids": [wire(Command.clear())]},
            )
            self.attack(
                governed,
                x,
                user,
                "product.pricelist",
                "write",
                self.pricelist.ids,
                {"item_ids": [wire(Command.update(items[0], {"fixed_price": 1.0}))]},
            )
            self.attack(
                only_manager,
                x,
                user,
                "product.pricelist",
                "write",
                self.pricelist.ids,
                {"price_governed": False},
            )
            self.attack(
                only_manager,
                j,
                user,
                "product.pricelist",
                "action_release_prices",
                self.pricelist.ids,
            )
            self.attack(
                only_manager,
                x,
                user,
                "product.pricelist",
                "write",
                self.other_pricelist.ids,
                {"price_governed": True},
            )
            self.attack(
                "were approved in",
                x,
                user,
                "product.pricelist",
                "write",
                self.pricelist.ids,
                {
                    "currency_id": self.env.ref(
                        "base.EUR" if self.currency.name != "EUR" else "base.USD"
                    ).id
                },
            )
            self.attack(
                "hold governed prices", x, user, "product.pricelist", "unlink", self.pricelist.ids
            )
            self.attack(
                governed,
                x,
                user,
                "product.pricelist.item",
                "write",
                items,
                {"fixed_price": 1.0},
                context={"install_mode": True, "price_version_effect": True},
            )

    # ------------------------------------------------------------------ promotions

    def test_promotion_requester_cannot_release_or_change_live_terms(self):
        requester, x, j = self.users["promo_requester"], self.xmlrpc, self.jsonrpc
        draft, live = self.draft_program.ids, self.live_program.ids
        for vals in (
            {"release_state": "active"},
            {"release_state": "approved"},
            {"pending_change": False},
            {"current_snapshot_id": self.live_program.current_snapshot_id.id},
            {"published_live": True},
        ):
            self.attack(WORKFLOW_FIELD, x, requester, "loyalty.program", "write", draft, vals)
        go_live = "Only approved programs go live"
        self.attack(go_live, x, requester, "loyalty.program", "write", draft, {"active": True})
        self.attack(go_live, j, requester, "loyalty.program", "action_unarchive", draft)
        self.attack(go_live, x, requester, "loyalty.program", "toggle_active", draft)
        for context in (
            {"promotion_release_write": True},
            {"install_mode": True},
            {"promotion_keep_active": True},
        ):
            self.attack(
                go_live,
                x,
                requester,
                "loyalty.program",
                "write",
                draft,
                {"active": True},
                context=context,
            )
            self.attack(
                WORKFLOW_FIELD,
                x,
                requester,
                "loyalty.program",
                "write",
                draft,
                {"release_state": "active"},
                context=context,
            )
        program = {"name": "Forged", "program_type": "promotion", "trigger": "auto"}
        self.attack(
            WORKFLOW_FIELD,
            x,
            requester,
            "loyalty.program",
            "create",
            {**program, "release_state": "active", "active": True},
        )
        created = x(
            requester,
            "loyalty.program",
            "create",
            {**program, "active": True},
            context={"default_release_state": "active"},
        )
        self.assertIsInstance(created, int, created)
        forged = self.env["loyalty.program"].with_context(active_test=False).browse(created)
        self.assertEqual((forged.release_state, forged.active), ("draft", False))
        # Approving or releasing their own program.
        self.draft_program.with_user(requester).action_submit()
        self.attack(
            "someone else must approve it",
            x,
            requester,
            "loyalty.program",
            "action_approve",
            draft,
        )
        self.attack(
            "Only a Promotion Manager may release",
            x,
            requester,
            "loyalty.program",
            "action_release_now",
            self.approved_program.ids,
        )
        self.attack(PRIVATE, x, requester, "loyalty.program", "_go_live", draft)
        # Snapshots are what was approved.
        snapshot = self.live_program.current_snapshot_id.ids
        cascade = {"promotion_snapshot_cascade": True, "install_mode": True}
        for context in ({}, cascade):
            self.attack(
                "taken by approving the program",
                x,
                requester,
                "promotion.snapshot",
                "create",
                {"program_id": live[0], "version": 9, "content": {}},
                context=context,
            )
            self.attack(
                "it cannot be changed",
                x,
                requester,
                "promotion.snapshot",
                "write",
                snapshot,
                {"content": {"rewards": [{"discount": 90}]}},
                context=context,
            )
            self.attack(
                "it cannot be deleted",
                x,
                requester,
                "promotion.snapshot",
                "unlink",
                snapshot,
                context=context,
            )

    def test_promotion_manager_cannot_approve_own_program(self):
        manager, x = self.users["promo_manager"], self.xmlrpc
        # A Promotion Manager who also prepares programs (a Sales Administrator's right).
        manager.write(
            {USER_GROUPS: [Command.link(self.env.ref("sales_team.group_sale_manager").id)]}
        )
        program = self.make_program(self.chair, name="Manager's own").with_user(manager)
        program.action_submit()
        self.programs |= program
        own = "someone else must approve it"
        self.attack(own, x, manager, "loyalty.program", "action_approve", program.ids)
        self.attack(
            own, self.jsonrpc, manager, "loyalty.program", "action_approval_reject", program.ids
        )

    def test_raising_a_live_discount_needs_a_new_approval(self):
        requester, x = self.users["promo_requester"], self.xmlrpc
        live = self.live_program
        snapshot = live.current_snapshot_id
        before = self.governed_state()
        reward = live.reward_ids
        self.assertIs(x(requester, "loyalty.reward", "write", reward.ids, {"discount": 60.0}), True)
        after = self.governed_state()
        live.invalidate_recordset()
        self.assertEqual(
            (live.release_state, live.pending_change, live.active), ("draft", True, False)
        )
        self.assertEqual(live.current_snapshot_id, snapshot)
        self.assertEqual(after["snapshots"], before["snapshots"])
        self.assertEqual(snapshot.content["rewards"][0]["discount"], 10.0)
        self.assertEqual(after["queue (count, last id)"], before["queue (count, last id)"])
        # Contexts the code once trusted change nothing of that.
        self.attack(
            "is not possible",
            x,
            requester,
            "loyalty.program",
            "action_approve",
            live.ids,
            context={"promotion_release_write": True, "install_mode": True},
        )

    def test_approved_programs_stay_on_record(self):
        """The kill switch is the way to stop a program: deleting it would take its approved
        snapshots (the audit) with it and never tell the channels that still apply it."""
        requester, x = self.users["promo_requester"], self.xmlrpc
        only, kept = "only a member of", "approved versions are the audit trail"
        self.attack(
            only, x, requester, "loyalty.program", "write", self.live_program.ids, {"active": False}
        )
        self.attack(only, x, requester, "loyalty.program", "action_archive", self.live_program.ids)
        self.attack(kept, x, requester, "loyalty.program", "unlink", self.live_program.ids)
        self.attack(kept, x, requester, "loyalty.program", "unlink", self.approved_program.ids)
        # A live program being edited: off in Odoo, its version in force still in the channels.
        edit = x(
            requester,
            "loyalty.reward",
            "write",
            self.live_program.reward_ids.ids,
            {"discount": 60.0},
        )
        self.assertIs(edit, True)
        self.assertTrue(self.live_program.published_live)
        self.attack(kept, x, requester, "loyalty.program", "unlink", self.live_program.ids)

    def test_unapproved_rewards_never_go_live(self):
        """A reward archived when the program was approved is not in the approved content:
        bringing it back must not make it live."""
        users, x = self.users, self.xmlrpc
        program = self.make_program(
            self.chair, discount=10.0, name="RPC chairs live", release_at=self.hours(-1)
        )
        hidden = self.env["loyalty.reward"].create(
            {
                "program_id": program.id,
                "reward_type": "discount",
                "discount": 90.0,
                "discount_mode": "percent",
                "discount_applicability": "specific",
                "discount_product_ids": [Command.set(self.chair.ids)],
                "active": False,
            }
        )
        program.with_user(users["promo_requester"]).action_submit()
        program.with_user(users["promo_manager"]).action_approve()
        self.assertEqual(program.release_state, "active")
        approved = {r["reward_id"] for r in program.current_snapshot_id.content["rewards"]}
        self.assertNotIn(hidden.id, approved)
        x(users["promo_requester"], "loyalty.reward", "write", hidden.ids, {"active": True})
        order = self.env["sale.order"].create(
            {
                "partner_id": self.partner.id,
                "order_line": [Command.create({"product_id": self.chair.id, "product_uom_qty": 1})],
            }
        )
        order._update_programs_and_rewards()
        offered = {r.id for rewards in order._get_claimable_rewards().values() for r in rewards}
        self.assertNotIn(hidden.id, offered, "an order can claim the unapproved 90 % reward")
        program.invalidate_recordset()
        live_rewards = set(program.reward_ids.ids) if program.active else set()
        self.assertFalse(live_rewards - approved, "an unapproved 90 % reward is live in Odoo")

    # ------------------------------------------------------------------ outsiders and the queue

    def test_portal_and_internal_users(self):
        message = {
            "connector": self.connector.id,
            "domain": "base_price",
            "event_type": "price.updated",
            "payload": {"sku": "PG-KETTLE", "price": 0.01},
        }
        for name in ("portal", "internal"):
            user = self.users[name]
            for client in (self.xmlrpc, self.jsonrpc, self.call_kw):
                self.attack(
                    "does not exist", client, user, "integration.message", "enqueue", [message]
                )
                self.attack(PRIVATE, client, user, "integration.message", "_enqueue", [message])
            x = self.xmlrpc
            self.attack(ACL, x, user, "price.change", "create", {"description": "outsider"})
            self.attack(ACL, x, user, "price.change", "read", self.waiting_change.ids, ["state"])
            self.attack(ACL, self.jsonrpc, user, "price.change", "search_read", [], ["state"])
            self.attack(ACL, x, user, "price.change", "action_approve", self.waiting_change.ids)
            self.attack(ACL, x, user, "price.change", "action_submit", self.draft_change.ids)
            self.attack(ACL, x, user, "loyalty.program", "action_approve", self.draft_program.ids)
        self.attack(
            "You may only delegate your own approval rights",
            self.xmlrpc,
            self.users["internal"],
            "integration.approval.delegation",
            "create",
            {
                "user_id": self.users["price_manager"].id,
                "delegate_id": self.users["internal"].id,
                "date_to": stamp(fields.Datetime.now() + timedelta(days=1)),
            },
        )

    def test_integration_user_cannot_rewrite_the_queue(self):
        user, x = self.users["integration"], self.xmlrpc
        self.assertEqual(self.pending.state, "pending")
        ids = self.pending.ids
        self.attack(
            ACL,
            x,
            user,
            "integration.message",
            "write",
            ids,
            {"payload": {"sku": "PG-KETTLE", "price": 0.01}},
        )
        self.attack(ACL, x, user, "integration.message", "write", ids, {"state": "sent"})
        self.attack(ACL, self.jsonrpc, user, "integration.message", "unlink", ids)
        self.attack(PRIVATE, x, user, "integration.message", "_enqueue", [])

    def test_this_sessions_surface_is_closed_to_those_below_it(self):
        """Connector secrets, delivery settings and the operations dashboard, over RPC."""
        connector = self.connector
        before = connector.sudo().secret_encrypted
        only = "Only members of"
        for name in ("integration", "internal"):
            user = self.users[name]
            self.attack(
                only, self.xmlrpc, user, "integration.connector",
                "action_generate_webhook_secret", connector.ids,
            )  # fmt: skip
            self.attack(
                only, self.jsonrpc, user, "integration.connector",
                "action_generate_inbound_webhook_secret", connector.ids,
            )  # fmt: skip
            self.attack(
                ACL, self.xmlrpc, user, "integration.connector", "write", connector.ids,
                {"envelope_format": "cloudevents", "parallel_requests": 32},
            )  # fmt: skip
            self.attack(
                ACL, self.xmlrpc, user, "res.config.settings", "create",
                {"integration_delivery_workers": 64},
            )  # fmt: skip
        for name in ("portal", "internal"):
            self.attack(
                only, self.xmlrpc, self.users[name], "integration.dashboard",
                "get_operations_data",
            )  # fmt: skip
        self.assertEqual(connector.sudo().secret_encrypted, before)
        self.assertEqual(connector.envelope_format, "native")
        # An integration user gets the figures (over JSON-RPC, as the web client asks).
        figures = self.jsonrpc(
            self.users["integration"], "integration.dashboard", "get_operations_data"
        )
        self.assertNotIn("refused", figures)
        self.assertIn("counters", figures)
        # And over XML-RPC, which carries no None: the same figures, "no figure" as False.
        over_xmlrpc = self.xmlrpc(
            self.users["integration"], "integration.dashboard", "get_operations_data"
        )
        self.assertNotIsInstance(over_xmlrpc, xmlrpc.client.Fault)

        # (Ages tick between the two calls: compared without them.)
        def ageless(counters):
            return [{k: v for k, v in c.items() if k != "age"} for c in counters]

        self.assertEqual(ageless(over_xmlrpc["counters"]), ageless(figures["counters"]))

    # ------------------------------------------------------------------ the way that works

    def test_happy_path_over_xmlrpc(self):
        pricer, pricer2, x = self.users["pricer"], self.users["pricer2"], self.xmlrpc
        manager = self.users["price_manager"]
        self.assertEqual(self.order_price(self.product), 90.0)
        start = stamp(fields.Datetime.now() - timedelta(minutes=1))

        def line(product, price):
            return wire(
                Command.create(
                    {
                        "product_id": product.id,
                        "pricelist_id": self.pricelist.id,
                        "fixed_price": price,
                    }
                )
            )

        small = x(
            pricer,
            "price.change",
            "create",
            {
                "description": "small",
                "effective_from": start,
                "line_ids": [line(self.product, 80.0)],
            },
        )
        big = x(
            pricer,
            "price.change",
            "create",
            {
                "description": "under cost",
                "effective_from": start,
                "line_ids": [line(self.product2, 10.0)],
            },
        )
        self.assertIs(x(pricer, "price.change", "action_submit", [small, big]), True)
        self.assertIs(x(pricer2, "price.change", "action_approve", [small]), True)
        self.assertRefused(
            x(pricer2, "price.change", "action_approve", [big]), "needs approval by a member of"
        )
        self.assertIs(self.jsonrpc(manager, "price.change", "action_approve", [big]), True)
        changes = self.env["price.change"].browse([small, big])
        self.assertEqual(changes.mapped("state"), ["approved", "approved"])
        self.assertEqual(changes.mapped("approved_by_id"), pricer2 | manager)
        decisions = changes.approval_decision_ids.sorted("id")
        self.assertEqual(decisions.mapped("decision"), ["submit", "submit", "approve", "approve"])
        self.env.cr.execute(SQL("SELECT coalesce(max(id), 0) FROM integration_message"))
        last = self.env.cr.fetchone()[0]
        self.Version._cron_effect()
        self.assertEqual(self.order_price(self.product), 80.0)
        self.assertEqual(self.order_price(self.product2), 10.0)
        self.assertEqual(changes.mapped("state"), ["effective", "effective"])
        self.env.cr.execute(
            SQL(
                "SELECT payload->>'sku', (payload->>'price')::float FROM integration_message"
                " WHERE id > %s AND connector_id = %s ORDER BY id",
                last,
                self.connector.id,
            )
        )
        self.assertEqual(
            sorted(self.env.cr.fetchall()), [("PG-KETTLE", 80.0), ("PG-TOASTER", 10.0)]
        )
