from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestRegistry(TransactionCase):
    def test_models_are_registered(self):
        self.assertIn("stock.publication.channel", self.env.registry)
