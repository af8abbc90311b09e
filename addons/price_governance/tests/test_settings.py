from odoo.tests import tagged

from .common import PriceCase


@tagged("post_install", "-at_install")
class TestSettings(PriceCase):
    def test_thresholds_are_stored_as_parameters_and_drive_approval(self):
        settings = self.env["res.config.settings"].create(
            {
                "price_max_drop_percent": 5.0,
                "price_below_cost_needs_manager": False,
                "price_margin_floor_percent": 0.0,
                "price_inbound_guardrail_percent": 2.5,
            }
        )
        settings.execute()
        params = self.env["ir.config_parameter"].sudo()
        self.assertEqual(params.get_param("price_governance.max_drop_percent"), "5.0")
        policy = self.env["price.governance.policy"]._get()
        self.assertEqual(
            policy, {"max_drop": 5.0, "below_cost": False, "margin_floor": 0.0, "guardrail": 2.5}
        )
        # A 10 % drop now needs a manager; a price under cost no longer does.
        change = self.make_change([(self.product, self.pricelist, 90.0)])
        change.action_submit()
        self.assertTrue(change.needs_manager)
        under_cost = self.make_change([(self.product2, self.pricelist, 19.5)])
        under_cost.action_submit()
        self.assertIn("drop", under_cost.line_ids.breach)
        self.assertNotIn("cost", under_cost.line_ids.breach)
        # Read back into the form.
        self.assertEqual(self.env["res.config.settings"].create({}).price_max_drop_percent, 5.0)
