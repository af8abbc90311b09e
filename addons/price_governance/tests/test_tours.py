from odoo.tests import HttpCase, tagged

from odoo.addons.integration_core.compat.groups import USER_GROUPS

from .common import PriceCase


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


@tagged("post_install", "-at_install")
class TestChannelsTour(PriceCase, HttpCase):
    """Three channels received a price: one applied it, one rejected it (with its reason),
    one has not confirmed yet; the pricing manager reads that on the change's form."""

    def test_manager_sees_what_each_channel_did(self):
        shop, market, outlet = (
            self.make_connector(code, name=name, inbound_enabled=True, ack_required=True)
            for code, name in (
                ("tourshop", "Tour Shop"),
                ("tourmarket", "Tour Market"),
                ("touroutlet", "Tour Outlet"),
            )
        )
        self.product.name = "Tour Kettle"
        self.pricelist.integration_connector_ids = [(6, 0, (shop | market | outlet).ids)]
        change = self.approved_change(
            [(self.product, self.pricelist, 95.0)], description="Tour channel check"
        )
        self.effect()
        self.process()
        self.assertEqual(change.version_ids.version, 1)
        for connector, payload in (
            (shop, {"status": "applied", "version": 1, "record": {"sku": "PG-KETTLE"}}),
            (
                market,
                {
                    "status": "rejected",
                    "version": 1,
                    "record": {"sku": "PG-KETTLE"},
                    "reason": "Below the minimum advertised price",
                },
            ),
        ):
            self.env["integration.inbound.event"].create(
                {
                    "connector_id": connector.id,
                    "domain_id": self.domain_price.id,
                    "event_type": "price.applied",
                    "external_id": f"tour-{connector.code}",
                    "payload": payload,
                }
            )._process()
        self.Change._cron_follow_publication()
        self.assertEqual(change.state, "effective")
        self.assertTrue(
            self.env.ref("base.user_admin").has_group("price_governance.group_price_manager")
        )
        self.start_tour("/odoo", "price_governance_channels_of_a_change", login="admin")
