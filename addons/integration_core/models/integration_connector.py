# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import ast
import json
import logging
import time
from datetime import timedelta

from odoo import api, fields, models, sql_db
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, config

from ..compat.constraints import sql_constraints
from ..compat.testing import testing
from ..tools import (
    amqp,
    backoff,
    circuit,
    granularity,
    queue_core,
    ratelimit,
    signing,
    transport,
)
from ..tools.crypto import SecretBox, SecretKeyError
from ..tools.transport import MAX_PARALLEL

_logger = logging.getLogger(__name__)

AUTH_TYPES = [
    ("none", "None"),
    ("api_key", "API key header"),
    ("bearer", "Bearer token"),
    ("oauth2", "OAuth2 client credentials"),
    ("standard_webhooks", "Standard Webhooks signature"),
    ("hmac", "HMAC-SHA256 signature (legacy)"),
]


def secret_box():
    """The process's SecretBox, built from the config file / environment (never the DB)."""
    return SecretBox.from_config(config)


# The connector's scope: what it may receive within its data domains. Written by Integration
# Managers only (the connector's access rights); every change is noted in the chatter.
SCOPE_FIELDS = (
    "scope_category_ids",
    "scope_product_domain",
    "scope_pricelist_ids",
    "scope_country_ids",
    "scope_partner_ids",
    "granularity_ids",
)

# What deliveries record about a connector's health, read again before each update (other
# workers and nodes write it too).
HEALTH_FIELDS = [
    "circuit_state",
    "consecutive_failures",
    "circuit_open_until",
    "paused_until",
    "last_success_at",
]


