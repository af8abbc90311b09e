"""Issue #19, item 4, over the wire: promotions on the books are finance's. Promotion and
sales users read settlements and the reconciliation but cannot post, write or forge
settlement entries; billing users, who edit invoices, cannot reset, change or delete them;
internal users see nothing. Each attempt is a real XML-RPC call refused with a clear message
and leaves the books as they were (read by SQL)."""

import xmlrpc.client
from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, get_db_name, new_test_user, tagged
from odoo.tools import SQL

from odoo.addons.integration_core.tests.rpc import XmlRpcClientMixin

from .common import PromotionSetup
from .test_settlement import SettlementSetup

ACL = "You are not allowed to"
ACCOUNTANTS = "Only accountants"
FINANCE_ENTRIES = "changed by accountants"
PRIVATE = "cannot be called remotely"
# Record rules: sales users see the invoices of sales, not journal entries.
NO_READ = "doesn't have 'read' access"
GROUPS = {
    "internal": "base.group_user",
    "promo_manager": "promotion_sync.group_promotion_manager",
    "sales_admin": "sales_team.group_sale_manager",
    "billing": "account.group_account_invoice",
    "accountant": "account.group_account_manager",
}


def password(login):
    return f"{login}-pw-1919"


@tagged("post_install", "-at_install")
class TestSettlementOverRpc(XmlRpcClientMixin, SettlementSetup, PromotionSetup, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.db = get_db_name()
        cls.setup_promotions()
        cls.setup_settlement()
        cls.users = {
            name: new_test_user(
                cls.env, login=f"stl_{name}", groups=groups, password=password(f"stl_{name}")
            )
            for name, groups in GROUPS.items()
        }
        # Three coupons of 15 outstanding: the period's entry puts 45 on the liability.
        cls.settlement = cls.settle()
        cls.move = cls.settlement.move_ids
        cls.other_account = cls.env["account.account"].create(
            {"name": "Not for promotions", "code": "T6999", "account_type": "expense"}
        )

    def rpc_password(self, user):
        return password(user.login)

    def books(self):
        """What an attempt must leave as it was, read by SQL."""
        self.env.flush_all()
        queries = {
            "settlements": SQL(
                "SELECT id, state, date_from, date_to, posted_by_id FROM promotion_settlement"
                " ORDER BY id"
            ),
            "settlement lines": SQL(
                "SELECT id, program_id, discount_amount, liability_amount"
                " FROM promotion_settlement_line ORDER BY id"
            ),
            "settlement entries": SQL(
                "SELECT m.id, m.state, m.ref, m.date, l.account_id, l.balance,"
                " l.promotion_settlement_role FROM account_move m"
                " JOIN account_move_line l ON l.move_id = m.id"
                " WHERE m.promotion_settlement_id IS NOT NULL ORDER BY l.id"
            ),
            "settled items": SQL(
                "SELECT count(*) FROM account_move_line WHERE promotion_settlement_role IS NOT NULL"
            ),
            "program accounts": SQL(
                "SELECT id, discount_account_id, liability_account_id FROM loyalty_program"
                " WHERE id = ANY(%s) ORDER BY id",
                self.programs.ids,
            ),
        }
        state = {}
        for name, query in queries.items():
            self.env.cr.execute(query)
            state[name] = self.env.cr.fetchall()
        return state

    def attack(self, expected, user, model, method, *args, **kwargs):
        """One attempt over XML-RPC: refused saying `expected`, the books unchanged."""
        name = f"{user.login}: {model}.{method}{args!r} {kwargs!r}"
        with self.subTest(attack=name):
            before = self.books()
            answer = self.xmlrpc(user, model, method, *args, **kwargs)
            self.assertIsInstance(answer, xmlrpc.client.Fault, f"{name}: returned {answer!r}")
            self.assertIn(expected, answer.faultString, name)
            self.assertEqual(self.books(), before, f"{name}: the books changed")

    def test_promotion_and_sales_users_read_but_cannot_post(self):
        today = fields.Date.to_string(self.today)
        for name in ("promo_manager", "sales_admin"):
            user = self.users[name]
            rows = self.xmlrpc(user, "promotion.settlement", "search_read", [], ["state"])
            self.assertEqual(rows, [{"id": self.settlement.id, "state": "posted"}])
            report = self.xmlrpc(
                user, "promotion.settlement.reconciliation", "search_read", [], ["mismatch"]
            )
            self.assertIsInstance(report, list)
            self.attack(
                ACCOUNTANTS, user, "promotion.settlement", "action_post", self.settlement.ids
            )
            self.attack(
                ACL, user, "promotion.settlement", "create",
                {"date_from": today, "date_to": today},
            )  # fmt: skip
            self.attack(
                ACL, user, "promotion.settlement", "write", self.settlement.ids,
                {"state": "draft"},
            )  # fmt: skip
            self.attack(ACL, user, "promotion.settlement", "unlink", self.settlement.ids)
            self.attack(
                ACL, user, "promotion.settlement.line", "create",
                {"settlement_id": self.settlement.id, "discount_amount": 1000.0},
            )  # fmt: skip
            self.attack(
                ACL, user, "promotion.settlement.line", "write",
                self.settlement.line_ids.ids, {"liability_amount": 0.0},
            )  # fmt: skip
            wizard = self.xmlrpc(
                user, "promotion.settlement.wizard", "create",
                {"date_from": today, "date_to": today},
            )  # fmt: skip
            self.assertIsInstance(wizard, int)
            self.attack(ACCOUNTANTS, user, "promotion.settlement.wizard", "action_settle", [wizard])
            self.attack(
                ACCOUNTANTS, user, "loyalty.program", "write", self.coupons.ids,
                {"liability_account_id": self.other_account.id},
            )  # fmt: skip
            self.attack(
                ACCOUNTANTS, user, "loyalty.program", "write", self.percent.ids,
                {"discount_account_id": False},
            )  # fmt: skip
            self.attack(NO_READ, user, "account.move", "button_draft", self.move.ids)
            self.attack(PRIVATE, user, "promotion.settlement", "_post", self.settlement.ids)

    def test_billing_users_cannot_touch_settlement_entries(self):
        user, move = self.users["billing"], self.move
        self.attack(FINANCE_ENTRIES, user, "account.move", "button_draft", move.ids)
        self.attack(FINANCE_ENTRIES, user, "account.move", "write", move.ids, {"ref": "gone"})
        self.attack(FINANCE_ENTRIES, user, "account.move", "unlink", move.ids)
        self.attack(
            FINANCE_ENTRIES, user, "account.move.line", "write", move.line_ids[:1].ids,
            {"name": "edited"},
        )  # fmt: skip
        # Nor make an entry of theirs count as settled.
        self.attack(
            FINANCE_ENTRIES, user, "account.move", "create",
            {
                "move_type": "entry",
                "journal_id": self.journal.id,
                "promotion_settlement_id": self.settlement.id,
                "line_ids": [
                    [int(Command.CREATE), 0, {"account_id": self.discount_account.id, "balance": 50.0}],
                    [int(Command.CREATE), 0, {"account_id": self.other_account.id, "balance": -50.0}],
                ],
            },
        )  # fmt: skip
        self.attack(
            FINANCE_ENTRIES, user, "account.move", "create",
            {
                "move_type": "entry",
                "journal_id": self.journal.id,
                "line_ids": [
                    [int(Command.CREATE), 0, {
                        "account_id": self.discount_account.id, "balance": 50.0,
                        "promotion_program_id": self.percent.id,
                        "promotion_settlement_role": "discount",
                    }],
                    [int(Command.CREATE), 0, {"account_id": self.other_account.id, "balance": -50.0}],
                ],
            },
        )  # fmt: skip
        self.attack(ACCOUNTANTS, user, "promotion.settlement", "action_post", self.settlement.ids)

    def test_internal_users_see_nothing(self):
        user = self.users["internal"]
        self.attack(ACL, user, "promotion.settlement", "search_read", [], ["state"])
        self.attack(ACL, user, "promotion.settlement.reconciliation", "search_read", [], ["id"])
        self.attack(ACL, user, "promotion.settlement.line", "search_read", [], ["id"])

    def test_accountants_set_accounts_and_settle_over_rpc(self):
        user = self.users["accountant"]
        answer = self.xmlrpc(
            user, "loyalty.program", "write", self.coupons.ids,
            {"liability_account_id": self.liability_account.id,
             "discount_account_id": self.other_account.id},
        )  # fmt: skip
        self.assertIs(answer, True)
        self.assertEqual(self.coupons.discount_account_id, self.other_account)
        self.assertEqual(self.coupons.release_state, "active")  # no new version needed
        # Accounts only: the content of a program stays a Sales Administrator's.
        self.attack(ACL, user, "loyalty.program", "write", self.coupons.ids, {"name": "Mine"})
        # Nothing changed since the period was posted: refused, not posted twice.
        self.attack(
            "nothing to adjust", user, "promotion.settlement", "action_post", self.settlement.ids
        )
        tomorrow = fields.Date.to_string(self.today + timedelta(days=1))
        wizard = self.xmlrpc(
            user, "promotion.settlement.wizard", "create",
            {"date_from": tomorrow, "date_to": tomorrow},
        )  # fmt: skip
        action = self.xmlrpc(user, "promotion.settlement.wizard", "action_settle", [wizard])
        self.assertEqual(action["res_model"], "promotion.settlement")
        settlement = self.env["promotion.settlement"].browse(action["res_id"])
        self.assertEqual(settlement.state, "posted")
        self.assertEqual(settlement.posted_by_id, user)
