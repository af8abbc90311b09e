from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestRegistry(TransactionCase):
    def test_models_are_registered(self):
        for model in ("price.change", "price.change.line"):
            self.assertIn(model, self.env.registry, f"{model} is missing from the registry")
