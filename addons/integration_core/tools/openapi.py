"""The OpenAPI 3.1 document of the suite's HTTP endpoints, built from the shipped JSON Schemas.

Plain Python, no ORM. The caller hands over the schema files (name, version, text), the
inbound event types and the paths its server serves; every JSON Schema file becomes a
component as it is, its ``$defs`` become components of their own and every ``$ref`` in it
is rewritten to point into ``#/components/schemas``, so the document resolves as one file
(a ``$ref`` that points nowhere is a ``ValueError`` here, never a document that tools cannot
load).

    >>> components = schema_components([{"name": "a", "version": 1, "content":
    ...     '{"$id": "urn:a", "$defs": {"n": {"type": "number"}}, "items": {"$ref": "#/$defs/n"}}'}])
    >>> sorted(components), components["AV1"]["items"]
    (['AV1', 'AV1N'], {'$ref': '#/components/schemas/AV1N'})
    >>> schema_components([{"name": "b", "version": 1, "content": '{"$ref": "#/$defs/x"}'}])
    Traceback (most recent call last):
    ...
    ValueError: BV1: $ref '#/$defs/x' points to no $defs entry.
"""

import copy
import json
import re

OPENAPI_VERSION = "3.1.0"
COMPONENTS = "#/components/schemas/"
ENVELOPE_SCHEMA = "inbound_envelope"
# Keywords whose values are data, not schemas: a "$ref" key inside them is not a reference.
_DATA_KEYWORDS = {"const", "enum", "default", "examples", "example"}
_ROUTE_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")

EVENTS_PATH = "/integration/{code}/events"
DOCUMENT_PATH = "/integration/openapi.json"
METRICS_PATH = "/integration/metrics"
ELIGIBILITY_PATH = "/integration/{code}/promotion/eligibility"

# The error codes of the inbound endpoint, by HTTP status.
INBOUND_ERRORS = {
    "400": (["invalid_json"], "The body is not JSON (or not UTF-8)."),
    "401": (
        ["unauthorized"],
        "Missing or wrong signature, timestamp or token; also an unknown or disabled connector "
        "code (nothing is told about a connector before the caller is authenticated).",
    ),
    "403": (
        ["domain_not_allowed", "not_system_of_record"],
        "The connector may not send this data domain, or is not its system of record.",
    ),
    "413": (["body_too_large"], "The body is over the configured limit."),
    "415": (
        ["unsupported_media_type"],
        "The Content-Type is neither application/json nor application/cloudevents+json "
        "(optionally with charset=utf-8).",
    ),
    "422": (
        ["invalid_envelope", "unknown_event_type", "invalid_payload"],
        "The envelope or the payload does not match its schema, or the event type is unknown.",
    ),
    "423": (
        ["connector_frozen"],
        "The connector is frozen in Odoo (answered only to an authenticated caller).",
    ),
}
# Every other method is answered 405 method_not_allowed with "Allow: POST".
NOT_ALLOWED_METHODS = ("get", "put", "patch", "delete")


