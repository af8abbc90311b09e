# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""GET /integration/openapi.json: the OpenAPI 3.1 document of what this server serves."""

import json

from odoo import http
from odoo.http import request

from ..tools import openapi


def openapi_document(env):
    """The document for this database: its installed schema files and event types, the
    endpoints its installed addons serve (tools/openapi.py builds it; no HTTP request needed,
    scripts/export_openapi.py calls this too)."""
    env = env(su=True)
    schemas = [
        {"name": schema.name, "version": schema.version, "content": schema.content}
        for schema in env["integration.schema"].search([])
    ]
    event_types = [
        {
            "code": event_type.code,
            "name": event_type.name,
            "description": event_type.description or "",
            "domain": event_type.domain_id.code,
            "schema_name": event_type.schema_id.name,
            "schema_version": event_type.schema_id.version,
        }
        for event_type in env["integration.event.type"].with_context(lang="en_US").search([])
    ]
    return openapi.build_document(schemas, event_types, paths=served_paths(env))


def served_paths(env):
    """The paths of every route the installed addons serve, as OpenAPI writes them."""
    IrHttp = env["ir.http"]
    modules = sorted(env.registry._init_modules)
    rules = IrHttp._generate_routing_rules(modules, converters=IrHttp._get_converters())
    return {openapi.route_to_path(url) for url, _endpoint in rules}


class IntegrationOpenApiController(http.Controller):
    @http.route(
        "/integration/openapi.json",
        type="http",
        auth="none",
        methods=["GET"],
        save_session=False,
    )
    def openapi_document(self):
        document = openapi_document(request.env)
        return request.make_response(
            json.dumps(document), headers=[("Content-Type", "application/json")]
        )
