"""The OpenAPI document is a contract tools can read, and the served endpoints keep it.

The document Odoo serves is validated as OpenAPI 3.1 (openapi-spec-validator), every `$ref`
in it is resolved (referencing), then schemathesis generates requests from it against the
real endpoints (signed like a connector signs them), and a fuzzer posts random JSON bodies:
never a 5xx, only documented statuses and bodies, and nothing stored for a refused body.
Bounded and derandomized: the same examples on every run.
"""

import collections
import doctest
import json
import logging
import unittest

import openapi_spec_validator
import referencing
import referencing.exceptions
import referencing.jsonschema
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from odoo.tests import HttpCase, tagged
from odoo.tools import SQL, file_open, mute_logger

from ..compat.testing import outside_clients
from ..controllers.openapi import served_paths
from ..tools import openapi, signing

_logger = logging.getLogger(__name__)
SECURITY_LOGGER = "odoo.addons.integration_core.inbound.security"
SUITE_ADDONS = ("integration_core", "price_governance", "promotion_sync", "stock_publication")
REPOSITORY_COPY = "integration_core/static/openapi/openapi.json"
CODE, SECRET = "t-contract", "contract-secret"
METRICS_TOKEN = "contract-metrics-token-of-32-chars-at-least"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = 250  # per generation mode of the inbound operation; the whole file runs in ~2 min


def bounded(max_examples):
    """Hypothesis settings for a bounded, repeatable run: no example database, no shrinking
    (failures are collected and reported together instead)."""
    return settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )


class HmacSigner(requests.auth.AuthBase):
    """Signs a request as a connector does (tools/signing.py), over the exact bytes sent:
    requests calls it once the generated body is serialized."""

    def __init__(self, secret):
        self.secret = secret

    def __call__(self, prepared):
        body = prepared.body or b""
        body = body.encode() if isinstance(body, str) else body
        prepared.headers.update(signing.signature_headers(self.secret, body))
        return prepared


def fresh_event_ids(case, n):
    """Generated event ids are short and repeat, and a repeat is answered as a duplicate
    without storing anything: three cases in four get an id of their own."""
    body = case.body
    if n % 4 and isinstance(body, dict) and isinstance(body.get("event_id"), str):
        body["event_id"] = f"{body['event_id'][:180]}#{n}"


def all_refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            elif key not in ("const", "enum", "default", "examples"):
                yield from all_refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from all_refs(item)


def strict_json(raw):
    """(True, value) when the body is JSON as RFC 8259 defines it (UTF-8, no NaN or
    Infinity, no nesting deeper than Python follows), else (False, None)."""

    def refuse(constant):
        raise ValueError(constant)

    try:
        return True, json.loads(raw.decode("utf-8"), parse_constant=refuse)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return False, None


class TestOpenApiBuilder(unittest.TestCase):
    def test_doctests(self):
        result = doctest.testmod(openapi)
        self.assertGreater(result.attempted, 0)
        self.assertEqual(result.failed, 0)

    def test_refs_between_files_and_to_nowhere(self):
        files = [
            {"name": "unit", "version": 2, "content": '{"$id": "urn:unit", "type": "string"}'},
            {
                "name": "line",
                "version": 1,
                "content": json.dumps(
                    {"properties": {"unit": {"$ref": "urn:unit"}, "next": {"$ref": "#"}}}
                ),
            },
        ]
        line = openapi.schema_components(files)["LineV1"]["properties"]
        self.assertEqual(line["unit"], {"$ref": "#/components/schemas/UnitV2"})
        self.assertEqual(line["next"], {"$ref": "#/components/schemas/LineV1"})
        files[1]["content"] = '{"$ref": "urn:elsewhere"}'
        with self.assertRaisesRegex(ValueError, "names no shipped schema"):
            openapi.schema_components(files)
        envelope = {"name": "inbound_envelope", "version": 1, "content": '{"type": "object"}'}
        event_type = {
            "code": "a.b",
            "name": "A",
            "description": "",
            "domain": "d",
            "schema_name": "missing",
            "schema_version": 1,
        }
        with self.assertRaisesRegex(ValueError, "MissingV1"):
            openapi.build_document([envelope], [event_type])