@sql_constraints
class IntegrationConnector(models.Model):
    """One external system the suite exchanges data with (webshop, marketplace, WMS, ...)."""

    _name = "integration.connector"
    _description = "Integration Connector"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "sequence, name"

    name = fields.Char(
        required=True, tracking=True, help="How people call this system, e.g. Webshop."
    )
    code = fields.Char(
        required=True,
        tracking=True,
        help="Short technical name, unique per company, used in URLs and logs (e.g. webshop).",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    kind = fields.Selection(
        [
            ("ecommerce", "eCommerce"),
            ("marketplace", "Marketplace"),
            ("wms", "Warehouse Management System"),
            ("pricing", "Pricing engine"),
            ("promotion", "Promotion engine"),
            ("middleware", "Middleware"),
        ],
        required=True,
        default="ecommerce",
        help="What kind of system this is; for reading and filtering.",
    )
    environment = fields.Selection(
        [("production", "Production"), ("staging", "Staging"), ("test", "Test")],
        required=True,
        default="test",
        tracking=True,
        help="Which environment of the remote system this connector talks to. An Odoo that is "
        "not itself production (see Settings) never sends to a production connector.",
    )
    transport = fields.Selection(
        [("https_json", "HTTPS JSON"), ("amqp", "AMQP 0-9-1 (RabbitMQ)")],
        required=True,
        default="https_json",
        tracking=True,
        help="How messages travel to the remote system: JSON over HTTPS to its API, or "
        "published to an exchange of a message broker (RabbitMQ) in front of its middleware.",
    )
    base_url = fields.Char(
        "Base URL",
        tracking=True,
        help="Root URL of the remote API, e.g. https://shop.example.com/api. For AMQP, the "
        "broker: amqp://broker.example.com:5672/vhost (amqps:// for TLS), without user or "
        "password.",
    )
    amqp_username = fields.Char(
        "Broker user",
        tracking=True,
        help="User name on the message broker. Its password is the connector's secret, "
        "stored encrypted.",
    )
    amqp_exchange = fields.Char(
        "Exchange",
        tracking=True,
        help="Broker exchange that receives the messages (it must exist on the broker; "
        "'Test connection' checks it).",
    )
    amqp_routing_key = fields.Char(
        "Routing key",
        default="{domain}.{event_type}",
        tracking=True,
        help="Routing key of each message; {domain}, {event_type} and {connector} are "
        "replaced by the message's data domain, event type and this connector's code, e.g. "
        "'{domain}.{event_type}' gives 'price.price.activated'.",
    )
    delivery_path = fields.Char(
        default="/events",
        required=True,
        help="Path, after the base URL, that receives one message per request (POST).",
    )
    batch_path = fields.Char(
        default="/events/batch",
        help="Path that receives several messages in one request, used when the batch size is "
        "above 1. Leave the batch size at 1 when the remote has no batch endpoint.",
    )
    health_path = fields.Char(
        default="/health", help="Path that 'Test connection' calls (GET) to check access."
    )
    auth_type = fields.Selection(
        AUTH_TYPES,
        "Authentication",
        required=True,
        default="none",
        tracking=True,
        help="How Odoo proves who it is to the remote system; the remote's documentation says "
        "which one it expects. The secret below goes with it.",
    )
    api_key_header = fields.Char(
        default="X-API-Key", help="Header that carries the API key (API key authentication)."
    )
    oauth_token_url = fields.Char(
        "Token URL", help="OAuth2 token endpoint, e.g. https://auth.example.com/oauth/token"
    )
    oauth_client_id = fields.Char(
        "Client ID", help="The client id the remote system gave for Odoo (OAuth2)."
    )
    oauth_scope = fields.Char(
        "Scope",
        help="Permissions Odoo asks for, as the remote system names them (OAuth2). Empty: "
        "the remote's default.",
    )
    # Every field of this model stored encrypted with the integration key. Key rotation walks
    # the fields every model declares here (_encrypted_field_registry), so a new encrypted
    # field is rotated once it is listed; a test fails for any *_encrypted field left out.
    _encrypted_fields = ("secret_encrypted", "oauth_token_encrypted", "inbound_secret_encrypted")

    # The secret: API key, bearer token, OAuth2 client secret, HMAC signing secret or AMQP
    # password. Stored encrypted; the form shows only whether it is set and lets a manager type
    # a new one.
    secret_encrypted = fields.Text(groups="integration_core.group_integration_manager", copy=False)
    secret_input = fields.Char(
        "Secret",
        compute="_compute_secret_input",
        inverse="_inverse_secret_input",
        groups="integration_core.group_integration_manager",
        help="API key, bearer token, client secret or signing secret, depending on the "
        "authentication. Write-only: it is encrypted when saved and never shown again.",
    )
    secret_is_set = fields.Boolean(compute="_compute_secret_is_set", string="Secret set")
    oauth_token_encrypted = fields.Text(groups="base.group_system", copy=False)
    oauth_token_expires_at = fields.Datetime(copy=False, readonly=True)

    # Inbound: what this system may push to Odoo (POST /integration/<code>/events).
    inbound_enabled = fields.Boolean(
        "Accept inbound events",
        tracking=True,
        help="Let this system send events to Odoo at /integration/<code>/events.",
    )
    inbound_auth = fields.Selection(
        [
            ("standard_webhooks", "Standard Webhooks signature"),
            ("hmac", "HMAC-SHA256 signature (legacy)"),
            ("token", "Bearer token"),
        ],
        "Inbound authentication",
        default="standard_webhooks",
        required=True,
        help="How the sender proves it is this system: a Standard Webhooks signature "
        "(webhook-id, webhook-timestamp, webhook-signature; secret whsec_...), this suite's "
        "former X-Signature over X-Timestamp and the body, or an Authorization: Bearer token.",
    )
    inbound_secret_encrypted = fields.Text(
        groups="integration_core.group_integration_manager", copy=False
    )
    inbound_secret_input = fields.Char(
        "Inbound secret",
        compute="_compute_secret_input",
        inverse="_inverse_inbound_secret_input",
        groups="integration_core.group_integration_manager",
        help="Signing secret or token the sender uses. Write-only: encrypted when saved.",
    )
    inbound_secret_is_set = fields.Boolean(
        compute="_compute_secret_is_set", string="Inbound secret set"
    )
    inbound_url = fields.Char(compute="_compute_inbound_url", string="Inbound URL")
    ack_required = fields.Boolean(
        "Acknowledgement required",
        tracking=True,
        help="This system confirms what it applied with *.applied events (price.applied, "
        "promotion.applied, stock.applied): what it receives counts as published only once it "
        "confirmed it. Off: an HTTP 2xx answer is enough. Needs inbound events.",
    )
    readback_path = fields.Char(
        "Read-back path",
        tracking=True,
        help="Path, after the base URL, where this system shows what it currently holds "
        "(GET, with the connector's authentication); {domain} is replaced by the data domain, "
        "e.g. /current/{domain}. The read-back Scheduled Actions compare it with Odoo and "
        "report the differences. Empty: no read-back.",
    )
    mapping_required = fields.Boolean(
        "Products must be mapped",
        help="Send and accept only products and units with a mapping for this connector: a "
        "message naming another is a mapping exception. Otherwise a product without mapping "
        "goes by its internal reference or barcode (see Products go by), a unit without "
        "mapping by its name.",
    )
    product_match = fields.Selection(
        [("default_code", "Internal reference"), ("barcode", "Barcode")],
        "Products go by",
        default="default_code",
        required=True,
        help="What this system calls a product that has no mapping, both ways: we send that "
        "field as its SKU, and find by that field the SKUs it sends.",
    )
    product_mapping_ids = fields.One2many("integration.product.mapping", "connector_id")
    uom_mapping_ids = fields.One2many("integration.uom.mapping", "connector_id")

    timeout = fields.Float(
        "Timeout (s)", default=10.0, help="Seconds to wait for the remote before giving up."
    )
    rate_limit = fields.Float(
        "Rate limit (requests/s)",
        default=0.0,
        help="At most this many requests per second, all Odoo workers and nodes together; 0 "
        "means no limit.",
    )
    envelope_format = fields.Selection(
        [("native", "Suite envelope"), ("cloudevents", "CloudEvents 1.0 (structured JSON)")],
        default="native",
        required=True,
        tracking=True,
        help="What each message looks like. Suite envelope: idempotency_key, event_type, "
        "domain, schema, queued_at, source, sequence, payload. CloudEvents: id (the "
        "idempotency key), type, source (this Odoo), subject (the record), time, data (the "
        "payload), with domain, dataschema and sequence, as "
        "application/cloudevents+json (batches: application/cloudevents-batch+json; AMQP: "
        "that content type, per the CloudEvents AMQP binding).",
    )
    parallel_requests = fields.Integer(
        default=4,
        help="Requests a worker keeps in flight at once to this connector (one message per "
        "request). Several at once hide the remote's latency; a 429 or an unreachable remote "
        "stops new ones at once. 1 sends one after the other.",
    )
    batch_size = fields.Integer(
        default=1,
        help="Messages sent in one request to the batch path; 1 sends one message per request.",
    )
    max_attempts = fields.Integer(
        default=8, help="Attempts before a message becomes a dead letter for someone to handle."
    )
    retry_base_delay = fields.Float(
        "First retry after (s)",
        default=30.0,
        help="Delay before the first retry; each further retry waits about twice as long.",
    )
    allowed_domain_ids = fields.Many2many(
        "integration.data.domain",
        string="Allowed data domains",
        help="What this connector may receive and send (least privilege). Anything else is "
        "refused when it is queued.",
    )
    scope_category_ids = fields.Many2many(
        "product.category",
        "integration_connector_scope_category_rel",
        "connector_id",
        "category_id",
        string="Product categories",
        help="Only products of these categories (and their subcategories) reach this "
        "connector: prices, promotions and stock of other products are not published to it, "
        "and queuing them is refused. Empty: every category.",
    )
    scope_product_domain = fields.Char(
        "Products",
        help="Only products matching this filter reach this connector (on top of the "
        "categories). Empty: every product.",
    )
    scope_pricelist_ids = fields.Many2many(
        "product.pricelist",
        "integration_connector_scope_pricelist_rel",
        "connector_id",
        "pricelist_id",
        string="Pricelists",
        help="Only prices of these pricelists reach this connector. Empty: every pricelist it "
        "is subscribed to.",
    )
    scope_country_ids = fields.Many2many(
        "res.country",
        "integration_connector_scope_country_rel",
        "connector_id",
        "country_id",
        string="Countries",
        help="Regional prices (of pricelists restricted to country groups) reach this "
        "connector only when one of these countries is in one of the pricelist's groups. "
        "Pricelists without country groups are not regional. Empty: every region.",
    )
    scope_partner_ids = fields.Many2many(
        "res.partner",
        "integration_connector_scope_partner_rel",
        "connector_id",
        "partner_id",
        string="Customers",
        help="Customer prices (of pricelists assigned to customers or flagged customer-"
        "specific) reach this connector only when all the pricelist's customers are listed "
        "here, themselves or their company. Empty: every customer.",
    )
    granularity_ids = fields.One2many(
        "integration.connector.granularity",
        "connector_id",
        string="Granularity",
        help="How precisely this connector is told quantities, per data domain: exact, "
        "availability bands or in stock or not. A data domain not listed is told exactly.",
    )
    frozen = fields.Boolean(
        tracking=True,
        help="Frozen connectors keep queuing messages but send nothing until unfrozen.",
    )
    responsible_user_id = fields.Many2one(
        "res.users",
        "Responsible",
        tracking=True,
        default=lambda self: self.env.user,
        help="Receives an activity when a message to this connector needs attention.",
    )
    escalation_user_id = fields.Many2one(
        "res.users",
        "Escalate to",
        tracking=True,
        help="Receives an activity when a dead letter stays unhandled too long.",
    )

    # Health, maintained by deliveries.
    last_success_at = fields.Datetime(readonly=True, copy=False)
    last_failure_at = fields.Datetime(readonly=True, copy=False)
    last_error = fields.Char(readonly=True, copy=False)
    consecutive_failures = fields.Integer(readonly=True, copy=False)
    circuit_state = fields.Selection(
        [("closed", "Closed (sending)"), ("open", "Open (paused)")],
        default="closed",
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
    )
    circuit_open_until = fields.Datetime(readonly=True, copy=False)
    circuit_threshold = fields.Integer(
        "Open circuit after",
        default=5,
        help="Consecutive network, timeout or server failures that pause deliveries.",
    )
    circuit_cooldown = fields.Integer(
        "Pause (s)", default=60, help="Seconds deliveries stay paused once the circuit opens."
    )
    paused_until = fields.Datetime(
        readonly=True, copy=False, help="The remote asked us to wait (429) until then."
    )
    queue_depth = fields.Integer(compute="_compute_queue_figures", string="Waiting")
    dead_count = fields.Integer(compute="_compute_queue_figures", string="Dead letters")
    oldest_pending_at = fields.Datetime(compute="_compute_queue_figures", string="Oldest waiting")
    sent_24h = fields.Integer(compute="_compute_queue_figures", string="Sent (24 h)")
    failed_24h = fields.Integer(compute="_compute_queue_figures", string="Failed (24 h)")
    latency_p50_ms = fields.Integer(compute="_compute_queue_figures", string="Latency p50 (ms)")
    latency_p95_ms = fields.Integer(compute="_compute_queue_figures", string="Latency p95 (ms)")

    _sql_constraints = [
        (
            "code_company_uniq",
            "unique(code, company_id)",
            "Another connector of this company already uses this code.",
        ),
        ("timeout_positive", "CHECK(timeout > 0)", "The timeout must be positive."),
        ("batch_size_positive", "CHECK(batch_size >= 1)", "The batch size must be at least 1."),
        ("max_attempts_positive", "CHECK(max_attempts >= 1)", "Max attempts must be at least 1."),
        ("rate_limit_positive", "CHECK(rate_limit >= 0)", "The rate limit cannot be negative."),
        (
            "parallel_requests_range",
            f"CHECK(parallel_requests BETWEEN 1 AND {MAX_PARALLEL})",
            f"Parallel requests must be between 1 and {MAX_PARALLEL}.",
        ),
    ]

    @api.depends("name", "environment")
    def _compute_display_name(self):
        labels = dict(self._fields["environment"]._description_selection(self.env))
        for connector in self:
            if connector.environment and connector.environment != "production":
                connector.display_name = f"{connector.name} ({labels[connector.environment]})"
            else:
                connector.display_name = connector.name

    @api.constrains("ack_required", "inbound_enabled")
    def _check_ack_required(self):
        for connector in self:
            if connector.ack_required and not connector.inbound_enabled:
                raise ValidationError(
                    self.env._(
                        "%s must accept inbound events to acknowledge what it applied.",
                        connector.name,
                    )
                )

    @api.constrains("base_url", "transport", "amqp_exchange", "amqp_routing_key")
    def _check_base_url(self):
        for connector in self:
            url = connector.base_url
            if connector.transport == "amqp":
                connector._check_amqp_settings()
            elif url and not url.startswith(("https://", "http://")):
                raise ValidationError(
                    self.env._(
                        "The base URL of %(connector)s must start with https:// (or http:// "
                        "for a local test system).",
                        connector=connector.name,
                    )
                )

    def _check_amqp_settings(self):
        if self.base_url and (problem := amqp.check_url(self.base_url)):
            raise ValidationError(
                self.env._(
                    "The broker URL of %(connector)s is not usable: %(problem)s.",
                    connector=self.name,
                    problem=problem,
                )
            )
        if not (self.amqp_exchange or "").strip():
            raise ValidationError(
                self.env._(
                    "AMQP connector %(connector)s needs the exchange its messages are published "
                    "to.",
                    connector=self.name,
                )
            )
        try:
            self._routing_key("domain", "event.type")
        except (KeyError, ValueError, IndexError) as exc:
            raise ValidationError(
                self.env._(
                    "The routing key of %(connector)s may only use {domain}, {event_type} and "
                    "{connector}; '%(template)s' does not (%(error)s).",
                    connector=self.name,
                    template=self.amqp_routing_key,
                    error=exc,
                )
            ) from exc

    def _routing_key(self, domain, event_type):
        return amqp.routing_key(self.amqp_routing_key, domain, event_type, self.code)

    @api.constrains("auth_type", "oauth_token_url", "oauth_client_id")
    def _check_oauth(self):
        for connector in self.filtered(lambda c: c.auth_type == "oauth2"):
            if not connector.oauth_token_url or not connector.oauth_client_id:
                raise ValidationError(
                    self.env._(
                        "OAuth2 on %(connector)s needs a token URL and a client ID.",
                        connector=connector.name,
                    )
                )

    # ------------------------------------------------------------------ secrets

    def _compute_secret_input(self):
        for connector in self:
            connector.secret_input = False
            connector.inbound_secret_input = False

    def _check_webhook_secret(self, secret, scheme):
        """A secret typed for a Standard Webhooks scheme must be one (whsec_ + base64)."""
        if scheme != "standard_webhooks":
            return
        try:
            signing.webhook_key(secret)
        except ValueError as exc:
            raise ValidationError(
                self.env._(
                    "%(connector)s: %(reason)s. Generate one, or choose another authentication.",
                    connector=self.name,
                    reason=exc,
                )
            ) from exc

    def _inverse_inbound_secret_input(self):
        for connector in self:
            if connector.inbound_secret_input:
                connector._check_webhook_secret(
                    connector.inbound_secret_input, connector.inbound_auth
                )
                try:
                    token = secret_box().encrypt(connector.inbound_secret_input)
                except SecretKeyError as exc:
                    raise UserError(str(exc)) from exc
                connector.sudo().inbound_secret_encrypted = token
                connector.message_post(body=self.env._("The inbound secret was changed."))

    def action_generate_webhook_secret(self):
        """A new random Standard Webhooks secret (whsec_...) for what Odoo sends, shown once."""
        return self._generate_webhook_secret("secret_input", self.env._("Signing secret"))

    def action_generate_inbound_webhook_secret(self):
        """A new random Standard Webhooks secret for what the remote sends, shown once."""
        return self._generate_webhook_secret(
            "inbound_secret_input", self.env._("Inbound signing secret")
        )

    def _generate_webhook_secret(self, field, title):
        self.ensure_one()
        self._integration_check_caller("integration_core.group_integration_manager", "write")
        secret = signing.new_webhook_secret()
        self[field] = secret  # encrypted by the field's inverse; never stored in clear
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("%(title)s of %(connector)s", title=title, connector=self.name),
                "message": self.env._(
                    "Give it to the other system now: Odoo keeps it encrypted and cannot show "
                    "it again. %(secret)s",
                    secret=secret,
                ),
                "type": "warning",
                "sticky": True,
            },
        }

    def _get_inbound_secret(self):
        """Decrypted inbound secret; raises SecretKeyError on a key problem."""
        self.ensure_one()
        token = self.sudo().inbound_secret_encrypted
        return secret_box().decrypt(token) if token else None

    def _compute_inbound_url(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for connector in self:
            connector.inbound_url = (
                f"{base}/integration/{connector.code}/events" if connector.code else False
            )

    def _inverse_secret_input(self):
        for connector in self:
            if connector.secret_input:
                if connector.transport != "amqp":
                    connector._check_webhook_secret(connector.secret_input, connector.auth_type)
                connector._set_secret(connector.secret_input)

    def _set_secret(self, plaintext):
        self.ensure_one()
        try:
            token = secret_box().encrypt(plaintext)
        except SecretKeyError as exc:
            raise UserError(str(exc)) from exc
        self.sudo().write(
            {
                "secret_encrypted": token,
                "oauth_token_encrypted": False,
                "oauth_token_expires_at": False,
            }
        )
        self.message_post(body=self.env._("The secret was changed."))

    def _compute_secret_is_set(self):
        for connector in self:
            connector.secret_is_set = bool(connector.sudo().secret_encrypted)
            connector.inbound_secret_is_set = bool(connector.sudo().inbound_secret_encrypted)

    def _get_secret(self):
        """Decrypted secret, for the transport only; raises UserError on a key problem."""
        self.ensure_one()
        token = self.sudo().secret_encrypted
        if not token:
            return None
        try:
            return secret_box().decrypt(token)
        except SecretKeyError as exc:
            raise UserError(str(exc)) from exc

    @api.model
    def _encrypted_field_registry(self):
        """{model name: field names} of every model declaring `_encrypted_fields`: the one list
        of what is stored encrypted, which key rotation works through."""
        return {
            name: tuple(model._encrypted_fields)
            for name, model in self.env.registry.items()
            if getattr(model, "_encrypted_fields", ()) and not model._abstract
        }

    @api.model
    def _rotate_encryption_key(self):
        """Re-encrypt with the current primary key every value of every field in
        _encrypted_field_registry() (the previous key must be listed as an old key), in the
        caller's transaction. Every value is decrypted before anything is written: one that no
        configured key opens raises UserError naming its record and field, and nothing is
        changed. Returns the number of values re-encrypted."""
        box = secret_box()
        rotated = []
        for model_name, fnames in self._encrypted_field_registry().items():
            domain = ["|"] * (len(fnames) - 1) + [(fname, "!=", False) for fname in fnames]
            records = (
                self.env[model_name]
                .sudo()
                .with_context(active_test=False)
                .search_fetch(domain, fnames, order="id")
            )
            for record in records:
                vals = {f: self._rotated_value(box, record, f) for f in fnames if record[f]}
                rotated.append((record, vals))
        for record, vals in rotated:
            record.write(vals)
        return sum(len(vals) for _record, vals in rotated)

    @api.model
    def _rotated_value(self, box, record, fname):
        try:
            return box.rotate(record[fname])
        except SecretKeyError as exc:
            raise UserError(
                self.env._(
                    "Nothing was re-encrypted: field %(field)s of %(model)s %(record)s (id "
                    "%(id)s) cannot be decrypted with any configured key. List the key it was "
                    "stored with in encryption_old_keys and rotate again, or enter "
                    "that secret again.",
                    field=fname,
                    model=record._name,
                    record=record.display_name,
                    id=record.id,
                )
            ) from exc

    # ------------------------------------------------------------------ requests

    def init(self):
        # The rate limit's bucket, one row per connector, shared by every process and node.
        self.env.cr.execute(ratelimit.BUCKET_TABLE)

    def _session(self):
        return transport.session_of(self.id, self.base_url or "")

    def _rate_limiter(self):
        """The connector's rate limit for every process and node (a ratelimit.SharedBucket
        in the database); None without limit."""
        if not self.rate_limit:
            return None
        rate, burst, key = self.rate_limit, max(1.0, self.rate_limit), self.id

        def take(count):
            statement = ratelimit.take_statement(key, rate, burst, count)
            return self._own_transaction(statement)[0][0]

        return ratelimit.SharedBucket(take)

    def _own_transaction(self, statement):
        """Rows of one statement run and committed at once on a transaction of its own (READ
        COMMITTED), whatever the caller's transaction holds: the rows it locks are let go at
        once. Inside a test's transaction (which must see its own records), on that one."""
        text, params = statement
        if testing(self.env):
            self.env.cr.execute(SQL(text, **params))
            return self.env.cr.fetchall()
        with sql_db.db_connect(self.env.cr.dbname).cursor() as cr:
            cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            cr.execute(SQL(text, **params))
            return cr.fetchall()

    def _transport(self):
        """The transport.Transport that delivers this connector's messages, configured from
        its fields and secrets; it owns its connections and rate limit."""
        self.ensure_one()
        if self.transport == "amqp":
            return self._amqp_transport()
        settings = transport.HttpSettings(
            key=self.id,
            base_url=self.base_url,
            delivery_path=self.delivery_path,
            batch_path=self.batch_path,
            batch_size=self.batch_size,
            timeout=self.timeout,
            rate_limit=self.rate_limit,
            parallel_requests=self.parallel_requests or 1,
            renews_token=self.auth_type == "oauth2",
            cloudevents_source=self._cloudevents_source(),
        )
        missing = self.env._("The batch answer did not mention this message.")
        http = transport.HttpTransport(settings, self._authenticate, missing)
        http.limiter = self._rate_limiter()
        return http

    def _cloudevents_source(self):
        """The CloudEvents `source` of what this Odoo sends ("" for suite envelopes): its URL
        and database."""
        self.ensure_one()
        if self.envelope_format != "cloudevents":
            return ""
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url") or "urn:odoo"
        return f"{base.rstrip('/')}/?db={self.env.cr.dbname}"

    def _authenticate(self, body, force_new_token=False, msg_id=None):
        """_auth_headers for a transport: any problem becomes a transport.AuthError."""
        try:
            return self._auth_headers(body, force_new_token=force_new_token, msg_id=msg_id)
        except UserError as exc:
            raise transport.AuthError(str(exc)) from exc

    def _auth_headers(self, body=b"", force_new_token=False, msg_id=None):
        """Headers that authenticate one request (message `msg_id`, signed by Standard
        Webhooks) with this connector's scheme."""
        self.ensure_one()
        if self.auth_type == "none":
            return {}
        secret = self._get_secret()
        if not secret:
            raise UserError(
                self.env._("Connector %(connector)s has no secret set.", connector=self.name)
            )
        token = None
        if self.auth_type == "oauth2":
            token = self._oauth_token(secret, force_new_token)
        try:
            return transport.auth_headers(
                self.auth_type, secret, body, self.api_key_header, token, msg_id=msg_id
            )
        except ValueError as exc:
            raise UserError(
                self.env._(
                    "Connector %(connector)s cannot sign: %(reason)s.",
                    connector=self.name,
                    reason=exc,
                )
            ) from exc

    def _oauth_token(self, client_secret, force_new=False):
        """A cached OAuth2 client-credentials token, fetched again shortly before expiry."""
        sudo = self.sudo()
        now = fields.Datetime.now()
        if (
            not force_new
            and sudo.oauth_token_encrypted
            and transport.token_is_fresh(sudo.oauth_token_expires_at, now)
        ):
            try:
                return secret_box().decrypt(sudo.oauth_token_encrypted)
            except SecretKeyError:
                pass  # fetch a new one below
        try:
            token, expires_in = transport.request_token(
                self._session(),
                self.oauth_token_url,
                self.oauth_client_id,
                client_secret,
                self.oauth_scope,
                self.timeout,
            )
        except transport.TokenError as exc:
            raise transport.AuthError(self._token_error_text(exc)) from exc
        sudo.write(
            {
                "oauth_token_encrypted": secret_box().encrypt(token),
                "oauth_token_expires_at": now + timedelta(seconds=expires_in),
            }
        )
        return token

    def _token_error_text(self, error):
        """What went wrong with the token endpoint, in words."""
        if error.reason == "unreachable":
            return self.env._("The token endpoint cannot be reached: %s", error.detail)
        if error.reason == "refused":
            return self.env._(
                "The token endpoint refused the client credentials (HTTP %(status)s).",
                status=error.detail,
            )
        return self.env._("The token endpoint answered without a token.")

    # ------------------------------------------------------------------ AMQP

    def _amqp_transport(self):
        """An amqp.AmqpTransport to this connector's exchange; it carries the reason when
        it cannot be opened (no broker URL, the password cannot be decrypted)."""
        error, password = None, ""
        if not self.base_url:
            error = amqp.AmqpError(
                "network", self.env._("Connector %s has no broker URL.", self.name)
            )
        else:
            try:
                password = self._get_secret() if self.sudo().secret_encrypted else ""
            except UserError as exc:
                error = amqp.AmqpError("auth", str(exc))
        settings = amqp.AmqpSettings(
            key=self.id,
            url=self.base_url,
            username=self.amqp_username,
            password=password,
            timeout=self.timeout,
            exchange=self.amqp_exchange,
            routing_template=self.amqp_routing_key,
            connector_code=self.code,
            batch_size=self.batch_size,
            rate_limit=self.rate_limit,
            cloudevents_source=self._cloudevents_source(),
        )
        amqp_transport = amqp.AmqpTransport(settings, error)
        amqp_transport.limiter = self._rate_limiter()
        return amqp_transport

    def _test_amqp(self):
        """(ok, sentence) for 'Test connection' on an AMQP connector."""
        start = time.monotonic()
        try:
            product, version = self._amqp_transport().check()
        except amqp.AmqpError as exc:
            return False, str(exc)
        return True, self.env._(
            "%(product)s %(version)s accepted the user and exchange '%(exchange)s' exists "
            "(%(ms)s ms).",
            product=product,
            version=version,
            exchange=self.amqp_exchange,
            ms=int((time.monotonic() - start) * 1000),
        )

    def action_test_connection(self):
        """Call the remote's health path (or the broker) with the connector's credentials and
        note the result. Integration Managers only: it uses the secrets and writes with sudo."""
        self.ensure_one()
        self._integration_check_caller("integration_core.group_integration_manager", "write")
        if not self.base_url:
            raise UserError(self.env._("Set the base URL of %s first.", self.name))
        if self.transport == "amqp":
            ok, text = self._test_amqp()
            return self._connection_tested(ok, text)
        try:
            headers = self._auth_headers(b"")
        except transport.AuthError as exc:
            raise UserError(str(exc)) from exc
        outcome = self._transport().get(self.health_path, headers)
        if outcome.ok:
            text = self.env._(
                "HTTP %(status)s in %(ms)s ms.", status=outcome.status, ms=outcome.latency_ms
            )
        else:
            text = outcome.error
        return self._connection_tested(outcome.ok, text)

    def _read_back(self, domain_code):
        """What this system currently holds of `domain_code` data, as the JSON document its
        read-back path answers (GET, through its own transport and authentication). Raises
        UserError with the reason when there is no read-back or the answer is unusable."""
        self.ensure_one()
        if not self.readback_path or self.transport != "https_json" or not self.base_url:
            raise UserError(self.env._("%s has no read-back path over HTTPS.", self.name))
        try:
            headers = self._auth_headers(b"")
        except transport.AuthError as exc:
            raise UserError(str(exc)) from exc
        path = self.readback_path.replace("{domain}", domain_code)
        outcome = self._transport().get(path, headers)
        if not outcome.ok:
            raise UserError(
                self.env._("Read-back from %(c)s failed: %(e)s", c=self.name, e=outcome.error)
            )
        try:
            return json.loads(outcome.body)
        except ValueError as exc:
            raise UserError(
                self.env._("Read-back from %(c)s is not JSON: %(e)s", c=self.name, e=exc)
            ) from exc

    def _connection_tested(self, ok, text):
        """Record a 'Test connection' result in the chatter and show it to the user."""
        if ok:
            self.sudo().write({"last_success_at": fields.Datetime.now()})
            message = self.env._(
                "Connection to %(connector)s works: %(details)s", connector=self.name, details=text
            )
        else:
            message = self.env._(
                "Connection to %(connector)s failed: %(error)s", connector=self.name, error=text
            )
        kind = "success" if ok else "danger"
        self.message_post(body=message)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Test connection"),
                "message": message,
                "type": kind,
                "sticky": not ok,
            },
        }

    # ------------------------------------------------------------------ health

    def _circuit(self):
        return circuit.CircuitState(
            self.circuit_state, self.consecutive_failures, self.circuit_open_until
        )

    @api.model
    def _instance_environment(self):
        return (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("integration_core.instance_environment", "production")
        )

    @api.model
    def _blocked_connector_ids(self):
        """Connectors whose messages must not be claimed now: archived, frozen, paused by a
        429, circuit open during its cool-down, or production while this Odoo is not."""
        now = fields.Datetime.now()
        blocked = self._search_connector_ids(
            ["|", *circuit.blocked_domain(now), *self._held_domain()]
        )
        # Pauses to the microsecond (the ORM would compare whole seconds).
        self.flush_model(["paused_until"])
        self.env.cr.execute(
            "SELECT id FROM integration_connector WHERE paused_until > %s", [queue_core.utcnow()]
        )
        return sorted(set(blocked) | {row[0] for row in self.env.cr.fetchall()})

    @api.model
    def _held_connector_ids(self):
        """Connectors held until someone acts (frozen, archived, production while this Odoo
        is not): nothing of theirs comes due by itself."""
        return self._search_connector_ids(self._held_domain())

    @api.model
    def _held_domain(self):
        domain = ["|", ("frozen", "=", True), ("active", "=", False)]
        if self._instance_environment() != "production":
            domain = ["|", ("environment", "=", "production"), *domain]
        return domain

    @api.model
    def _search_connector_ids(self, domain):
        return self.sudo().with_context(active_test=False).search(domain).ids

    def _take_trial(self):
        """True when this worker wins the one trial delivery of this open circuit whose
        cool-down is over (circuit.take_trial, committed at once: one winner across every
        worker and node); the cool-down then runs again for the others while it is tried."""
        self.ensure_one()
        now = fields.Datetime.now()
        until = now + timedelta(seconds=max(self.circuit_cooldown, 1))
        won = self._own_transaction(circuit.take_trial(self.id, now, until))
        self.invalidate_recordset(["circuit_open_until"])
        return bool(won)

    def _record_results(self, outcomes):
        """Update health after a batch: `outcomes` (transport.Outcome) in the order they
        were sent, counted by circuit.after_outcomes from the health last committed."""
        self.ensure_one()
        now = fields.Datetime.now()
        self.invalidate_recordset(HEALTH_FIELDS)
        categories = [None if o.ok else o.category for o in outcomes]
        state = circuit.after_outcomes(
            self._circuit(), categories, now, self.circuit_threshold, self.circuit_cooldown
        )
        failures = [o for o in outcomes if not o.ok]
        vals = self._health_values(state, any(o.ok for o in outcomes), failures, now)
        was_open = self.circuit_state == "open"
        # Write only what changed: every worker reports on the same connector row.
        changed = {name: value for name, value in vals.items() if self[name] != (value or False)}
        if changed:
            self.sudo().write(changed)
        self._pause_if_asked(failures)
        if state.state == "open" and not was_open:
            self._notify_circuit_open()

    def _health_values(self, state, successes, failures, now):
        """The health fields after a batch that left the circuit in `state`."""
        vals = {
            "circuit_state": state.state,
            "consecutive_failures": state.consecutive_failures,
            "circuit_open_until": state.open_until,
        }
        # A success recorded less than 5 s ago is not written again by every batch.
        if successes and not (
            self.last_success_at and (now - self.last_success_at).total_seconds() < 5
        ):
            vals["last_success_at"] = now
        if failures:
            vals["last_failure_at"] = now
            vals["last_error"] = (failures[-1].error or "")[:250]
        return vals

    def _pause_if_asked(self, failures):
        """A 429 pauses this connector, and this connector only, for as long as the remote
        asked, from now, to the microsecond (written in SQL: the ORM keeps whole seconds)."""
        rate_limited = [o.retry_after for o in failures if o.category == "rate_limited"]
        if not rate_limited:
            return
        until = queue_core.utcnow() + timedelta(seconds=backoff.pause_seconds(rate_limited))
        self.flush_recordset(["paused_until"])
        self.env.cr.execute(
            "UPDATE integration_connector SET paused_until = GREATEST(paused_until, %s) "
            "WHERE id = %s",
            [until, self.id],
        )
        self.invalidate_recordset(["paused_until"])

    def _notify_circuit_open(self):
        body = self.env._(
            "Deliveries to %(connector)s are paused for %(seconds)s s after %(count)s failures "
            "in a row. Last error: %(error)s",
            connector=self.name,
            seconds=self.circuit_cooldown,
            count=self.consecutive_failures,
            error=self.last_error or "",
        )
        self.message_post(body=body)
        if self.responsible_user_id:
            self.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("Connector %s is failing", self.name),
                note=body,
                user_id=self.responsible_user_id.id,
            )

    def action_close_circuit(self):
        """Resume deliveries now. Integration Managers only: it writes health with sudo."""
        self._integration_check_caller("integration_core.group_integration_manager", "write")
        self.sudo().write(
            {
                "circuit_state": "closed",
                "consecutive_failures": 0,
                "circuit_open_until": False,
                "paused_until": False,
            }
        )
        return True

    # ------------------------------------------------------------------ figures

    def _compute_queue_figures(self):
        Dashboard = self.env["integration.dashboard"]
        values = Dashboard._connector_values(self.ids)
        for connector in self:
            connector.update(values.get(connector.id) or Dashboard._figure_values({}))

    def action_open_messages(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "integration_core.integration_message_action"
        )
        action["domain"] = [("connector_id", "=", self.id)]
        action["context"] = {"default_connector_id": self.id, "search_default_group_state": 1}
        return action

    # ------------------------------------------------------------------ scope

    def write(self, vals):
        changed = [name for name in self._scope_fields() if name in vals]
        result = super().write(vals)
        if changed:
            labels = ", ".join(self._fields[name].string for name in changed)
            for connector in self:
                connector.message_post(
                    body=self.env._(
                        "Scope changed by %(user)s: %(fields)s.",
                        user=self.env.user.name,
                        fields=labels,
                    )
                )
        return result

    @api.model
    def _scope_fields(self):
        """Fields that say what this connector may receive (extended by addons that add a
        dimension, e.g. warehouses)."""
        return SCOPE_FIELDS

    @api.constrains("scope_product_domain")
    def _check_scope_product_domain(self):
        for connector in self.filtered("scope_product_domain"):
            try:
                domain = connector._scope_product_filter()
                self.env["product.product"].sudo()._search(domain)
            except (ValueError, SyntaxError, TypeError, KeyError) as exc:
                raise ValidationError(
                    self.env._(
                        "The product filter of %(connector)s is not a product domain: %(error)s",
                        connector=connector.name,
                        error=exc,
                    )
                ) from exc

    def _scope_product_filter(self):
        """The product domain of the scope, parsed ([] when empty); literal values only."""
        self.ensure_one()
        text = (self.scope_product_domain or "").strip()
        if not text:
            return []
        domain = ast.literal_eval(text)
        if not isinstance(domain, list):
            raise ValueError(self.env._("a domain is a list, e.g. [('sale_ok', '=', True)]"))
        return domain

    def _scope_restricts_products(self):
        """True when this connector may receive some products only: each message to it must
        then say which products it carries."""
        self.ensure_one()
        return bool(self.scope_category_ids or self._scope_product_filter())

    def _scope_company_domain(self):
        """Records of this connector's company, or of none (shared)."""
        return ["|", ("company_id", "=", False), ("company_id", "=", self.company_id.id)]

    def _scope_domain(self, model_name):
        """Domain of the `model_name` records this connector may receive; None when its scope
        does not speak of that model. Addons with a dimension of their own extend it."""
        self.ensure_one()
        if model_name == "product.product":
            domain = self._scope_company_domain() + self._scope_product_filter()
            if self.scope_category_ids:
                domain += [("categ_id", "child_of", self.scope_category_ids.ids)]
            return domain
        if model_name == "product.pricelist":
            domain = self._scope_company_domain()
            if self.scope_pricelist_ids:
                domain += [("id", "in", self.scope_pricelist_ids.ids)]
            if self.scope_country_ids:
                # Geography: a regional pricelist only where one of its countries is served.
                domain += [
                    "|",
                    ("country_group_ids", "=", False),
                    ("country_group_ids.country_ids", "in", self.scope_country_ids.ids),
                ]
            return domain
        if model_name == "res.partner" and self.scope_partner_ids:
            # A customer listed here brings its contacts (same commercial partner) along.
            ids = self.scope_partner_ids.ids
            return ["|", ("id", "in", ids), ("commercial_partner_id", "in", ids)]
        return None

    def _in_scope(self, model_name, ids):
        """The one rule of what this connector may receive: the set of those of `ids`
        (records of `model_name`: product.product, product.pricelist, res.partner,
        stock.warehouse...) within its scope (company, categories, product filter,
        pricelists and their countries, customers, warehouses). One
        query whatever the number of ids; archived records count like the others. Publishers
        leave the rest out; _enqueue refuses them."""
        self.ensure_one()
        ids = {record_id for record_id in ids if record_id}
        domain = self.sudo()._scope_domain(model_name)
        if domain is None or not ids:
            return ids
        Model = self.env[model_name].sudo().with_context(active_test=False)
        # Ordered by id: a model's own order (products: by name) would join for nothing.
        return set(Model.search([("id", "in", list(ids)), *domain], order="id").ids)

    def _granularity(self, domain_code):
        """(granularity, bands) this connector is told `domain_code` data at: EXACT and no
        bands unless a granularity line says otherwise; bands as (threshold, label)."""
        self.ensure_one()
        line = self.sudo().granularity_ids.filtered(lambda g: g.domain_id.code == domain_code)
        if not line:
            return granularity.EXACT, []
        return line[0].granularity, [(b.from_quantity, b.label) for b in line[0].band_ids]

    # ------------------------------------------------------------------ receivers

    @api.model
    def _receivers_of(self, domain_code, companies=None):
        """Active connectors of `companies` (default: the current ones) that may receive
        `domain_code` data: allowed that domain and not its system of record (no write-back
        loops)."""
        companies = self.env.companies if companies is None else companies
        domain = self.env["integration.data.domain"].sudo().search([("code", "=", domain_code)])
        return (
            self.sudo()
            .search(
                [
                    ("allowed_domain_ids", "in", domain.ids),
                    ("company_id", "in", companies.ids),
                ]
            )
            .filtered(lambda c: c != domain.owner_connector_id)
        )

    def _filter_receivers(self, domain_code):
        """Those of these connectors that are active and may receive `domain_code` data."""
        domain = self.env["integration.data.domain"].sudo().search([("code", "=", domain_code)])
        return self.sudo().filtered(
            lambda c: c.active and domain in c.allowed_domain_ids and c != domain.owner_connector_id
        )

    # ------------------------------------------------------------------ mapping

    def action_open_unmapped_products(self):
        self.ensure_one()
        mapped = self.product_mapping_ids.product_id
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Products without mapping for %s", self.name),
            "res_model": "product.product",
            "view_mode": "list,form",
            "domain": [("id", "not in", mapped.ids), ("sale_ok", "=", True)],
            "help": self.env._("<p>Every product you sell has a mapping for this connector.</p>"),
        }

    def action_import_mappings(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Import product mappings"),
            "res_model": "integration.mapping.import.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_connector_id": self.id},
        }

    def action_open_dead_letters(self):
        action = self.action_open_messages()
        action["context"] = {"search_default_filter_dead": 1}
        return action
