from odoo.tests import HttpCase, tagged

from odoo.addons.integration_core.compat.groups import USER_GROUPS


@tagged("post_install", "-at_install")
class TestPriceGovernanceTours(HttpCase):
    """A pricing user prepares and submits a price change in the UI; the pricing manager
    approves it in the UI; Python checks the records the clicks produced."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        params = cls.env["ir.config_parameter"].sudo()
        params.set_param("price_governance.max_drop_percent", "20")
        params.set_param("price_governance.below_cost_needs_manager", "True")
        params.set_param("price_governance.margin_floor_percent", False)
        cls.requester = cls.env["res.users"].create(
            {
                "name": "Tour Requester",
                "login": "tour_pricing_user",
                "password": "tour_pricing_user",
                "email": "tour_pricing_user@pg.example.com",
                USER_GROUPS: [(6, 0, [cls.env.ref("price_governance.group_price_user").id])],
            }
        )
        cls.manager = cls.env.ref("base.user_admin")
        cls.pricelist = cls.env["product.pricelist"].create(
            {"name": "Tour Retail", "currency_id": cls.env.company.currency_id.id}
        )
        cls.kettle = cls.env["product.product"].create(
            {"name": "Tour Kettle", "list_price": 100.0, "standard_price": 60.0}
        )
        cls.toaster = cls.env["product.product"].create(
            {"name": "Tour Toaster", "list_price": 50.0, "standard_price": 20.0}
        )

    def test_requester_submits_and_manager_approves(self):
        self.assertTrue(self.manager.has_group("price_governance.group_price_manager"))
        self.start_tour("/odoo", "price_governance_requester_submits", login="tour_pricing_user")
        change = self.env["price.change"].search([("description", "=", "Tour spring increase")])
        self.assertEqual(len(change), 1)
        self.assertEqual(change.state, "to_approve")
        self.assertEqual(change.requested_by_id, self.requester)
        self.assertEqual(change.create_uid, self.requester)
        self.assertFalse(change.needs_manager)
        lines = {(line.product_id, line.pricelist_id): line.fixed_price for line in change.line_ids}
        self.assertEqual(
            lines,
            {(self.kettle, self.pricelist): 125.0, (self.toaster, self.pricelist): 65.0},
        )
        self.assertEqual(sorted(change.line_ids.mapped("current_price")), [50.0, 100.0])

        self.start_tour("/odoo", "price_governance_manager_approves", login="admin")
        change.invalidate_recordset()
        self.assertEqual(change.state, "approved")
        self.assertEqual(change.approved_by_id, self.manager)
        self.assertTrue(change.approved_at)
        decisions = change.approval_decision_ids.sorted("id")
        self.assertEqual(decisions.mapped("decision"), ["submit", "approve"])
        self.assertEqual(decisions.mapped("user_id"), self.requester | self.manager)
        bodies = change.message_ids.mapped("body")
        self.assertTrue(any("Approved by Mitchell Admin" in body for body in bodies), bodies)
        versions = change.version_ids
        self.assertEqual(len(versions), 2)
        self.assertEqual(
            {(v.product_id, v.pricelist_id, v.fixed_price) for v in versions},
            {(self.kettle, self.pricelist, 125.0), (self.toaster, self.pricelist, 65.0)},
        )
        self.assertEqual(set(versions.mapped("approved_by_id")), {self.manager})
