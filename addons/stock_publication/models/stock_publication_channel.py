# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import hashlib
import logging
import time
from datetime import timedelta
from typing import NamedTuple

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from odoo.addons.integration_core.compat.constraints import sql_constraints
from odoo.addons.integration_core.tools import granularity
from odoo.addons.integration_core.tools.pg import array_literal
from odoo.addons.integration_core.tools.workflow import in_workflow, workflow_method

from ..tools import allocation

_logger = logging.getLogger(__name__)

SNAPSHOT_STATES = [("idle", "Idle"), ("requested", "Requested"), ("running", "Running")]
PAYLOAD_VERSIONS = [
    ("1", "v1: quantity available to promise"),
    ("2", "v2: with on hand, reserved, quality hold, incoming and backorder"),
]


# A channel's snapshot progress, and what its last complete snapshot vouches for (the stale
# rule reads it): written by the snapshot's own code only, never by a client.
SNAPSHOT_FIELDS = frozenset(
    {
        "snapshot_state",
        "snapshot_cursor",
        "snapshot_started_at",
        "last_snapshot_at",
        "snapshot_checked",
        "snapshot_differences",
        "snapshot_seconds",
        "snapshot_confirmed_at",
        "snapshot_confirmed_through",
    }
)


def stock_key(channel_id, product_id):
    """The coalescing key of the stock messages of a channel for a product (its SQL twin:
    stock_publication_state.STOCK_KEY_SQL)."""
    return f"stock:{channel_id}:{product_id}"


class StockContext(NamedTuple):
    """What a warehouse holds of a product, for payload v2: quantities in the product's unit,
    receipts as ((date, qty), ...) by date, and what confirmed deliveries still need beyond
    their reservation (owed)."""

    on_hand: float
    reserved: float
    quality_hold: float
    free: float
    incoming: tuple
    owed: float

    # The plain tuple's: the v2 digest writes contexts by the hundred thousand.
    __repr__ = tuple.__repr__


# The stock context of a product a warehouse holds nothing of.
NO_STOCK_CONTEXT = StockContext(0.0, 0.0, 0.0, 0.0, (), 0.0)


def new_context(values):
    """A StockContext from the tuple of its six values, at C speed (a snapshot makes one per
    product and warehouse; the class's own constructor is Python code)."""
    return tuple.__new__(StockContext, values)


# Moves still expected to happen: their quantities are incoming or owed, not on hand.
OPEN_MOVE_STATES = ["waiting", "confirmed", "partially_available", "assigned"]


def _context_digest(row, quantity, contexts, header):
    """Short digest of what a v2 payload is made of (`_get_stock_payload_values`' arguments:
    the product's row, its quantity, its stock context in each of the channel's warehouses,
    the channel's header): tells whether the payload would change, without building it."""
    product_id, get = row[0], contexts.get
    per_warehouse = [get((product_id, warehouse)) for warehouse, _code in header["warehouses"]]
    text = repr((row[1:], quantity, header["channel"], header["warehouse"], per_warehouse))
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


