from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestRegistry(TransactionCase):
    def test_models_are_registered(self):
        for model in ("integration.connector", "integration.message"):
            self.assertIn(model, self.env.registry, f"{model} is missing from the registry")
            self.assertTrue(self.env["ir.model"]._get_id(model))
