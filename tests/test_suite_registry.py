"""The registry of the test database holds every model the suite promises."""

from odoo.tests import TransactionCase, tagged

from test_lifecycle import ADDONS, OUR_MODELS


# Outside an addon, Odoo's metaclass sets no tags: tagged() gives the usual ones.
@tagged("standard", "post_install", "-at_install")
class TestSuiteRegistry(TransactionCase):
    def test_all_addons_installed(self):
        modules = self.env["ir.module.module"].search([("name", "in", ADDONS)])
        self.assertEqual({m.name: m.state for m in modules}, dict.fromkeys(ADDONS, "installed"))

    def test_registry_has_our_models(self):
        for addon, models in OUR_MODELS.items():
            for model in models:
                self.assertIn(model, self.env.registry, f"{addon} did not register {model}")
                self.assertTrue(self.env[model]._table, model)