@tagged("post_install", "-at_install")
class TestOpenApiContract(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        event_types = cls.env["integration.event.type"].search([])
        domains = event_types.domain_id
        cls.connector = cls.env["integration.connector"].create(
            {
                "name": "Contract test engine",
                "code": CODE,
                "kind": "wms",
                "inbound_enabled": True,
                "inbound_auth": "hmac",
                "allowed_domain_ids": [(6, 0, domains.ids)],
            }
        )
        cls.connector.inbound_secret_input = SECRET
        domains.owner_connector_id = cls.connector
        cls.env["res.config.settings"].create({"integration_metrics_token": METRICS_TOKEN})

    def served(self):
        response = self.url_open("/integration/openapi.json")
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.headers["Content-Type"], "application/json")
        return response.json()

    def assertRefsResolve(self, document):
        resource = referencing.Resource.from_contents(
            document, default_specification=referencing.jsonschema.DRAFT202012
        )
        resolver = referencing.Registry().with_resource("urn:doc", resource).resolver("urn:doc")
        refs = set(all_refs(document))
        self.assertTrue(refs)
        for ref in refs:
            resolver.lookup(ref)

    # ------------------------------------------------------------------ the document

    def test_served_document_is_valid_openapi_and_resolves(self):
        document = self.served()
        openapi_spec_validator.validate(document)
        self.assertRefsResolve(document)
        self.assertEqual(openapi.unresolved_refs(document), [])
        for name, schema in document["components"]["schemas"].items():
            with self.subTest(name):
                Draft202012Validator.check_schema(schema)

    def test_a_dangling_ref_is_caught(self):
        # Issue #16: price_proposal's "#/$defs/price" copied as it was under components.
        document = self.served()
        proposal = document["components"]["schemas"]["PriceProposalV1"]
        proposal["oneOf"][0]["$ref"] = "#/$defs/price"
        self.assertEqual(openapi.unresolved_refs(document), ["#/$defs/price"])
        with self.assertRaises(referencing.exceptions.Unresolvable):
            self.assertRefsResolve(document)
        with self.assertRaises(referencing.exceptions.Unresolvable):
            openapi_spec_validator.validate(document)
        broken = {"name": "broken", "version": 1, "content": '{"$ref": "#/$defs/missing"}'}
        with self.assertRaisesRegex(ValueError, "points to no \\$defs entry"):
            openapi.schema_components([broken])

    def test_schemas_are_the_shipped_files_with_their_refs_rewritten(self):
        components = self.served()["components"]["schemas"]
        for schema in self.env["integration.schema"].search([]):
            shipped = json.loads(schema.content)
            component = components[openapi.component_name(schema.name, schema.version)]
            self.assertEqual(component.get("title"), shipped.get("title"))
            self.assertNotIn("$defs", component)
            self.assertNotIn("$id", component)
        self.assertEqual(
            components["PriceProposalV1"]["oneOf"][0],
            {"$ref": "#/components/schemas/PriceProposalV1Price"},
        )

    def test_every_event_type_is_one_of_the_request_bodies(self):
        document = self.served()
        event = document["components"]["schemas"]["InboundEvent"]
        mapping = event["discriminator"]["mapping"]
        for event_type in self.env["integration.event.type"].search([]):
            with self.subTest(event_type.code):
                variant = document["components"]["schemas"][mapping[event_type.code].split("/")[-1]]
                self.assertEqual(variant["properties"]["event_type"], {"const": event_type.code})
                payload = openapi.component_name(
                    event_type.schema_id.name, event_type.schema_id.version
                )
                self.assertEqual(
                    variant["properties"]["payload"]["$ref"], openapi.COMPONENTS + payload
                )

    def test_every_route_of_the_suite_is_documented(self):
        IrHttp = self.env["ir.http"]
        rules = IrHttp._generate_routing_rules(
            sorted(self.env.registry._init_modules), converters=IrHttp._get_converters()
        )
        paths = self.served()["paths"]
        suite_routes = [
            (openapi.route_to_path(url), endpoint.routing["methods"])
            for url, endpoint in rules
            if endpoint.__module__.startswith(tuple(f"odoo.addons.{a}." for a in SUITE_ADDONS))
        ]
        self.assertGreaterEqual(len(suite_routes), 3)
        for path, methods in suite_routes:
            with self.subTest(path):
                self.assertIn(path, paths, f"{path} is served but not in the OpenAPI document")
                for method in methods or ["GET", "POST"]:
                    self.assertIn(method.lower(), paths[path])
        self.assertLessEqual(set(paths), served_paths(self.env), "no path that is not served")

    def test_document_matches_the_repository_copy(self):
        served = self.served()
        with file_open(REPOSITORY_COPY) as handle:
            kept = json.load(handle)
        # A database without some suite addons serves fewer paths; the rest must be the same.
        kept["paths"] = {
            path: item for path, item in kept["paths"].items() if path in served["paths"]
        }
        self.assertEqual(
            served,
            kept,
            f"{REPOSITORY_COPY} is out of date: run scripts/export_openapi.py",
        )

    # ------------------------------------------------------------------ schemathesis

    def schema(self):
        with outside_clients(self):  # schemathesis loads it with a session of its own
            return schemathesis.openapi.from_url(f"{self.base_url()}/integration/openapi.json")

    def run_schemathesis(self, strategy, examples, prepare=None, **call_kwargs):
        """Call the endpoint with each generated case (after ``prepare(case, n)``) and run
        the contract checks on the answer; return the failures, one line per distinct
        (checks, status)."""
        failures = {}
        statuses = collections.Counter()

        @bounded(examples)
        @given(case=strategy)
        def check(case):
            if prepare:
                prepare(case, statuses.total())
            response = case.call(base_url=self.base_url(), session=self.opener, **call_kwargs)
            statuses[f"{case.method} {response.status_code}"] += 1
            try:
                case.validate_response(response, checks=CHECKS)
            except FailureGroup as group:
                titles = sorted({failure.title for failure in group.exceptions})
                key = (response.status_code, tuple(titles))
                failures.setdefault(key, f"{response.status_code} {titles}: {group}"[:1500])

        with mute_logger(SECURITY_LOGGER, "odoo.http"):
            check()
        _logger.info("schemathesis answers: %s", dict(statuses))
        self.assertTrue(statuses, "cases were generated")
        return list(failures.values())

    def assertPassed(self, failures):
        if failures:
            self.fail(f"{len(failures)} kinds of contract failures:\n\n" + "\n\n".join(failures))

    def test_schemathesis_inbound_events(self):
        operation = self.schema()["/integration/{code}/events"]["POST"]
        known = {"code": CODE}
        strategy = st.one_of(
            operation.as_strategy(schemathesis.GenerationMode.POSITIVE, path_parameters=known),
            operation.as_strategy(schemathesis.GenerationMode.NEGATIVE, path_parameters=known),
        )
        before = self.count_events()
        failures = self.run_schemathesis(
            strategy, 2 * EXAMPLES, prepare=fresh_event_ids, auth=HmacSigner(SECRET)
        )
        self.assertPassed(failures)
        self.assertGreater(self.count_events(), before, "generated valid events were stored")

    def test_schemathesis_inbound_unknown_connectors_and_other_methods(self):
        schema = self.schema()
        path = schema["/integration/{code}/events"]
        strategy = st.one_of(
            path["POST"].as_strategy(schemathesis.GenerationMode.POSITIVE),
            *(path[method].as_strategy() for method in ("GET", "PUT", "PATCH", "DELETE")),
        )
        failures = self.run_schemathesis(strategy, 60, auth=HmacSigner(SECRET))
        self.assertPassed(failures)

    def test_schemathesis_document_and_metrics(self):
        schema = self.schema()
        document = schema["/integration/openapi.json"]["GET"].as_strategy()
        self.assertPassed(self.run_schemathesis(document, 5))
        metrics = schema["/integration/metrics"]["GET"]
        for headers in ({"Authorization": f"Bearer {METRICS_TOKEN}"}, {}):
            with self.subTest(headers=headers):
                failures = self.run_schemathesis(metrics.as_strategy(), 20, headers=headers)
                self.assertPassed(failures)

    def test_schemathesis_promotion_eligibility(self):
        schema = self.schema()
        if openapi.ELIGIBILITY_PATH not in schema.raw_schema["paths"]:
            self.skipTest("promotion_sync is not installed")
        promotion = self.env.ref("integration_core.domain_promotion")
        self.connector.allowed_domain_ids = [(4, promotion.id)]
        operation = schema[openapi.ELIGIBILITY_PATH]["POST"]
        known = {"code": CODE}
        strategy = st.one_of(
            operation.as_strategy(schemathesis.GenerationMode.POSITIVE, path_parameters=known),
            operation.as_strategy(schemathesis.GenerationMode.NEGATIVE, path_parameters=known),
            operation.as_strategy(schemathesis.GenerationMode.POSITIVE),  # unknown callers
        )
        failures = self.run_schemathesis(strategy, 150, auth=HmacSigner(SECRET))
        self.assertPassed(failures)

    # ------------------------------------------------------------------ fuzzer

    def count_events(self):
        self.env.flush_all()
        self.env.cr.execute(SQL("SELECT count(*) FROM integration_inbound_event"))
        return self.env.cr.fetchone()[0]

    def post_signed(self, raw):
        headers = {"Content-Type": "application/json", **signing.signature_headers(SECRET, raw)}
        # Not url_open: it sends a GET when the body is empty.
        url = f"{self.base_url()}/integration/{CODE}/events"
        return self.opener.post(url, data=raw, headers=headers, timeout=30)

    def test_fuzz_random_bodies(self):
        """Random JSON (and not quite JSON) bodies, signed: only documented answers, and no
        row for a body the document's request schema refuses."""
        document = self.served()
        operation = document["paths"]["/integration/{code}/events"]["post"]
        components = {"components": document["components"]}
        request_schema = Draft202012Validator(
            {**components, "$ref": "#/components/schemas/InboundEvent"}
        )

        def response_validator(status):
            ref = operation["responses"][status]["content"]["application/json"]["schema"]["$ref"]
            return Draft202012Validator({**components, "$ref": ref})

        problems = []

        def exercise(raw):
            parsed, body = strict_json(raw)
            acceptable = parsed and request_schema.is_valid(body)
            before = self.count_events()
            response = self.post_signed(raw)
            written = self.count_events() - before
            status = str(response.status_code)
            problem = None
            if status not in operation["responses"]:
                problem = f"undocumented status {status}"
            elif not acceptable and not status.startswith("4"):
                problem = f"{status} for a body the schema refuses"
            elif written != (1 if status == "202" else 0):
                problem = f"{written} rows written with answer {status}"
            else:
                try:
                    answer = response.json()
                except ValueError:
                    answer = None
                errors = list(response_validator(status).iter_errors(answer))
                if errors:
                    problem = f"{status} answer off its schema: {errors[0].message}"
            if problem:
                problems.append(f"{problem} (body {raw[:160]!r}): {response.text[:200]}")

        with mute_logger(SECURITY_LOGGER, "odoo.http", "odoo.sql_db"):
            for raw in edge_bodies():
                exercise(raw)

            @bounded(400)
            @given(raw=fuzz_bodies(document))
            def fuzz(raw):
                exercise(raw)

            fuzz()
        distinct = sorted({problem.split(" (body")[0] for problem in problems})
        if problems:
            self.fail(
                f"{len(problems)} contract violations, {len(distinct)} kinds:\n"
                + "\n".join(distinct)
                + "\n\nfirst examples:\n"
                + "\n".join(problems[:8])
            )


