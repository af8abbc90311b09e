from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestRegistry(TransactionCase):
    def test_models_are_registered(self):
        for model in (
            "stock.publication.channel",
            "stock.publication.override",
            "stock.publication.state",
            "stock.publication.dirty",
        ):
            self.assertIn(model, self.env.registry)

    def test_views_render(self):
        for model in (
            "stock.publication.channel",
            "stock.publication.override",
            "stock.publication.state",
        ):
            views = self.env[model].get_views([(False, "list"), (False, "form"), (False, "search")])
            self.assertEqual(set(views["views"]), {"list", "form", "search"})
        kanban = self.env["stock.publication.channel"].get_views([(False, "kanban")])
        self.assertIn("publication_status", kanban["views"]["kanban"]["arch"])
        form = self.env["product.template"].get_views([(False, "form")])
        self.assertIn("stock_discontinued", form["views"]["form"]["arch"])