def camel(name):
    """``price_proposal`` or ``stock.adjusted`` -> ``PriceProposal``, ``StockAdjusted``."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name))


def component_name(name, version):
    """``price_proposal`` version 1 -> ``PriceProposalV1``."""
    return f"{camel(name)}V{version}"


def route_to_path(route):
    """A werkzeug route as OpenAPI writes it: ``/x/<string:code>/y`` -> ``/x/{code}/y``."""
    return _ROUTE_ARGUMENT.sub(r"{\1}", route)


# ---------------------------------------------------------------------- schema components


def schema_components(schemas):
    """Components for JSON Schema files given as ``{"name", "version", "content"}`` dicts:
    one per file (named by ``component_name``), one per entry of its ``$defs`` (the file's
    name + the entry's), every ``$ref`` pointing into ``#/components/schemas``."""
    parsed = {}
    by_id = {}
    for schema in schemas:
        name = component_name(schema["name"], schema["version"])
        document = json.loads(schema["content"])
        parsed[name] = document
        if document.get("$id"):
            by_id[document["$id"]] = name
    components = {}
    for name, document in parsed.items():
        for key, value in _hoisted(name, document, by_id).items():
            if key in components:
                raise ValueError(f"Two schemas give component {key}: rename a $defs entry.")
            components[key] = value
    return components


def _hoisted(name, document, by_id):
    document = copy.deepcopy(document)
    for keyword in ("$schema", "$id"):
        document.pop(keyword, None)
    definitions = {**document.pop("definitions", {}), **document.pop("$defs", {})}
    found = {name: document}
    for key, definition in definitions.items():
        found[name + camel(key)] = definition
    for value in found.values():
        _rewrite_refs(value, lambda ref: _resolve(ref, name, definitions, by_id))
    return found


def _resolve(ref, name, definitions, by_id):
    """Where a ``$ref`` of schema ``name`` points in the document."""
    base, _hash, fragment = ref.partition("#")
    if base:
        if base not in by_id:
            raise ValueError(f"{name}: $ref {ref!r} names no shipped schema.")
        name, definitions = by_id[base], None
    if not fragment:
        return COMPONENTS + name
    parts = fragment.split("/")
    if parts[0] != "":
        raise ValueError(f"{name}: $ref {ref!r} is not a JSON pointer.")
    if len(parts) > 2 and parts[1] in ("$defs", "definitions"):
        key = parts[2]
        if definitions is not None and key not in definitions:
            raise ValueError(f"{name}: $ref {ref!r} points to no $defs entry.")
        return "/".join([COMPONENTS + name + camel(key), *parts[3:]])
    return COMPONENTS + name + fragment


def _rewrite_refs(node, resolve):
    if isinstance(node, list):
        for item in node:
            _rewrite_refs(item, resolve)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                node[key] = resolve(value)
            elif key not in _DATA_KEYWORDS:
                _rewrite_refs(value, resolve)


def unresolved_refs(document):
    """The ``$ref`` values of a document that point to nothing in it ([] when it resolves)."""
    missing = []

    def visit(node):
        if isinstance(node, list):
            for item in node:
                visit(item)
        elif isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref" and isinstance(value, str) and not _points_to(document, value):
                    missing.append(value)
                elif key not in _DATA_KEYWORDS:
                    visit(value)

    visit(document)
    return missing


def _points_to(document, ref):
    if not ref.startswith("#"):
        return False
    node = document
    for part in ref[1:].split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True


# ---------------------------------------------------------------------- the document


def build_document(schemas, event_types, paths=None):
    """The OpenAPI 3.1 document.

    ``schemas``: the installed JSON Schema files, ``{"name", "version", "content"}`` each;
    ``event_types``: ``{"code", "name", "description", "domain", "schema_name",
    "schema_version"}`` each; ``paths``: the OpenAPI paths this server serves (None: all
    the suite knows), so a server without promotion_sync does not describe its endpoint.
    """
    components = schema_components(schemas)
    latest = {}
    for schema in schemas:
        latest[schema["name"]] = max(latest.get(schema["name"], 0), schema["version"])
    envelope = COMPONENTS + component_name(ENVELOPE_SCHEMA, latest[ENVELOPE_SCHEMA])
    components.update(_event_components(envelope, event_types))
    components.update(_error_components())
    components.update(_eligibility_components())
    path_items = {
        EVENTS_PATH: _events_path_item(),
        DOCUMENT_PATH: _document_path_item(),
        METRICS_PATH: _metrics_path_item(),
        ELIGIBILITY_PATH: _eligibility_path_item(),
    }
    document = {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Governed commerce sync",
            "version": "1.0.0",
            "description": "The HTTP endpoints of the governed commerce sync addons: external "
            "systems (WMS, pricing and promotion engines) push events to Odoo, Prometheus "
            "scrapes its metrics, a shop asks which approved promotions a cart gets. "
            "Request and payload schemas are the JSON Schema files the addons ship.",
        },
        "paths": {
            path: item for path, item in path_items.items() if paths is None or path in paths
        },
        "components": {"schemas": components, "securitySchemes": _security_schemes()},
    }
    missing = unresolved_refs(document)
    if missing:
        raise ValueError(f"The OpenAPI document has $refs to nothing: {sorted(set(missing))}")
    return document