# ---------------------------------------------------------------------- fuzz bodies


def edge_bodies():
    """Bodies known to break naive JSON endpoints: every run tries them first."""

    def envelope_with(quantity="7", event_id='"fuzz-edge"', sku='"FURN_0096"'):
        return (
            f'{{"event_id": {event_id}, "event_type": "stock.adjusted", "payload": '
            f'{{"sku": {sku}, "warehouse": "WH", "quantity": {quantity}}}}}'
        ).encode()

    return [
        b"",
        b"{",
        b"null",
        b"[]",
        b"\xff\xfe{}",
        b"[" * 100_000 + b"]" * 100_000,  # deeper than Python's parser follows
        envelope_with(quantity='{"a": ' * 50_000 + "1" + "}" * 50_000),
        envelope_with(quantity="NaN"),  # not JSON, Python's parser reads it
        envelope_with(quantity="Infinity"),
        envelope_with(quantity="1e400"),  # JSON, but no double holds it
        envelope_with(quantity="9" * 5000),  # over Python's int digits limit
        envelope_with(event_id='"nul\\u0000"'),  # PostgreSQL refuses \u0000 in jsonb
        envelope_with(sku='"FURN\\u0000"'),
        envelope_with(sku='"\\ud800"'),  # a lone surrogate is not Unicode
        envelope_with(event_id='"' + "x" * 201 + '"'),
        envelope_with(event_id='"ok-edge"'),
        envelope_with(event_id='"ok-edge"'),  # the same event again: 200, nothing written
        envelope_with(event_id='"edge-nul-key"').replace(b'"WH"', b'"WH", "\\u0000": 1'),
    ]


