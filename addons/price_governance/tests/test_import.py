import base64

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import PriceCase


@tagged("post_install", "-at_install")
class TestImport(PriceCase):
    def wizard(self, text, **vals):
        return (
            self.env["price.change.import.wizard"]
            .with_user(self.requester)
            .create({"file": base64.b64encode(text.encode()), "filename": "prices.csv", **vals})
        )

    def test_import_creates_draft_changes_per_effective_date(self):
        text = (
            "default_code,barcode,pricelist,price,min_quantity,effective_from\n"
            "PG-KETTLE,,PG Test Retail,91.5,0,\n"
            ",9990000000011,PG Test Retail,85,10,\n"
            "PG-TOASTER,,PG Test Wholesale,44,,2031-02-01 00:00:00\n"
        )
        action = self.wizard(text, description="Spring").action_import()
        changes = self.Change.search(action["domain"])
        self.assertEqual(len(changes), 2)
        self.assertEqual(set(changes.mapped("state")), {"draft"})
        self.assertEqual(set(changes.mapped("source")), {"import"})
        dated = changes.filtered(lambda c: str(c.effective_from) == "2031-02-01 00:00:00")
        self.assertEqual(dated.line_ids.product_id, self.product2)
        other = changes - dated
        self.assertEqual(sorted(other.line_ids.mapped("fixed_price")), [85.0, 91.5])
        self.assertEqual(sorted(other.line_ids.mapped("min_quantity")), [0.0, 10.0])
        self.assertEqual(other.requested_by_id.ids, [])
        other.action_submit()
        self.assertEqual(other.state, "to_approve")

    def test_any_bad_line_imports_nothing_and_reports_each(self):
        count = self.Change.search_count([])
        text = (
            "default_code,pricelist,price,min_quantity\n"
            "PG-KETTLE,PG Test Retail,91.5,0\n"
            "NOPE,PG Test Retail,10,0\n"
            "PG-TOASTER,Unknown list,abc,-1\n"
            ",PG Test Retail,10,0\n"
        )
        wizard = self.wizard(text)
        wizard.action_import()
        self.assertEqual(self.Change.search_count([]), count)
        report = wizard.report.splitlines()
        self.assertEqual(len(report), 3)
        self.assertIn("Line 3", report[0])
        self.assertIn("NOPE", report[0])
        self.assertIn("Line 4", report[1])
        self.assertIn("Unknown list", report[1])
        self.assertIn("not a number", report[1])
        self.assertIn("negative min_quantity", report[1])
        self.assertIn("Line 5", report[2])

    def test_a_file_without_the_columns_is_refused(self):
        with self.assertRaisesRegex(UserError, "name the columns"):
            self.wizard("sku;price\nA;1\n").action_import()
        with self.assertRaisesRegex(UserError, "no price lines"):
            self.wizard("default_code,pricelist,price\n").action_import()