def _event_components(envelope, event_types):
    """One component per event type (the envelope with that type and its payload schema),
    and ``InboundEvent``: one of them, chosen by ``event_type``."""
    components, mapping = {}, {}
    for event_type in sorted(event_types, key=lambda t: t["code"]):
        name = camel(event_type["code"]) + "Event"
        payload = component_name(event_type["schema_name"], event_type["schema_version"])
        components[name] = {
            "title": event_type["code"],
            "description": event_type["description"] or event_type["name"],
            "allOf": [{"$ref": envelope}],
            "required": ["event_type"],
            "properties": {
                "event_type": {"const": event_type["code"]},
                "domain": {"const": event_type["domain"]},
                "payload": {"$ref": COMPONENTS + payload},
            },
        }
        mapping[event_type["code"]] = COMPONENTS + name
    components["CloudEvent"] = {
        "title": "CloudEvent",
        "description": "The same event as a CloudEvent 1.0 in structured JSON mode "
        "(https://cloudevents.io): id, type, time and data are read as event_id, event_type, "
        "occurred_at and payload, then checked as the envelope is.",
        "type": "object",
        "required": ["specversion", "id", "source", "type"],
        "properties": {
            "specversion": {"const": "1.0"},
            "id": {"type": "string", "minLength": 1},
            "source": {"type": "string", "minLength": 1},
            "type": {"type": "string", "minLength": 1},
            "time": {"type": "string", "format": "date-time"},
            "datacontenttype": {"const": "application/json"},
            "data": {"type": "object"},
        },
    }
    if not mapping:
        components["InboundEvent"] = {"$ref": envelope}
        return components
    components["InboundEvent"] = {
        "description": "The envelope, with the payload schema of its event type.",
        "oneOf": [{"$ref": ref} for ref in mapping.values()],
        "discriminator": {"propertyName": "event_type", "mapping": mapping},
    }
    return components


def _error_components():
    components = {
        "Error": {
            "type": "object",
            "required": ["error", "message"],
            "additionalProperties": False,
            "properties": {
                "error": {"type": "string", "description": "A stable code, see each status."},
                "message": {"type": "string", "description": "What is wrong, in words."},
                "details": {"type": "array", "items": {"type": "string"}},
            },
        },
        "Accepted": {
            "type": "object",
            "required": ["status", "id"],
            "additionalProperties": False,
            "properties": {"status": {"const": "accepted"}, "id": {"type": "integer"}},
        },
        "Duplicate": {
            "type": "object",
            "required": ["status", "id", "duplicate"],
            "additionalProperties": False,
            "properties": {
                "status": {"const": "accepted"},
                "id": {"type": "integer"},
                "duplicate": {"const": True},
                "state": {"type": "string", "description": "Where the event is now."},
            },
        },
    }
    codes_by_status = {status: codes for status, (codes, _text) in INBOUND_ERRORS.items()}
    codes_by_status["405"] = ["method_not_allowed"]
    for status, codes in codes_by_status.items():
        components[f"Error{status}"] = {
            "allOf": [{"$ref": COMPONENTS + "Error"}],
            "properties": {"error": {"enum": codes}},
        }
    return components


def _json_response(description, ref, headers=None):
    response = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": COMPONENTS + ref}}},
    }
    if headers:
        response["headers"] = headers
    return response


