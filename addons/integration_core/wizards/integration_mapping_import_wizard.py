# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import base64
import csv
import io

from odoo import fields, models
from odoo.exceptions import UserError


class IntegrationMappingImportWizard(models.TransientModel):
    """Import product mappings from CSV: all lines or none, with an error per bad line."""

    _name = "integration.mapping.import.wizard"
    _description = "Import Product Mappings"

    connector_id = fields.Many2one(
        "integration.connector",
        required=True,
        help="The external system whose SKUs the file lists; its existing mappings are updated.",
    )
    file = fields.Binary(
        "CSV file",
        required=True,
        help="Columns: internal_reference (or barcode), external_sku, external_id (optional). "
        "A header line is required.",
    )
    filename = fields.Char()
    error_report = fields.Text(readonly=True)
    imported_count = fields.Integer(readonly=True)

    def _rows(self):
        try:
            text = base64.b64decode(self.file).decode("utf-8-sig")
        except (ValueError, UnicodeDecodeError) as exc:
            raise UserError(self.env._("The file is not a UTF-8 CSV file.")) from exc
        reader = csv.DictReader(io.StringIO(text))
        fields_ = {f.strip().lower() for f in (reader.fieldnames or [])}
        if "external_sku" not in fields_ or not fields_ & {"internal_reference", "barcode"}:
            raise UserError(
                self.env._(
                    "The CSV needs a header with external_sku and internal_reference (or barcode)."
                )
            )
        return [
            {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()} for row in reader
        ]

    def action_import(self):
        self.ensure_one()
        rows = self._rows()
        Product = self.env["product.product"].with_context(active_test=False)
        refs = {r.get("internal_reference") for r in rows if r.get("internal_reference")}
        barcodes = {r.get("barcode") for r in rows if r.get("barcode")}
        by_ref = {p.default_code: p for p in Product.search([("default_code", "in", list(refs))])}
        by_barcode = {p.barcode: p for p in Product.search([("barcode", "in", list(barcodes))])}
        existing = self.connector_id.product_mapping_ids
        taken_skus = {m.external_sku: m.product_id for m in existing}
        taken_products = {m.product_id.id: m for m in existing}
        errors, vals_list, seen_skus, seen_products = [], [], {}, {}
        for line, row in enumerate(rows, start=2):
            product = by_ref.get(row.get("internal_reference")) or by_barcode.get(
                row.get("barcode")
            )
            sku = row.get("external_sku")
            if not product:
                errors.append(
                    self.env._(
                        "Line %(line)s: no product with reference or barcode %(ref)s.",
                        line=line,
                        ref=row.get("internal_reference") or row.get("barcode") or "''",
                    )
                )
                continue
            if not sku:
                errors.append(self.env._("Line %s: external_sku is empty.", line))
                continue
            if sku in seen_skus or (sku in taken_skus and taken_skus[sku] != product):
                errors.append(
                    self.env._(
                        "Line %(line)s: external SKU %(sku)s is used twice.", line=line, sku=sku
                    )
                )
                continue
            if product.id in seen_products:
                errors.append(
                    self.env._(
                        "Line %(line)s: product %(p)s appears twice (line %(other)s).",
                        line=line,
                        p=product.display_name,
                        other=seen_products[product.id],
                    )
                )
                continue
            seen_skus[sku] = line
            seen_products[product.id] = line
            vals_list.append(
                {
                    "product_id": product.id,
                    "external_sku": sku,
                    "external_id": row.get("external_id") or False,
                }
            )
        if errors:
            self.error_report = "\n".join(errors)
            self.imported_count = 0
            return self._reopen()
        Mapping = self.env["integration.product.mapping"]
        for vals in vals_list:
            current = taken_products.get(vals["product_id"])
            if current:
                current.write(
                    {"external_sku": vals["external_sku"], "external_id": vals["external_id"]}
                )
        Mapping.create(
            [
                {**v, "connector_id": self.connector_id.id}
                for v in vals_list
                if v["product_id"] not in taken_products
            ]
        )
        self.error_report = False
        self.imported_count = len(vals_list)
        self.connector_id.message_post(
            body=self.env._(
                "%(count)s product mappings imported from %(file)s.",
                count=len(vals_list),
                file=self.filename or "CSV",
            )
        )
        return self._reopen()

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }
