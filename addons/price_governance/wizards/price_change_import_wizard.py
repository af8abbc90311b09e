# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import base64
import csv
import io
from collections import defaultdict

from odoo import fields, models
from odoo.exceptions import UserError

from odoo.addons.integration_core.tools.workflow import workflow_scope

COLUMNS_HELP = "default_code or barcode, pricelist, price, min_quantity, effective_from (optional)"


class PriceChangeImportWizard(models.TransientModel):
    """CSV upload of price lines: all lines or none, with an error per bad line."""

    _name = "price.change.import.wizard"
    _description = "Import price lines from CSV"

    file = fields.Binary(
        "CSV file", required=True, help="Columns: " + COLUMNS_HELP + ". First row: column names."
    )
    filename = fields.Char()
    effective_from = fields.Datetime(
        default=fields.Datetime.now,
        help="Start of the window for rows without an effective_from.",
    )
    description = fields.Char("Reason", help="Why these prices change; goes on the changes.")
    report = fields.Text("Errors", readonly=True)

    def _rows(self):
        try:
            text = base64.b64decode(self.file).decode("utf-8-sig")
        except (ValueError, UnicodeDecodeError) as exc:
            raise UserError(self.env._("The file is not UTF-8 text: %s", exc)) from exc
        reader = csv.DictReader(io.StringIO(text))
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
        reader.fieldnames = header
        if (
            ("default_code" not in header and "barcode" not in header)
            or "pricelist" not in header
            or "price" not in header
        ):
            raise UserError(self.env._("The first row must name the columns: %s.", COLUMNS_HELP))
        return list(reader)

    def _parse(self, rows):
        """(lines by effective_from, errors) in a fixed number of queries."""
        codes = {(r.get("default_code") or "").strip() for r in rows} - {""}
        barcodes = {(r.get("barcode") or "").strip() for r in rows} - {""}
        Product = self.env["product.product"]
        by_code, by_barcode = {}, {}
        if codes:
            for product in Product.search([("default_code", "in", list(codes))]):
                by_code.setdefault(product.default_code, product)
        if barcodes:
            for product in Product.search([("barcode", "in", list(barcodes))]):
                by_barcode.setdefault(product.barcode, product)
        names = {(r.get("pricelist") or "").strip() for r in rows} - {""}
        pricelists = defaultdict(list)
        for pricelist in self.env["product.pricelist"].search([("name", "in", list(names))]):
            pricelists[pricelist.name].append(pricelist)
        errors, groups = [], defaultdict(list)
        for number, row in enumerate(rows, start=2):
            problems = []
            code = (row.get("default_code") or "").strip()
            barcode = (row.get("barcode") or "").strip()
            product = by_code.get(code) if code else by_barcode.get(barcode)
            if not code and not barcode:
                problems.append(self.env._("no default_code or barcode"))
            elif not product:
                problems.append(self.env._("no product %s", code or barcode))
            name = (row.get("pricelist") or "").strip()
            found = pricelists.get(name, [])
            if len(found) != 1:
                problems.append(
                    self.env._("no pricelist named %r", name)
                    if not found
                    else self.env._("several pricelists are named %r", name)
                )
            try:
                price = float((row.get("price") or "").strip())
                if price < 0:
                    problems.append(self.env._("negative price"))
            except ValueError:
                problems.append(self.env._("price %r is not a number", row.get("price")))
                price = None
            try:
                min_quantity = float((row.get("min_quantity") or "0").strip() or 0)
                if min_quantity < 0:
                    problems.append(self.env._("negative min_quantity"))
            except ValueError:
                problems.append(
                    self.env._("min_quantity %r is not a number", row.get("min_quantity"))
                )
                min_quantity = None
            start = (row.get("effective_from") or "").strip()
            if start:
                try:
                    start = fields.Datetime.to_datetime(start)
                except ValueError:
                    problems.append(self.env._("effective_from %r is not a date", start))
            if problems:
                errors.append(
                    self.env._("Line %(n)s: %(problems)s", n=number, problems="; ".join(problems))
                )
                continue
            groups[start or self.effective_from].append(
                {
                    "product_id": product.id,
                    "pricelist_id": found[0].id,
                    "fixed_price": price,
                    "min_quantity": min_quantity,
                }
            )
        return groups, errors

    def action_import(self):
        """Create one draft change per effective date; on any error, nothing at all."""
        self.ensure_one()
        rows = self._rows()
        if not rows:
            raise UserError(self.env._("The file has no price lines."))
        groups, errors = self._parse(rows)
        if errors:
            self.report = "\n".join(errors)
            return {
                "type": "ir.actions.act_window",
                "res_model": self._name,
                "res_id": self.id,
                "view_mode": "form",
                "target": "new",
            }
        self.env["price.change"].check_access("create")
        with workflow_scope("price.change"):  # the source is the workflow's field
            changes = self._create_changes(groups)
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "price_governance.price_change_action"
        )
        action["domain"] = [("id", "in", changes.ids)]
        if len(changes) == 1:
            action.update({"res_id": changes.id, "view_mode": "form", "views": [(False, "form")]})
        return action

    def _create_changes(self, groups):
        return self.env["price.change"].create(
            [
                {
                    "description": self.description
                    or self.env._("Imported from %s", self.filename or "CSV"),
                    "source": "import",
                    "effective_from": start,
                    "line_ids": [(0, 0, vals) for vals in lines],
                }
                for start, lines in groups.items()
            ]
        )
