import xmlrpc.client

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.integration_core.tests.rpc import XmlRpcClientMixin

from .common import PromotionCase, PromotionSetup


def deliver(picking):
    for move in picking.move_ids:
        move.quantity = move.product_uom_qty
    picking.move_ids.picked = True
    picking.button_validate()
    return picking


def return_of(picking):
    wizard = (
        picking.env["stock.return.picking"]
        .with_context(active_id=picking.id, active_ids=picking.ids, active_model="stock.picking")
        .create({})
    )
    for line in wizard.product_return_moves:
        line.quantity = line.move_id.quantity
    action = wizard.action_create_returns()
    return picking.browse(action["res_id"])


@tagged("post_install", "-at_install")
class TestReturnPickings(PromotionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.program = cls.release(
            cls.make_program(discount=20, release_at=cls.hours(-1), expire_at=cls.hours(24))
        )

    def test_a_return_keeps_the_program_and_version_of_the_delivery(self):
        order = self.make_order((self.desk, 2), (self.lamp, 1))
        self.assertTrue(self.apply_promotions(order))
        order.action_confirm()
        delivery = order.picking_ids
        self.assertEqual(len(delivery), 1)
        version1 = self.program.current_snapshot_id
        self.assertEqual(delivery.promotion_snapshot_ids, version1)
        self.assertEqual(delivery.promotion_program_ids, self.program)
        deliver(delivery)
        # The program gets a new version before the customer returns the goods.
        self.program.with_user(self.requester).write({"expire_at": self.hours(48)})
        self.program.with_user(self.requester).action_submit()
        self.program.with_user(self.approver).action_approve()
        self.assertEqual(self.program.current_version, 2)
        returned = return_of(delivery)
        self.assertEqual(returned.return_id, delivery)
        self.assertEqual(returned.promotion_program_ids, self.program)
        self.assertEqual(returned.promotion_snapshot_ids, version1)
        self.assertEqual(returned.promotion_snapshot_ids.version, 1)
        # Its credit note keeps the same program and version.
        invoice = order._create_invoices()
        invoice.action_post()
        credit = invoice._reverse_moves()
        credited = credit.line_ids.filtered("promotion_program_id")
        self.assertEqual(credited.promotion_program_id, returned.promotion_program_ids)
        self.assertEqual(credited.promotion_snapshot_id, returned.promotion_snapshot_ids)

    def test_a_delivery_without_promotion_has_none(self):
        order = self.make_order((self.chair, 1))
        self.assertFalse(self.apply_promotions(order))
        order.action_confirm()
        self.assertFalse(order.picking_ids.promotion_snapshot_ids)
        self.assertFalse(return_of(deliver(order.picking_ids)).promotion_program_ids)


@tagged("post_install", "-at_install")
class TestReturnPickingsOverRpc(PromotionSetup, XmlRpcClientMixin, HttpCase):
    """The promotion context of a transfer is not a client's to set, over RPC either."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_promotions()
        cls.program = cls.release(
            cls.make_program(discount=20, release_at=cls.hours(-1), expire_at=cls.hours(24))
        )
        cls.stock_user = new_test_user(
            cls.env,
            login="rpc_stock_manager",
            password="rpc_stock_manager-pw",
            groups="stock.group_stock_manager,sales_team.group_sale_manager",
        )
        order = cls.env["sale.order"].create(
            {
                "partner_id": cls.partner.id,
                "order_line": [Command.create({"product_id": cls.chair.id})],
            }
        )
        order.action_confirm()
        cls.picking = order.picking_ids

    def rpc_password(self, user):
        return f"{user.login}-pw"

    def test_a_stock_manager_cannot_set_the_promotions_of_a_transfer(self):
        forged = [Command.set(self.program.current_snapshot_id.ids)]
        forged = [[int(c[0]), *c[1:]] for c in forged]
        for method, args in (
            ("write", [self.picking.ids, {"promotion_snapshot_ids": forged}]),
            ("write", [self.picking.ids, {"promotion_program_ids": forged}]),
            (
                "create",
                [
                    {
                        "picking_type_id": self.picking.picking_type_id.id,
                        "promotion_snapshot_ids": forged,
                    }
                ],
            ),
        ):
            refused = self.xmlrpc(self.stock_user, "stock.picking", method, *args)
            self.assertIsInstance(refused, xmlrpc.client.Fault)
            self.assertIn("cannot be set by hand", refused.faultString)
        self.assertFalse(self.picking.promotion_snapshot_ids)
        # The transfer itself stays editable.
        written = self.xmlrpc(
            self.stock_user, "stock.picking", "write", self.picking.ids, {"origin": "RPC"}
        )
        self.assertIs(written, True)
        self.assertEqual(self.picking.origin, "RPC")
