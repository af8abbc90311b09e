# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError

from ..compat.constraints import sql_constraints
from ..tools import schema as schema_tools


@sql_constraints
class IntegrationSchema(models.Model):
    """A named, versioned JSON Schema shipped by an addon (a file under its data/schemas/):
    every outbound payload that names it is validated against it before it is queued."""

    _name = "integration.schema"
    _description = "Integration Payload Schema"
    _order = "name, version desc"

    name = fields.Char(required=True, help="e.g. price, stock, promotion")
    version = fields.Integer(
        required=True,
        default=1,
        help="Raised when the layout changes, so receivers know which layout a message follows.",
    )
    file_path = fields.Char(
        required=True, help="Path of the schema file, e.g. integration_core/data/schemas/x.json"
    )
    description = fields.Text(help="What messages following this schema carry.")
    content = fields.Text(compute="_compute_content", string="JSON Schema")

    _sql_constraints = [
        ("name_version_uniq", "unique(name, version)", "This schema version already exists.")
    ]

    @api.depends("name", "version")
    def _compute_display_name(self):
        for schema in self:
            schema.display_name = f"{schema.name}/v{schema.version}"

    @api.depends("file_path")
    def _compute_content(self):
        for schema in self:
            schema.content = self._read_file(schema.file_path) if schema.file_path else False

    @api.model
    @tools.ormcache("path")
    def _read_file(self, path):
        with tools.file_open(path) as handle:
            return handle.read()

    @api.constrains("file_path")
    def _check_file(self):
        for schema in self:
            try:
                schema_tools.check_schema(self._read_file(schema.file_path))
            except Exception as exc:  # noqa: BLE001 - any failure means an unusable schema
                raise ValidationError(
                    self.env._(
                        "Schema %(schema)s: %(path)s is not a readable JSON Schema (%(error)s).",
                        schema=schema.display_name,
                        path=schema.file_path,
                        error=exc,
                    )
                ) from exc

    @api.model
    def _lookup(self, ref):
        """The schema for "name" (latest version) or ("name", version)."""
        name, version = (ref, None) if isinstance(ref, str) else tuple(ref)
        domain = [("name", "=", name)] + ([("version", "=", version)] if version else [])
        schema = self.sudo().search(domain, limit=1)
        if not schema:
            raise ValidationError(self.env._("No payload schema %(ref)s is installed.", ref=ref))
        return schema

    def _errors(self, payload):
        self.ensure_one()
        return schema_tools.validation_errors(self._read_file(self.file_path), payload)
