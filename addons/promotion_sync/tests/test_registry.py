from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestRegistry(TransactionCase):
    def test_models_are_registered(self):
        self.assertIn("promotion.snapshot", self.env.registry)
        self.assertIn("release_state", self.env["loyalty.program"]._fields)