def _events_path_item():
    responses = {
        "202": _json_response("Accepted and stored; processed later.", "Accepted"),
        "200": _json_response(
            "This event id was accepted before: the original outcome, nothing changed.",
            "Duplicate",
        ),
    }
    for status, (_codes, description) in INBOUND_ERRORS.items():
        responses[status] = _json_response(description, f"Error{status}")
    item = {
        "parameters": [
            {
                "name": "code",
                "in": "path",
                "required": True,
                "description": "The connector's code in Odoo.",
                "schema": {"type": "string", "minLength": 1},
            }
        ],
        "post": {
            "operationId": "sendInboundEvent",
            "summary": "Send one event",
            "description": "Stored at once, then processed by a Scheduled Action. Connectors "
            "set to Standard Webhooks (https://www.standardwebhooks.com) sign as its libraries "
            "do: webhook-id, webhook-timestamp (Unix seconds close to the server's clock) and "
            "webhook-signature = 'v1,' + base64(HMAC-SHA256(key, id + '.' + timestamp + '.' + "
            "body)), the key being the base64 after 'whsec_' of the inbound secret. Legacy HMAC "
            "connectors sign: X-Signature = 'sha256=' + hex(HMAC-SHA256(secret, X-Timestamp + "
            "'.' + body)). Token connectors send Authorization: Bearer <inbound secret>.",
            "security": [
                {"webhookId": [], "webhookTimestamp": [], "webhookSignature": []},
                {"hmacSignature": [], "hmacTimestamp": []},
                {"connectorToken": []},
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": COMPONENTS + "InboundEvent"}},
                    "application/cloudevents+json": {"schema": {"$ref": COMPONENTS + "CloudEvent"}},
                },
            },
            "responses": responses,
        },
    }
    for method in NOT_ALLOWED_METHODS:
        item[method] = {
            "operationId": f"inboundEvents{method.title()}NotAllowed",
            "summary": "Not allowed: events are sent with POST",
            "responses": {
                "405": _json_response(
                    "Only POST is allowed.",
                    "Error405",
                    {"Allow": {"required": True, "schema": {"const": "POST"}}},
                )
            },
        }
    return item


def _document_path_item():
    return {
        "get": {
            "operationId": "getOpenApiDocument",
            "summary": "This document",
            "security": [],
            "responses": {
                "200": {
                    "description": "The OpenAPI document of what this server serves.",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["openapi", "info", "paths", "components"],
                                "properties": {"openapi": {"const": OPENAPI_VERSION}},
                            }
                        }
                    },
                }
            },
        }
    }


def _plain(description):
    return {"description": description, "content": {"text/plain": {"schema": {"type": "string"}}}}


def _metrics_path_item():
    return {
        "get": {
            "operationId": "getMetrics",
            "summary": "Prometheus metrics",
            "description": "Prometheus text exposition format (version 0.0.4). The token is "
            "set or generated in Settings > Integration; Odoo keeps only its salted hash.",
            "security": [{"metricsToken": []}],
            "responses": {
                "200": _plain("The metrics."),
                "401": _plain("Missing or wrong token."),
                "403": _plain("Metrics are disabled: no token is set."),
            },
        }
    }


def _eligibility_components():
    return {
        "Cart": {
            "type": "object",
            "required": ["lines"],
            "properties": {
                "lines": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["sku", "qty", "price"],
                        "properties": {
                            "sku": {"type": "string", "minLength": 1},
                            "qty": {
                                "type": "number",
                                "exclusiveMinimum": 0,
                                "maximum": 1000000,
                            },
                            "price": {
                                "type": "number",
                                "minimum": 0,
                                "maximum": 1000000000,
                                "description": "Per unit, untaxed.",
                            },
                        },
                    },
                },
                "codes": {
                    "type": ["array", "null"],
                    "items": {"type": "string"},
                    "description": "Promotion codes the customer entered.",
                },
            },
        },
        "Eligibility": {
            "type": "object",
            "required": ["programs", "discount_total", "source"],
            "properties": {
                "programs": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["program_id", "version", "discount", "free_skus"],
                        "properties": {
                            "program_id": {
                                "type": ["integer", "string"],
                                "description": "Odoo's program id; the engine's own id when "
                                "the source is engine.",
                            },
                            "version": {"type": ["integer", "string", "null"]},
                            "name": {"type": ["string", "null"]},
                            "combinable": {"type": "boolean"},
                            "discount": {"type": "number"},
                            "reward_type": {"type": ["string", "null"]},
                            "free_skus": {"type": "array", "items": {"type": "string"}},
                            "free_products": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["sku", "qty"],
                                    "properties": {
                                        "sku": {"type": "string"},
                                        "qty": {"type": "number"},
                                    },
                                },
                            },
                        },
                    },
                },
                "discount_total": {"type": "number"},
                "source": {
                    "enum": ["engine", "snapshot", "last_known_snapshot", "no_discount", "allow"],
                    "description": "Who answered: the promotion engine that owns promotions, "
                    "Odoo's approved snapshots, or the fallback policy while the engine is "
                    "unavailable (allow: the calling system keeps its own promotions).",
                },
                "engine_unavailable": {
                    "type": "string",
                    "description": "The promotion engine that is down, when one is.",
                },
                "fallback_reason": {
                    "type": ["string", "null"],
                    "description": "Why the engine did not answer: frozen, archived, "
                    "circuit_open, environment, transport, timeout, network, remote_error, "
                    "auth, rejected, invalid_answer.",
                },
            },
        },
        "EligibilityError400": {
            "allOf": [{"$ref": COMPONENTS + "Error"}],
            "properties": {"error": {"enum": ["invalid_json", "invalid_cart"]}},
        },
    }