def json_values():
    scalars = (
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=True, allow_infinity=True)
        | st.text(max_size=20)
    )
    return st.recursive(
        scalars,
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.text(max_size=10), children, max_size=4)
        ),
        max_leaves=10,
    )


def from_properties(schema, components, depth=0):
    """Values shaped like a JSON Schema object (right keys, values often of the right type,
    sometimes anything): most are near the boundary between valid and refused."""
    if "$ref" in schema:
        return from_properties(components[schema["$ref"].split("/")[-1]], components, depth)
    if "oneOf" in schema:
        return st.one_of([from_properties(s, components, depth) for s in schema["oneOf"]])
    kind = schema.get("type")
    kind = kind[0] if isinstance(kind, list) else kind
    typed = {
        "string": st.text(min_size=1, max_size=12),
        "number": st.floats(min_value=0, max_value=1e9) | st.integers(0, 10**6),
        "integer": st.integers(-(2**40), 2**40),
        "boolean": st.booleans(),
        "null": st.none(),
        "array": st.lists(
            from_properties(schema.get("items", {}), components, depth + 1)
            if depth < 2
            else json_values(),
            max_size=3,
        ),
    }.get(kind)
    if "enum" in schema:
        typed = st.sampled_from(schema["enum"])
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        required = [key for key in schema.get("required", []) if key in properties]
        optional = [key for key in properties if key not in required]
        typed = st.fixed_dictionaries(
            {key: from_properties(properties[key], components, depth + 1) for key in required},
            optional={
                key: from_properties(properties[key], components, depth + 1) for key in optional
            },
        )
    if typed is None:
        return json_values()
    return st.one_of(typed, typed, typed, typed, json_values()) if depth else typed


def fuzz_bodies(document):
    components = document["components"]["schemas"]
    event_types = list(components["InboundEvent"]["discriminator"]["mapping"])

    def envelope(event_type):
        variant = components[
            components["InboundEvent"]["discriminator"]["mapping"][event_type].split("/")[-1]
        ]
        return st.fixed_dictionaries(
            {
                "event_id": st.text(min_size=1, max_size=12) | json_values(),
                "event_type": st.just(event_type),
                "payload": from_properties(variant["properties"]["payload"], components, 1),
            },
            optional={
                "domain": st.just(variant["properties"]["domain"]["const"]) | json_values(),
                "occurred_at": st.just("2026-11-25T10:00:00Z") | json_values(),
                "unexpected": json_values(),
            },
        )

    unknown_type = envelope(event_types[0]).map(lambda body: {**body, "event_type": "x.y"})
    bodies = st.one_of(
        json_values(), unknown_type, *(envelope(event_type) for event_type in event_types)
    )
    return bodies.map(lambda body: json.dumps(body).encode())