@sql_constraints
class StockPublicationChannel(models.Model):
    """Where available-to-promise quantities are published, and under which policy."""

    _name = "stock.publication.channel"
    _description = "Stock Publication Channel"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "sequence, name"

    name = fields.Char(
        required=True, tracking=True, help="How people call this channel, e.g. Webshop stock."
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    connector_id = fields.Many2one(
        "integration.connector",
        required=True,
        ondelete="restrict",
        tracking=True,
        help="The webshop or marketplace that receives the quantities. One channel per connector.",
    )
    company_id = fields.Many2one(related="connector_id.company_id", store=True)
    warehouse_ids = fields.Many2many(
        "stock.warehouse",
        string="Warehouses",
        help="Free stock of these warehouses (internal locations, quality hold left out) is "
        "what the channel may sell.",
    )
    payload_version = fields.Selection(
        PAYLOAD_VERSIONS,
        "Stock payload",
        required=True,
        default="2",
        tracking=True,
        help="Layout of the stock messages the connector receives (schema stock v1 or v2). "
        "Channels that existed before v2 keep v1 until their connector reads v2.",
    )
    share_percent = fields.Float(
        "Share of free quantity (%)",
        default=100.0,
        tracking=True,
        help="Part of the free quantity offered on this channel, after the safety buffer.",
    )
    safety_buffer = fields.Float(
        default=0.0,
        tracking=True,
        help="Units kept back from this channel before the share is applied.",
    )
    max_quantity = fields.Float(
        "Maximum exposed quantity",
        default=0.0,
        tracking=True,
        help="Never publish more than this. 0: no maximum.",
    )
    out_of_stock_threshold = fields.Float(
        default=0.0,
        tracking=True,
        help="A quantity at or below this publishes 0 (shown as out of stock).",
    )
    frozen = fields.Boolean(
        "Publication frozen",
        tracking=True,
        readonly=True,
        help="During an incident: nothing is published to this channel until unfrozen.",
    )
    exposure_percent = fields.Float(
        "Exposure (%)",
        default=100.0,
        tracking=True,
        help="Incident cap applied on top of the policy: publish at most this percentage of "
        "what the policy allows. 100: normal.",
    )
    publication_status = fields.Selection(
        [("live", "Live"), ("reduced", "Reduced exposure"), ("frozen", "Frozen")],
        compute="_compute_publication_status",
        store=True,
        string="Status",
    )
    stale_hours = fields.Float(
        "Stale window (hours)",
        default=26.0,
        help="A product whose published quantity was neither confirmed nor delivered within "
        "this many hours is stale and routed to the connector's responsible.",
    )
    override_ids = fields.One2many("stock.publication.override", "channel_id", "Overrides")
    override_count = fields.Integer(compute="_compute_counts")
    state_count = fields.Integer("Published products", compute="_compute_counts")
    stale_count = fields.Integer("Stale products", compute="_compute_counts")
    snapshot_state = fields.Selection(
        SNAPSHOT_STATES, default="idle", required=True, readonly=True, copy=False
    )
    snapshot_cursor = fields.Integer(
        readonly=True, copy=False, help="Last product id checked by the running snapshot."
    )
    snapshot_started_at = fields.Datetime(readonly=True, copy=False)
    snapshot_confirmed_at = fields.Datetime(
        "Confirmed by snapshot at",
        readonly=True,
        copy=False,
        help="Start of the last complete snapshot: every product it publishes (storable, "
        "active, with a SKU, not excluded) up to the last one it checked was compared then, "
        "and published again where it differed.",
    )
    snapshot_confirmed_through = fields.Integer(
        readonly=True, copy=False, help="Last product id checked by the last complete snapshot."
    )
    last_snapshot_at = fields.Datetime("Last snapshot at", readonly=True, copy=False)
    snapshot_checked = fields.Integer("Products checked", readonly=True, copy=False)
    snapshot_differences = fields.Integer("Differences published", readonly=True, copy=False)
    snapshot_seconds = fields.Float("Snapshot duration (s)", readonly=True, copy=False)

    _sql_constraints = [
        ("connector_uniq", "unique(connector_id)", "This connector already has a stock channel."),
        (
            "share_range",
            "CHECK(share_percent >= 0 AND share_percent <= 100)",
            "The share of free quantity is a percentage between 0 and 100.",
        ),
        (
            "exposure_range",
            "CHECK(exposure_percent >= 0 AND exposure_percent <= 100)",
            "Exposure is a percentage between 0 and 100.",
        ),
        (
            "non_negative",
            "CHECK(safety_buffer >= 0 AND max_quantity >= 0 AND out_of_stock_threshold >= 0 "
            "AND stale_hours > 0)",
            "Buffer, maximum and threshold must not be negative; the stale window must be positive.",
        ),
    ]

    # ------------------------------------------------------------------ constraints, counts

    @api.constrains("connector_id", "warehouse_ids")
    def _check_connector_and_warehouses(self):
        stock = self.env.ref("integration_core.domain_stock")
        for channel in self:
            # Stock managers need not be integration users to set a channel up.
            if stock not in channel.connector_id.sudo().allowed_domain_ids:
                raise ValidationError(
                    self.env._(
                        "Connector %s is not allowed to receive stock data: add the Stock data "
                        "domain to it first.",
                        channel.connector_id.name,
                    )
                )
            if not channel.warehouse_ids:
                raise ValidationError(
                    self.env._("Channel %s needs at least one warehouse.", channel.name)
                )

    @api.depends("frozen", "exposure_percent")
    def _compute_publication_status(self):
        for channel in self:
            if channel.frozen:
                channel.publication_status = "frozen"
            elif channel.exposure_percent < 100:
                channel.publication_status = "reduced"
            else:
                channel.publication_status = "live"

    def _compute_counts(self):
        State = self.env["stock.publication.state"]
        overrides = dict(
            self.env["stock.publication.override"]._read_group(
                [("channel_id", "in", self.ids)], ["channel_id"], ["__count"]
            )
        )
        states = dict(
            State._read_group([("channel_id", "in", self.ids)], ["channel_id"], ["__count"])
        )
        stale = dict(
            State._read_group(
                [("channel_id", "in", self.ids), ("is_stale", "=", True)],
                ["channel_id"],
                ["__count"],
            )
        )
        for channel in self:
            channel.override_count = overrides.get(channel, 0)
            channel.state_count = states.get(channel, 0)
            channel.stale_count = stale.get(channel, 0)

    # ------------------------------------------------------------------ incident switches

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_snapshot_fields(vals)
        return super().create(vals_list)

    def _check_snapshot_fields(self, vals):
        if SNAPSHOT_FIELDS & set(vals) and not in_workflow(self._name):
            raise UserError(
                self.env._(
                    "A channel's snapshot progress is written by the snapshot itself: use "
                    "*Run snapshot now*."
                )
            )

    def write(self, vals):
        self._check_snapshot_fields(vals)
        incident = {"frozen", "exposure_percent"} & set(vals)
        policy = {
            "share_percent",
            "safety_buffer",
            "max_quantity",
            "out_of_stock_threshold",
            "exposure_percent",
            "warehouse_ids",
            "payload_version",
        } & set(vals)
        before = {c.id: (c.frozen, c.exposure_percent) for c in self} if incident else {}
        result = super().write(vals)
        for channel in self.filtered(
            lambda c: before.get(c.id) and before[c.id] != (c.frozen, c.exposure_percent)
        ):
            # A logged note: who and when, without needing an e-mail address to notify.
            # (Values are formatted before the call: the translation extractor cannot read
            # f-strings inside it.)
            exposure = "%g" % channel.exposure_percent
            channel._message_log(
                body=self.env._(
                    "Incident switches changed by %(user)s at %(when)s UTC: publication "
                    "%(frozen)s, exposure %(exposure)s %%.",
                    user=self.env.user.name,
                    when=fields.Datetime.to_string(fields.Datetime.now()),
                    frozen=self.env._("frozen") if channel.frozen else self.env._("running"),
                    exposure=exposure,
                ),
            )
        if policy or (incident and "frozen" in vals and not vals["frozen"]):
            # Quantities follow the new policy at the next pass of the snapshot cron.
            self.filtered(lambda c: not c.frozen)._request_snapshot()
        return result

    def action_freeze(self):
        self.write({"frozen": True})
        return True

    def action_unfreeze(self):
        self.write({"frozen": False})
        return True

    def action_reset_exposure(self):
        self.write({"exposure_percent": 100.0})
        return True

    def action_request_snapshot(self):
        """Ask the snapshot Scheduled Action to reconcile these channels now. Stock managers
        only: for a channel already requested it would trigger the cron without any write."""
        self._integration_check_caller("stock.group_stock_manager", "write")
        self._request_snapshot()
        return True

    @workflow_method("stock.publication.channel")
    def _request_snapshot(self):
        idle = self.filtered(lambda c: c.snapshot_state == "idle")
        if idle:
            idle.write({"snapshot_state": "requested"})
        if self:
            cron = self.env.ref("stock_publication.ir_cron_stock_publication_snapshot", False)
            if cron:
                cron._trigger()

    # ------------------------------------------------------------------ actions

    def action_view_overrides(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "stock_publication.stock_publication_override_action"
        )
        action["domain"] = [("channel_id", "=", self.id)]
        action["context"] = {"default_channel_id": self.id}
        return action

    def action_view_states(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "stock_publication.stock_publication_state_action"
        )
        action["domain"] = [("channel_id", "=", self.id)]
        return action

    def action_view_stale(self):
        action = self.action_view_states()
        action["domain"] = [("channel_id", "=", self.id), ("is_stale", "=", True)]
        action["name"] = self.env._("Stale products: %s", self.name)
        return action

    # ------------------------------------------------------------------ computation

    def _policy(self):
        self.ensure_one()
        return allocation.Policy(
            share_percent=self.share_percent,
            safety_buffer=self.safety_buffer,
            max_quantity=self.max_quantity,
            out_of_stock_threshold=self.out_of_stock_threshold,
            exposure_percent=self.exposure_percent,
        )

    @api.model
    def _warehouse_locations_sql(self, warehouse_ids):
        """CTE body: (location_id, warehouse_id, on_hold) of the internal locations under each
        warehouse's view location; `on_hold` when the location or a parent is on quality hold
        (the quality hold of this addon: Community has no quality app)."""
        return SQL(
            """
            SELECT l.id AS location_id, w.id AS warehouse_id,
                   EXISTS (
                       SELECT 1 FROM stock_location h
                        WHERE h.quality_hold
                          AND left(l.parent_path, length(h.parent_path)) = h.parent_path
                   ) AS on_hold
              FROM stock_warehouse w
              JOIN stock_location vl ON vl.id = w.view_location_id
              JOIN stock_location l
                ON left(l.parent_path, length(vl.parent_path)) = vl.parent_path
             WHERE w.id = ANY(%s) AND l.usage = 'internal'
            """,
            list(warehouse_ids),
        )

    @api.model
    def _quant_figures(self, warehouse_ids, product_ids=None):
        """{(product, warehouse): (on hand, reserved, quality hold)} over the internal
        locations under each warehouse; quality hold is the unreserved quantity in hold
        locations, so on hand - reserved - quality hold is what may be promised. One SQL
        aggregate for all products (or the ids given)."""
        rows = self._quant_aggregate(
            SQL(
                "SUM(q.quantity)::float8, SUM(q.reserved_quantity)::float8, "
                "(SUM(q.quantity - q.reserved_quantity) FILTER (WHERE loc.on_hold))::float8"
            ),
            warehouse_ids,
            product_ids,
        )
        return {(p, w): (qty, reserved, hold or 0.0) for p, w, qty, reserved, hold in rows}

    @api.model
    def _free_quantities(self, warehouse_ids, product_ids=None):
        """Available to promise per (product, warehouse): on hand minus reserved in the
        internal locations under each warehouse's view location, quality-hold locations (and
        their children) left out: on hand - reserved - quality hold of `_quant_figures`, in
        a leaner aggregate over the same locations."""
        rows = self._quant_aggregate(
            SQL("SUM(q.quantity - q.reserved_quantity)::float8"),
            warehouse_ids,
            product_ids,
            where=SQL("AND NOT loc.on_hold"),
        )
        return {(p, w): qty for p, w, qty in rows}

    @api.model
    def _quant_aggregate(self, aggregates, warehouse_ids, product_ids=None, where=None):
        """Rows (product, warehouse, *aggregates) of the quants in the internal locations
        under the warehouses (alias q; loc.on_hold for quality hold): one SQL statement. The
        aggregates are cast to float8 by their callers: the sums are exact in numeric, and the
        driver then hands floats over instead of a Decimal per figure."""
        if not warehouse_ids:
            return []
        self.env["stock.quant"].flush_model(
            ["product_id", "location_id", "quantity", "reserved_quantity"]
        )
        self.env["stock.location"].flush_model(["parent_path", "usage", "quality_hold"])
        self.env.cr.execute(
            SQL(
                """
                WITH loc AS MATERIALIZED (%(locations)s)
                SELECT q.product_id, loc.warehouse_id, %(aggregates)s
                  FROM stock_quant q
                  JOIN loc ON loc.location_id = q.location_id
                 WHERE TRUE %(where)s %(products)s
                 GROUP BY q.product_id, loc.warehouse_id
                """,
                locations=self._warehouse_locations_sql(warehouse_ids),
                aggregates=aggregates,
                where=where or SQL(),
                products=self._product_condition(SQL("q.product_id"), product_ids),
            )
        )
        return self.env.cr.fetchall()

    @api.model
    def _product_condition(self, column, product_ids):
        """`AND column = ANY(product_ids)` (nothing when None), bounded by the ids' range too:
        a snapshot's chunk is a range of ids, read through the product index instead of
        filtering every quant of the warehouses."""
        if product_ids is None:
            return SQL()
        product_ids = list(product_ids)
        if not product_ids:
            return SQL("AND FALSE")
        return SQL(
            "AND %(column)s = ANY(%(ids)s::int[]) AND %(column)s BETWEEN %(low)s AND %(high)s",
            column=column,
            ids=array_literal(product_ids),
            low=min(product_ids),
            high=max(product_ids),
        )

    @api.model
    def _open_move_figures(self, warehouse_ids, product_ids):
        """({(product, warehouse): [(date, qty)]} of incoming receipts by expected date,
        {(product, warehouse): qty} owed by confirmed deliveries beyond their reservation).
        Open moves only, in the product's unit; one SQL query."""
        if not warehouse_ids or not product_ids:
            return {}, {}
        self.env["stock.move"].flush_model(
            ["product_id", "location_id", "location_dest_id", "product_qty", "state", "date"]
        )
        self.env["stock.move.line"].flush_model(["move_id", "quantity_product_uom"])
        self.env.cr.execute(
            SQL(
                """
                WITH loc AS MATERIALIZED (%(locations)s)
                SELECT 'in', m.product_id, dest.warehouse_id, m.date::date, SUM(m.product_qty)
                  FROM stock_move m
                  JOIN loc dest ON dest.location_id = m.location_dest_id
                  LEFT JOIN loc src ON src.location_id = m.location_id
                                   AND src.warehouse_id = dest.warehouse_id
                 WHERE m.state = ANY(%(states)s) %(products)s
                   AND src.location_id IS NULL
                 GROUP BY m.product_id, dest.warehouse_id, m.date::date
                UNION ALL
                SELECT 'owed', m.product_id, src.warehouse_id, NULL,
                       SUM(m.product_qty - COALESCE(r.reserved, 0))
                  FROM stock_move m
                  JOIN loc src ON src.location_id = m.location_id
                  JOIN stock_location d ON d.id = m.location_dest_id
                  LEFT JOIN LATERAL (
                      SELECT SUM(ml.quantity_product_uom) AS reserved
                        FROM stock_move_line ml WHERE ml.move_id = m.id
                  ) r ON TRUE
                 WHERE m.state = ANY(%(states)s) %(products)s
                   AND d.usage = 'customer'
                 GROUP BY m.product_id, src.warehouse_id
                """,
                locations=self._warehouse_locations_sql(warehouse_ids),
                states=OPEN_MOVE_STATES,
                products=self._product_condition(SQL("m.product_id"), product_ids),
            )
        )
        incoming, owed = {}, {}
        for kind, product_id, warehouse_id, day, quantity in self.env.cr.fetchall():
            if kind == "in":
                incoming.setdefault((product_id, warehouse_id), []).append(
                    (day.isoformat(), quantity)
                )
            else:
                owed[(product_id, warehouse_id)] = max(0.0, quantity)
        return incoming, owed

    @api.model
    def _stock_contexts(self, warehouse_ids, product_ids):
        """StockContext of payload v2 per (product, warehouse). Two SQL queries."""
        figures = self._quant_figures(warehouse_ids, product_ids)
        incoming, owed = self._open_move_figures(warehouse_ids, product_ids)
        contexts = {}
        for key, (on_hand, reserved, hold) in figures.items():
            if key in incoming or key in owed:
                continue  # below, with its moves
            contexts[key] = new_context(
                (on_hand, reserved, hold, on_hand - reserved - hold, (), 0.0)
            )
        for key in incoming.keys() | owed.keys():
            on_hand, reserved, hold = figures.get(key, (0.0, 0.0, 0.0))
            receipts = incoming.get(key)
            contexts[key] = StockContext(
                on_hand,
                reserved,
                hold,
                on_hand - reserved - hold,
                tuple(sorted(receipts)) if receipts else (),
                owed.get(key, 0.0),
            )
        return contexts

    @api.model
    def _publishable_products(self, product_ids=None, after_id=0, limit=None):
        """Rows (id, sku, discontinued, substitute sku, unit name) of the storable, active
        products with a SKU, in id order: the products a channel publishes. Quantities are
        in the product's unit of measure, which the payload names."""
        self.env["product.product"].flush_model(["default_code", "active", "product_tmpl_id"])
        self.env["product.template"].flush_model(
            ["is_storable", "stock_discontinued", "stock_substitute_product_id", "uom_id"]
        )
        self.env.cr.execute(
            SQL(
                """
                SELECT p.id, p.default_code, COALESCE(t.stock_discontinued, FALSE), s.default_code,
                       t.uom_id
                  FROM product_product p
                  JOIN product_template t ON t.id = p.product_tmpl_id
                  LEFT JOIN product_product s ON s.id = t.stock_substitute_product_id
                 WHERE %(publishable)s AND p.id > %(after)s %(products)s
                 ORDER BY p.id
                 %(limit)s
                """,
                publishable=self._publishable_condition(),
                after=after_id,
                products=SQL("AND p.id = ANY(%s::int[])", array_literal(product_ids))
                if product_ids is not None
                else SQL(),
                limit=SQL("LIMIT %s", limit) if limit else SQL(),
            )
        )
        rows = self.env.cr.fetchall()
        units = self.env["uom.uom"].browse({row[4] for row in rows})
        names = {unit.id: unit.name for unit in units}
        return [(*row[:4], names[row[4]]) for row in rows]

    @api.model
    def _publishable_condition(self):
        """What makes a product published by the channels, over product_product p joined
        to its product_template t: storable, active, with a SKU."""
        return SQL(
            "p.active AND t.active AND t.is_storable "
            "AND p.default_code IS NOT NULL AND p.default_code != ''"
        )

    def _publication_scopes(self, product_ids):
        """{channel id: (warehouse ids, product ids)} each channel publishes among
        `product_ids`: its warehouses and the products within its connector's scope
        (integration.connector._in_scope), one query per channel and kind."""
        scopes = {}
        for channel in self:
            connector = channel.connector_id
            allowed = set(connector._in_scope("stock.warehouse", channel.warehouse_ids.ids))
            warehouses = [w for w in channel.warehouse_ids.ids if w in allowed]
            scopes[channel.id] = (warehouses, connector._in_scope("product.product", product_ids))
        return scopes

    def _compute_quantities(self, products, free=None, scopes=None):
        """Quantity to publish per channel and product: {(channel id, product id): qty}.
        `products` are rows from `_publishable_products`; `free` a precomputed result of
        `_free_quantities` covering the channels' warehouses; `scopes` of
        `_publication_scopes`. Excluded products, and those outside a channel's scope, are
        absent; only the warehouses in its scope count."""
        if scopes is None:
            scopes = self._publication_scopes([row[0] for row in products])
        if free is None:
            free = self._free_quantities(set(self.warehouse_ids.ids), [row[0] for row in products])
        overrides = self.env["stock.publication.override"]._for_channels(
            self, [row[0] for row in products]
        )
        result = {}
        free_of = free.get
        allocate, excluded = allocation.allocate, allocation.EXCLUDED
        for channel in self:
            policy = channel._policy()
            channel_id = channel.id
            warehouses, in_scope = scopes[channel_id]
            if not warehouses:
                continue
            # The policy alone decides most products: its answer per free quantity is
            # remembered (stock quantities repeat); overrides and discontinued products are
            # allocated one by one.
            by_free = {}
            for product_id, _sku, discontinued, _substitute, _uom in products:
                if product_id not in in_scope:
                    continue
                quantity = 0.0
                for warehouse in warehouses:
                    quantity += free_of((product_id, warehouse), 0.0)
                override = overrides.get((channel_id, product_id))
                if override is None and not discontinued:
                    allocated = by_free.get(quantity)
                    if allocated is None:
                        allocated = by_free[quantity] = allocate(quantity, policy)
                else:
                    allocated = allocate(
                        quantity, policy, override=override, discontinued=discontinued
                    )
                if allocated is not excluded:
                    result[(channel_id, product_id)] = allocated
        return result

    def _publish(
        self,
        products,
        free=None,
        force=False,
        priority="high",
        contexts=None,
        realtime_ids=(),
        confirm=True,
    ):
        """Compute the quantities of `products` for these channels, enqueue one message per
        product and channel whose quantity (or, under payload v2, stock context) differs from
        the last published one (all when `force`), record the state. Frozen channels are
        skipped. Changes seen by events go out at high priority (real-time for reservations
        and deliveries); differences found by a snapshot at normal priority, so that a large
        reconciliation does not delay the next sale's quantity. `contexts`: a precomputed
        `_stock_contexts` for the v2 channels; `realtime_ids`: products published at real-time
        priority whatever `priority` says; `confirm`: record on each state found unchanged
        that it was checked now (a snapshot confirms them all at once when it completes, see
        snapshot_confirmed_at). Returns the number of messages queued."""
        owner = self.env.ref("integration_core.domain_stock").owner_connector_id
        # Never publish stock back to the system that owns it (enqueue would refuse it).
        channels = self.filtered(
            lambda c: (
                not c.frozen and c.active and c.connector_id.active and c.connector_id != owner
            )
        )
        if not channels or not products:
            return 0
        product_ids = [row[0] for row in products]
        v2 = channels.filtered(lambda c: c.payload_version == "2")
        if v2 and contexts is None:
            contexts = self._stock_contexts(set(channels.warehouse_ids.ids), product_ids)
            if free is None:
                free = {key: context.free for key, context in contexts.items()}
        scopes = channels._publication_scopes(product_ids)
        quantities = channels._compute_quantities(products, free=free, scopes=scopes)
        State = self.env["stock.publication.state"]
        # What each channel would be told, reduced to (quantity, digest of the v2 context):
        # compared with what it was last told in SQL, where the equal ones are confirmed in
        # the same statement; payloads are built for the differences alone.
        candidates = []
        for channel in channels:
            header = channel._get_stock_header_values(scopes[channel.id][0])
            candidates += channel._publication_candidates(products, quantities, contexts, header)
        now = fields.Datetime.now()
        if force:
            differ = candidates
        else:
            differing = State._differing(
                [(key, quantity, digest) for key, quantity, digest, *_rest in candidates],
                confirm_at=now if confirm else None,
            )
            differ = (
                [candidate for candidate in candidates if candidate[0] in differing]
                if differing
                else []
            )
        as_of = now.strftime("%Y-%m-%dT%H:%M:%SZ")
        messages, changed = [], []
        bases = {}
        substitutes = self._substitutes_in_scope(differ)
        for key, quantity, digest, channel, row, header in differ:
            payload = channel._get_stock_payload_values(row, quantity, contexts, header)
            payload["as_of"] = as_of
            if payload.get("substitute_sku") and (channel.id, row[0]) not in substitutes:
                payload["substitute_sku"] = None  # a product outside the channel's scope
            if channel not in bases:
                bases[channel] = channel._get_stock_message_base(header)
            messages.append(
                {
                    **bases[channel],
                    "payload": payload,
                    "coalescing_key": stock_key(key[0], row[0]),
                    "priority": "realtime" if row[0] in realtime_ids else priority,
                    "res_id": row[0],
                }
            )
            changed.append((key, (quantity, digest)))
        self._enqueue_stock_messages(messages)
        State._record(changed, now)
        return len(messages)

    def _publication_candidates(self, products, quantities, contexts, header):
        """(key, value, digest, channel, row, header) of the products this channel has a
        quantity for: the value compared with what it was last told is the quantity, or,
        told coarser than exactly, the threshold of its band or 1/0 for in stock or not
        (a new quantity in the same band tells nothing new); the digest is that of the v2
        stock context, told exactly only."""
        told, bands = header["granularity"]
        exact = told == granularity.EXACT
        v2 = exact and self.payload_version == "2"
        candidates = []
        channel_id = self.id
        for row in products:
            key = (channel_id, row[0])
            if key not in quantities:
                continue
            quantity = quantities[key]
            if not exact:
                quantity = granularity.coarse(told, quantity, bands)[0]
            digest = _context_digest(row, quantity, contexts, header) if v2 else None
            candidates.append((key, quantity, digest, self, row, header))
        return candidates

    @api.model
    def _substitutes_in_scope(self, candidates):
        """{(channel id, product id)} of the discontinued products among `candidates` whose
        substitute the channel may be told of (within its connector's scope)."""
        discontinued = {row[0] for _k, _q, _d, _c, row, _h in candidates if row[2] and row[3]}
        if not discontinued:
            return set()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT p.id, t.stock_substitute_product_id
                  FROM product_product p
                  JOIN product_template t ON t.id = p.product_tmpl_id
                 WHERE p.id = ANY(%s)
                """,
                list(discontinued),
            )
        )
        substitute_of = dict(rows)
        allowed = {}
        found = set()
        for _key, _quantity, _digest, channel, row, _header in candidates:
            if row[0] not in substitute_of:
                continue
            if channel not in allowed:
                allowed[channel] = channel.connector_id._in_scope(
                    "product.product", substitute_of.values()
                )
            if substitute_of[row[0]] in allowed[channel]:
                found.add((channel.id, row[0]))
        return found

    def _get_stock_message_base(self, header=None):
        """The `_enqueue` values every stock message of this channel shares (its connector,
        its schema version, the warehouses it tells of); each message adds its payload,
        coalescing key (stock:<channel id>:<product id>), priority and product (res_id).
        Told coarser than exactly, the schema is the availability one (no quantity)."""
        self.ensure_one()
        header = header or self._get_stock_header_values()
        schema = ("stock", int(self.payload_version))
        if header["granularity"][0] != granularity.EXACT:
            schema = granularity.COARSE_SCHEMAS["stock"]
        return {
            "connector": self.connector_id.id,
            "domain": "stock",
            "event_type": "stock.level",
            "schema": schema,
            "res_model": "product.product",
            "scope": {"stock.warehouse": [w for w, _code in header["warehouses"]]},
        }

    @api.model
    def _enqueue_stock_messages(self, messages):
        """Enqueue in batches of 5,000; the messages queued."""
        Message = self.env["integration.message"]
        created = Message.browse()
        for start in range(0, len(messages), 5000):
            created |= Message._enqueue(messages[start : start + 5000])
        return created

    def _get_stock_header_values(self, warehouse_ids=None):
        """What every payload of this channel shares, read once per publication: the
        connector's code, the warehouses' codes, [(warehouse id, code)] of the warehouses
        it publishes (`warehouse_ids`, default those of its connector's scope) and the
        connector's stock granularity (granularity, bands)."""
        self.ensure_one()
        if warehouse_ids is None:
            warehouse_ids = self._publication_scopes([])[self.id][0]
        warehouses = [(w.id, w.code) for w in self.warehouse_ids if w.id in warehouse_ids]
        return {
            "channel": self.connector_id.code,
            "warehouse": ",".join(code for _id, code in warehouses),
            "warehouses": warehouses,
            "granularity": self.connector_id._granularity("stock"),
        }

    def _get_stock_payload_values(self, row, quantity, contexts, header):
        """Payload (without `as_of`) of one product for this channel, in its payload version.
        `row` comes from `_publishable_products`, `quantity` from the allocation policy,
        `header` from `_get_stock_header_values`."""
        _pid, sku, discontinued, substitute, uom = row
        told, bands = header["granularity"]
        if told != granularity.EXACT:
            # Schema stock_availability: a band's label or a flag, no figure (nor unit) at all.
            payload = {"sku": sku, **granularity.coarse(told, quantity, bands)[1]}
        else:
            payload = {"sku": sku, "uom": uom, "quantity": quantity}
        payload.update(
            {
                "channel": header["channel"],
                "warehouse": header["warehouse"],
                "discontinued": bool(discontinued),
            }
        )
        if discontinued:
            payload["substitute_sku"] = substitute or None
        if told != granularity.EXACT:
            return payload
        if self.payload_version == "2":
            payload.update(
                self._get_stock_context_values(row[0], quantity, contexts, header["warehouses"])
            )
        return payload

    @api.model
    def _get_stock_context_values(self, product_id, quantity, contexts, warehouses):
        """Payload v2 fields of one product: totals over `warehouses` [(id, code)], the
        per-warehouse figures, incoming receipts by date and the backorder commitment."""
        per_warehouse = []
        on_hand = reserved = quality_hold = free = owed = 0
        incoming = {}
        for warehouse_id, code in warehouses:
            context = contexts.get((product_id, warehouse_id)) or NO_STOCK_CONTEXT
            per_warehouse.append((code, context))
            on_hand += context.on_hand
            reserved += context.reserved
            quality_hold += context.quality_hold
            free += context.free
            owed += context.owed
            for day, qty in context.incoming:
                incoming[day] = incoming.get(day, 0.0) + qty
        owed, promised = allocation.backorder(owed, free, incoming.items())
        return {
            "available_to_promise": quantity,
            "on_hand": on_hand,
            "reserved": reserved,
            "quality_hold": quality_hold,
            "incoming": [{"date": day, "qty": qty} for day, qty in sorted(incoming.items())],
            "backorder": {"quantity": owed, "promised_date": promised},
            "warehouses": [
                {
                    "warehouse": code,
                    "on_hand": context.on_hand,
                    "reserved": context.reserved,
                    "quality_hold": context.quality_hold,
                    "incoming": [{"date": d, "qty": q} for d, q in context.incoming],
                }
                for code, context in per_warehouse
            ],
        }

    # ------------------------------------------------------------------ crons

    @api.model
    def _cron_publish_dirty(self, batch_size=2000, time_budget=60):
        """Scheduled Action: take dirty products in bounded batches, publish changed
        quantities to every running channel. Commits between batches (outside tests)."""
        Message = self.env["integration.message"]
        deadline = time.monotonic() + time_budget
        channels = self.search([("frozen", "=", False)])
        total = 0
        while time.monotonic() < deadline:
            self.env.cr.execute(
                SQL(
                    """
                    DELETE FROM stock_publication_dirty
                     WHERE product_id IN (
                        SELECT product_id FROM stock_publication_dirty
                         ORDER BY realtime DESC, marked_at LIMIT %s FOR UPDATE SKIP LOCKED)
                    RETURNING product_id, realtime
                    """,
                    batch_size,
                )
            )
            rows = self.env.cr.fetchall()
            if not rows:
                break
            product_ids = [row[0] for row in rows]
            realtime = {row[0] for row in rows if row[1]}
            products = self._publishable_products(product_ids=product_ids)
            total += channels._publish(products, realtime_ids=realtime)
            Message._queue_commit()
            if len(rows) < batch_size:
                break
        return total

    @api.model
    @workflow_method("stock.publication.channel")
    def _cron_snapshot(self, chunk_size=10000, time_budget=600, nightly=False):
        """Scheduled Action: full reconciliation snapshot per channel in chunks of products,
        resuming where it stopped (progress on the channel). `nightly` starts every channel;
        otherwise only requested or unfinished snapshots run."""
        Message = self.env["integration.message"]
        deadline = time.monotonic() + time_budget
        domain = [("frozen", "=", False)]
        if not nightly:
            domain.append(("snapshot_state", "in", ("requested", "running")))
        channels = self.search(domain)
        if nightly:
            channels.filtered(lambda c: c.snapshot_state != "running").write(
                {"snapshot_state": "requested"}
            )
        for channel in channels:
            if channel.snapshot_state == "requested":
                channel.write(
                    {
                        "snapshot_state": "running",
                        "snapshot_cursor": 0,
                        "snapshot_started_at": fields.Datetime.now(),
                        "snapshot_checked": 0,
                        "snapshot_differences": 0,
                    }
                )
        Message._queue_commit()
        running = channels.filtered(lambda c: c.snapshot_state == "running")
        # Channels at the same point share one pass over the products and one ATP query
        # (over all their warehouses) per chunk.
        groups = {}
        for channel in running:
            groups[channel.snapshot_cursor] = (
                groups.get(channel.snapshot_cursor, self.browse()) | channel
            )
        for cursor, group in groups.items():
            warehouses = group.warehouse_ids.ids
            while time.monotonic() < deadline:
                products = self._publishable_products(after_id=cursor, limit=chunk_size)
                if not products:
                    started = group[0].snapshot_started_at
                    group.write(
                        {
                            "snapshot_state": "idle",
                            "last_snapshot_at": fields.Datetime.now(),
                            # Every product it publishes, up to the last id checked, was
                            # compared since it started: confirmed as of then, in one write.
                            "snapshot_confirmed_at": started,
                            "snapshot_confirmed_through": cursor,
                            "snapshot_seconds": (fields.Datetime.now() - started).total_seconds()
                            if started
                            else 0.0,
                        }
                    )
                    for channel in group:
                        _logger.info(
                            "Stock snapshot of %s done: %s products checked, %s differences published",
                            channel.name,
                            channel.snapshot_checked,
                            channel.snapshot_differences,
                        )
                    Message._queue_commit()
                    break
                free, contexts = group._snapshot_figures(warehouses, [r[0] for r in products])
                for channel in group:
                    sent = channel._publish(
                        products, free=free, priority="normal", contexts=contexts, confirm=False
                    )
                    channel.write(
                        {
                            "snapshot_cursor": products[-1][0],
                            "snapshot_checked": channel.snapshot_checked + len(products),
                            "snapshot_differences": channel.snapshot_differences + sent,
                        }
                    )
                    _logger.info(
                        "Stock snapshot of %s: %s products checked, %s differences so far",
                        channel.name,
                        channel.snapshot_checked,
                        channel.snapshot_differences,
                    )
                cursor = products[-1][0]
                Message._queue_commit()
        return True

    def _snapshot_figures(self, warehouse_ids, product_ids):
        """(free quantities, v2 stock contexts or None) of a snapshot chunk, shared by these
        channels: one quant aggregate, plus the open moves when a channel publishes v2."""
        if not self.filtered(lambda c: c.payload_version == "2"):
            return self._free_quantities(warehouse_ids, product_ids=product_ids), None
        contexts = self._stock_contexts(warehouse_ids, product_ids)
        return {key: context.free for key, context in contexts.items()}, contexts

    @api.model
    def _cron_check_stale(self):
        """Scheduled Action: route the stale products of each channel to the connector's
        responsible as one activity per channel (updated while it stays open)."""
        State = self.env["stock.publication.state"]
        activity_type = self.env.ref("mail.mail_activity_data_todo")
        for channel in self.search([]):
            stale = State.search([("channel_id", "=", channel.id), ("is_stale", "=", True)])
            open_activity = channel.activity_ids.filtered(
                lambda a: (
                    a.activity_type_id == activity_type
                    and a.summary
                    and a.summary.startswith(self.env._("Stale stock"))
                )
            )
            if not stale:
                if open_activity:
                    open_activity.action_feedback(feedback=self.env._("No stale products left."))
                continue
            skus = ", ".join(stale[:20].mapped("product_id.default_code"))
            hours = "%g" % channel.stale_hours
            note = self.env._(
                "%(count)s products were not confirmed on %(channel)s within %(hours)s hours: "
                "%(skus)s%(more)s",
                count=len(stale),
                channel=channel.name,
                hours=hours,
                skus=skus,
                more="…" if len(stale) > 20 else "",
            )
            summary = self.env._("Stale stock: %s products", len(stale))
            if open_activity:
                open_activity.write({"summary": summary, "note": note})
            else:
                channel.activity_schedule(
                    "mail.mail_activity_data_todo",
                    summary=summary,
                    note=note,
                    user_id=(channel.connector_id.responsible_user_id or self.env.user).id,
                )
        return True

    # ------------------------------------------------------------------ demo

    @api.model
    @workflow_method("stock.publication.channel")
    def _demo_populate(self):
        """Demo: publish the demo channels once, then age one webshop product so that it is
        stale, and route it."""
        channels = self.browse(
            [
                self.env.ref(f"stock_publication.demo_channel_{name}").id
                for name in ("webshop", "marketplace")
            ]
        )
        products = self._publishable_products()
        channels._publish(products)
        self.env.cr.execute(SQL("DELETE FROM stock_publication_dirty"))
        stale = self.env["stock.publication.state"].search(
            [
                ("channel_id", "=", channels[0].id),
                ("product_id", "=", self.env.ref("product.product_product_9").id),
            ]
        )
        if stale:
            self.env.flush_all()
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE stock_publication_state
                       SET last_published_at = %(old)s, last_checked_at = %(old)s
                     WHERE id = %(id)s
                    """,
                    old=fields.Datetime.now() - timedelta(days=3),
                    id=stale.id,
                )
            )
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE integration_message
                       SET state = 'failed', attempts = 3, last_attempt_at = %(old)s,
                           next_attempt_at = now() AT TIME ZONE 'UTC' + interval '20 minutes',
                           error_category = 'timeout',
                           error_message = 'No answer from the remote within 10 seconds.'
                     WHERE id = %(id)s
                    """,
                    old=fields.Datetime.now() - timedelta(days=3),
                    id=stale.message_id.id,
                )
            )
            self.env.invalidate_all()
        channels[0].write({"last_snapshot_at": fields.Datetime.now() - timedelta(days=3)})
        self._cron_check_stale()
