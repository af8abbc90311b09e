import base64
import csv
import io

from odoo import fields
from odoo.tests import tagged

from .common import PromotionCase


@tagged("post_install", "-at_install")
class TestTraceability(PromotionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.program = cls.release(
            cls.make_program(discount=20, release_at=cls.hours(-1), expire_at=cls.hours(24))
        )

    def order_with_promotion(self, qty=2):
        order = self.make_order((self.desk, qty), (self.lamp, 1))
        reward_lines = self.apply_promotions(order)
        order.action_confirm()
        return order, reward_lines

    def test_order_during_window_keeps_program_and_version(self):
        order, reward_lines = self.order_with_promotion()
        self.assertEqual(len(reward_lines), 1)
        self.assertEqual(reward_lines.promotion_program_id, self.program)
        self.assertEqual(reward_lines.promotion_snapshot_id, self.program.current_snapshot_id)
        self.assertEqual(reward_lines.promotion_version, 1)
        self.assertAlmostEqual(reward_lines.promotion_discount_amount, 40.0)
        self.assertAlmostEqual(order.amount_untaxed, 200.0 + 20.0 - 40.0)
        plain = order.order_line - reward_lines
        self.assertFalse(plain.promotion_program_id)

    def test_version_on_the_line_stays_when_the_program_changes(self):
        _order, reward_lines = self.order_with_promotion()
        self.program.with_user(self.requester).write({"expire_at": self.hours(48)})
        self.program.with_user(self.requester).action_submit()
        self.program.with_user(self.approver).action_approve()
        self.assertEqual(self.program.current_version, 2)
        self.assertEqual(reward_lines.promotion_version, 1)
        order2, reward_lines2 = self.order_with_promotion()
        self.assertEqual(reward_lines2.promotion_version, 2)

    def test_order_after_the_window_gets_no_discount(self):
        during, reward_lines = self.order_with_promotion()
        self.program._approval_write({"expire_at": self.hours(-0.1), "release_at": self.hours(-2)})
        self.env["loyalty.program"]._cron_release_schedule()
        self.assertEqual(self.program.release_state, "expired")
        after = self.make_order((self.desk, 2))
        self.assertFalse(self.apply_promotions(after))
        self.assertAlmostEqual(after.amount_untaxed, 200.0)
        # The confirmed order placed during the window keeps its discount and its trace.
        self.assertTrue(reward_lines.exists())
        self.assertEqual(reward_lines.promotion_program_id, self.program)

    def test_invoice_and_credit_note_keep_the_context(self):
        order, reward_lines = self.order_with_promotion()
        invoice = order._create_invoices()
        invoice.action_post()
        discount_line = invoice.invoice_line_ids.filtered("promotion_program_id")
        self.assertEqual(discount_line.promotion_program_id, self.program)
        self.assertEqual(discount_line.promotion_snapshot_id, reward_lines.promotion_snapshot_id)
        self.assertAlmostEqual(discount_line.price_subtotal, -40.0)
        # The customer returns everything: a credit note reversing the invoice.
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"journal_id": invoice.journal_id.id, "reason": "Return"})
        )
        reversal.refund_moves()
        credit_note = self.env["account.move"].search([("reversed_entry_id", "=", invoice.id)])
        self.assertEqual(credit_note.move_type, "out_refund")
        credited = credit_note.invoice_line_ids.filtered("promotion_program_id")
        self.assertEqual(credited.promotion_program_id, self.program)
        self.assertEqual(credited.promotion_snapshot_id.version, 1)
        self.assertEqual(credited.sale_line_ids, reward_lines)

    def test_report_groups_discounts_by_program_and_version(self):
        self.order_with_promotion(qty=1)
        self.order_with_promotion(qty=3)
        groups = self.env["sale.order.line"]._read_group(
            [("promotion_program_id", "=", self.program.id)],
            ["promotion_program_id", "promotion_version"],
            ["promotion_discount_amount:sum", "__count"],
        )
        self.assertEqual(groups, [(self.program, 1, 80.0, 2)])
        action = self.env.ref("promotion_sync.sale_order_line_promotion_action")
        self.assertIn("pivot", action.view_mode)

    def test_settlement_export(self):
        order, _lines = self.order_with_promotion(qty=1)
        invoice = order._create_invoices()
        invoice.action_post()
        self.env["account.move.reversal"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"journal_id": invoice.journal_id.id, "reason": "Return"}).refund_moves()
        self.env["account.move"].search([("reversed_entry_id", "=", invoice.id)]).action_post()
        self.order_with_promotion(qty=2)
        today = fields.Date.context_today(self.env["res.users"])
        wizard = self.env["promotion.settlement.wizard"].create(
            {"date_from": today, "date_to": today, "program_ids": [(6, 0, self.program.ids)]}
        )
        action = wizard.action_export()
        self.assertIn(f"/web/content/{wizard.attachment_id.id}", action["url"])
        rows = list(csv.reader(io.StringIO(base64.b64decode(wizard.attachment_id.datas).decode())))
        self.assertEqual(rows[0][:3], ["program_id", "program", "version"])
        self.assertEqual(len(rows), 2)
        row = dict(zip(rows[0], rows[1]))
        self.assertEqual(row["program_id"], str(self.program.id))
        self.assertEqual(row["version"], "1")
        self.assertEqual(row["orders"], "2")
        self.assertEqual(float(row["discount_granted"]), 60.0)
        self.assertEqual(float(row["credited_back"]), 20.0)
        self.assertEqual(float(row["net_discount"]), 40.0)

    def test_settlement_period_must_be_ordered(self):
        from odoo.exceptions import UserError

        with self.assertRaises(UserError):
            self.env["promotion.settlement.wizard"].create(
                {"date_from": "2026-02-01", "date_to": "2026-01-01"}
            )