# What the eligibility endpoint answers besides 200, with the inbound endpoint's components.
ELIGIBILITY_ERRORS = {
    "400": ("EligibilityError400", "The body is not strict JSON, or not a cart."),
    "401": ("Error401", INBOUND_ERRORS["401"][1]),
    "403": ("Error403", "The connector may not exchange promotion data."),
    "405": ("Error405", "Only POST is accepted."),
    "413": ("Error413", INBOUND_ERRORS["413"][1]),
    "415": ("Error415", "The Content-Type is not application/json."),
    "423": ("Error423", INBOUND_ERRORS["423"][1]),
}


def _eligibility_path_item():
    responses = {"200": _json_response("The promotions the cart gets.", "Eligibility")}
    for status, (ref, description) in ELIGIBILITY_ERRORS.items():
        responses[status] = _json_response(description, ref)
    item = {
        "parameters": [
            {
                "name": "code",
                "in": "path",
                "required": True,
                "description": "The calling system's connector code in Odoo.",
                "schema": {"type": "string", "minLength": 1},
            }
        ],
        "post": {
            "operationId": "getPromotionEligibility",
            "summary": "Approved promotions a cart gets",
            "description": "Answered by the promotion engine when one owns promotions (with "
            "a fallback while it is unavailable or slow), else from the approved snapshots "
            "only, never from rules waiting for approval (promotion_sync). The calling system (a checkout server) "
            "authenticates as its connector sends events: Standard Webhooks or legacy HMAC "
            "signature, or bearer token, with the connector's inbound secret; the connector "
            "must be allowed promotion data.",
            "security": [
                {"webhookId": [], "webhookTimestamp": [], "webhookSignature": []},
                {"hmacSignature": [], "hmacTimestamp": []},
                {"connectorToken": []},
            ],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": COMPONENTS + "Cart"}}},
            },
            "responses": responses,
        },
    }
    for method in NOT_ALLOWED_METHODS:
        item[method] = {
            "operationId": f"promotionEligibility{method.title()}NotAllowed",
            "summary": "Not allowed: carts are sent with POST",
            "responses": {
                "405": _json_response(
                    "Only POST is allowed.",
                    "Error405",
                    {"Allow": {"required": True, "schema": {"const": "POST"}}},
                )
            },
        }
    return item


def _security_schemes():
    return {
        "webhookId": {
            "type": "apiKey",
            "in": "header",
            "name": "webhook-id",
            "description": "Standard Webhooks: the message's id (printable ASCII).",
        },
        "webhookTimestamp": {
            "type": "apiKey",
            "in": "header",
            "name": "webhook-timestamp",
            "description": "Standard Webhooks: Unix time in seconds, within the tolerance.",
        },
        "webhookSignature": {
            "type": "apiKey",
            "in": "header",
            "name": "webhook-signature",
            "description": "Standard Webhooks: 'v1,' + base64(HMAC-SHA256(key, id + '.' + "
            "timestamp + '.' + body)); several, space separated, while a secret rotates.",
        },
        "hmacSignature": {
            "type": "apiKey",
            "in": "header",
            "name": "X-Signature",
            "description": "'sha256=' + hex(HMAC-SHA256(secret, X-Timestamp + '.' + body)).",
        },
        "hmacTimestamp": {
            "type": "apiKey",
            "in": "header",
            "name": "X-Timestamp",
            "description": "Unix time in seconds, within the configured tolerance.",
        },
        "connectorToken": {
            "type": "http",
            "scheme": "bearer",
            "description": "The connector's inbound secret, for connectors set to token auth.",
        },
        "metricsToken": {"type": "http", "scheme": "bearer", "description": "The metrics token."},
    }
