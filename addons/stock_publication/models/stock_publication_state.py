# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.integration_core.compat.constraints import sql_constraints
from odoo.addons.integration_core.models.integration_message import MESSAGE_STATES
from odoo.addons.integration_core.tools.pg import array_literal

# The coalescing key of the stock messages of channel c for product s.product_id (the
# publication's stock_key()): SQL twin of stock_publication_channel.stock_key.
STOCK_KEY_SQL = SQL("'stock:' || s.channel_id || ':' || s.product_id")


@sql_constraints
class StockPublicationState(models.Model):
    """What a channel was last told about a product: the quantity, when, and by which message.
    Written in bulk by the publication crons (raw SQL upserts), read by people."""

    _name = "stock.publication.state"
    _description = "Stock Publication State"
    _order = "last_published_at desc, id desc"
    _rec_name = "product_id"
    # Written in bulk (two rows per product for two channels): no create/write user and date
    # columns, whose foreign keys would be checked on every row of a snapshot.
    _log_access = False

    # The unique (channel, product) index serves channel lookups: no second index to maintain
    # on the bulk upserts of a snapshot.
    channel_id = fields.Many2one(
        "stock.publication.channel", required=True, ondelete="cascade", readonly=True
    )
    product_id = fields.Many2one(
        "product.product", required=True, ondelete="cascade", index=True, readonly=True
    )
    default_code = fields.Char(related="product_id.default_code", string="SKU")
    last_quantity = fields.Float(readonly=True)
    last_context_digest = fields.Char(
        readonly=True,
        help="Digest of the stock context (on hand, reserved, quality hold, incoming, backorder) "
        "last published under payload v2: a context that changes is published again even "
        "when the quantity does not.",
    )
    last_published_at = fields.Datetime(readonly=True)
    last_checked_at = fields.Datetime(
        readonly=True,
        help="When the quantity was last computed and found equal to, or published as, the "
        "channel's quantity.",
    )
    # Not stored: the last message queued for the state is the newest of its coalescing key
    # (STOCK_KEY), found through the queue's key-order index. A stored link cost a
    # foreign-key check (a lock on the message row) per state written by a snapshot, and a
    # lookup per message removed by retention.
    message_id = fields.Many2one(
        "integration.message",
        "Last message",
        compute="_compute_message_id",
        groups="integration_core.group_integration_user",
    )
    message_state = fields.Selection(
        MESSAGE_STATES,
        string="Delivery",
        compute="_compute_message_id",
        search="_search_message_state",
        groups="integration_core.group_integration_user",
    )
    confirmed_at = fields.Datetime(
        "Confirmed at",
        compute="_compute_confirmed_at",
        help="When the channel's quantity was last known right: published, checked by a "
        "publication, or confirmed by the channel's last complete snapshot.",
    )
    is_stale = fields.Boolean(compute="_compute_confirmed_at", search="_search_is_stale")

    _sql_constraints = [
        (
            "channel_product_uniq",
            "unique(channel_id, product_id)",
            "One state per channel and product.",
        )
    ]

    @api.model
    def _last_message_sql(self):
        """LATERAL subquery (alias m: id, state) of the newest message queued for state s of
        channel c: the newest of its coalescing key, by the key-order index."""
        return SQL(
            """
            LEFT JOIN LATERAL (
                SELECT lm.id, lm.state FROM integration_message lm
                 WHERE lm.connector_id = c.connector_id AND lm.coalescing_key = %(key)s
                 ORDER BY lm.key_sequence DESC
                 LIMIT 1) m ON TRUE
            """,
            key=STOCK_KEY_SQL,
        )

    def _compute_message_id(self):
        rows = {}
        if self.ids:
            self.env.flush_all()
            self.env.cr.execute(
                SQL(
                    """
                    SELECT s.id, m.id, m.state
                      FROM stock_publication_state s
                      JOIN stock_publication_channel c ON c.id = s.channel_id
                      %(last_message)s
                     WHERE s.id = ANY(%(ids)s::int[])
                    """,
                    last_message=self._last_message_sql(),
                    ids=array_literal(self.ids),
                )
            )
            rows = {row[0]: row for row in self.env.cr.fetchall()}
        Message = self.env["integration.message"]
        for state in self:
            _id, message_id, message_state = rows.get(state.id, (None, None, None))
            state.message_id = Message.browse(message_id)
            state.message_state = message_state or False

    def _search_message_state(self, operator, value):
        if operator not in ("=", "!=", "in", "not in"):
            raise NotImplementedError(self.env._("Search the delivery with =, !=, in or not in."))
        wanted = [value] if operator in ("=", "!=") else list(value)
        positive = operator in ("=", "in")
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT s.id
                  FROM stock_publication_state s
                  JOIN stock_publication_channel c ON c.id = s.channel_id
                  %(last_message)s
                 WHERE m.state = ANY(%(states)s)
                """,
                last_message=self._last_message_sql(),
                states=[v for v in wanted if v],
            )
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        return [("id", "in" if positive else "not in", ids)]

    def init(self):
        # The stored link to the last message is gone (see message_id).
        self.env.cr.execute("ALTER TABLE stock_publication_state DROP COLUMN IF EXISTS message_id")
        # Each snapshot confirms every row it finds unchanged (last_checked_at): room left on
        # each page lets PostgreSQL update a row in place (HOT), without touching the indexes.
        self.env.cr.execute("ALTER TABLE stock_publication_state SET (fillfactor = 70)")

    @api.model
    def _confirmed_at_sql(self):
        """When state s (of channel c) was last confirmed: its own last publication or check,
        or the start of the channel's last complete snapshot when that snapshot covered it (a
        product it publishes, not excluded from the channel, up to the last id it checked).
        One rule for the form and for the stale search."""
        Channel = self.env["stock.publication.channel"]
        return SQL(
            """
            GREATEST(COALESCE(s.last_checked_at, s.last_published_at),
                     CASE WHEN s.product_id <= c.snapshot_confirmed_through
                           AND EXISTS (
                               SELECT 1 FROM product_product p
                                 JOIN product_template t ON t.id = p.product_tmpl_id
                                WHERE p.id = s.product_id AND %(publishable)s)
                           AND NOT EXISTS (
                               SELECT 1 FROM stock_publication_override o
                                WHERE o.channel_id = s.channel_id
                                  AND o.product_id = s.product_id AND o.mode = 'exclude')
                          THEN c.snapshot_confirmed_at END)
            """,
            publishable=Channel._publishable_condition(),
        )

    def _confirmed_at_rows(self, where, stale_only=False):
        """Rows (id, confirmed at, stale) of the states matching SQL `where` (aliases s, c),
        only the stale ones when `stale_only`. Stale: not confirmed within the channel's
        window, or its last message still not delivered (or failed for good) after it."""
        self.env.flush_all()
        now = fields.Datetime.now()
        stale = SQL(
            """
            (%(confirmed)s < %(now)s - make_interval(secs => c.stale_hours * 3600)
             OR (m.state IN ('pending', 'sending', 'failed', 'dead')
                 AND s.last_published_at < %(now)s - make_interval(secs => c.stale_hours * 3600)))
            """,
            confirmed=self._confirmed_at_sql(),
            now=now,
        )
        self.env.cr.execute(
            SQL(
                """
                SELECT s.id, %(confirmed)s, %(stale)s
                  FROM stock_publication_state s
                  JOIN stock_publication_channel c ON c.id = s.channel_id
                  %(last_message)s
                 WHERE %(where)s %(stale_only)s
                """,
                last_message=self._last_message_sql(),
                confirmed=self._confirmed_at_sql(),
                stale=stale,
                where=where,
                stale_only=SQL("AND %s", stale) if stale_only else SQL(),
            )
        )
        return self.env.cr.fetchall()

    @api.depends(
        "last_checked_at",
        "last_published_at",
        "channel_id.stale_hours",
        "channel_id.snapshot_confirmed_at",
    )
    def _compute_confirmed_at(self):
        """confirmed_at and is_stale, one query for both."""
        rows = (
            {row[0]: row for row in self._confirmed_at_rows(SQL("s.id = ANY(%s)", self.ids))}
            if self.ids
            else {}
        )
        for state in self:
            _id, confirmed_at, stale = rows.get(state.id, (None, False, False))
            state.confirmed_at = confirmed_at
            state.is_stale = bool(stale)

    def _search_is_stale(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise NotImplementedError(self.env._("Search stale products with = True or = False."))
        ids = [row[0] for row in self._confirmed_at_rows(SQL("TRUE"), stale_only=True)]
        positive = (operator == "=") == value
        return [("id", "in" if positive else "not in", ids)]

    @api.model
    def _last_quantities(self, channel_ids, product_ids):
        """{(channel id, product id): (last quantity, last context digest)} in one query."""
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT channel_id, product_id, last_quantity, last_context_digest
                  FROM stock_publication_state
                 WHERE channel_id = ANY(%s) AND product_id = ANY(%s)
                """,
                list(channel_ids),
                list(product_ids),
            )
        )
        return {(c, p): (q, d) for c, p, q, d in self.env.cr.fetchall()}

    @api.model
    def _differing(self, rows, confirm_at=None):
        """Compare what channels would be told with what they were last told, in one
        statement: `rows` [((channel id, product id), quantity, context digest or None)];
        returns the set of keys that differ (or were never published). With `confirm_at`,
        the states found equal are marked checked then (last_checked_at), in the same
        statement."""
        if not rows:
            return set()
        self.flush_model()
        values = {
            "channels": array_literal(key[0] for key, _q, _d in rows),
            "products": array_literal(key[1] for key, _q, _d in rows),
            "quantities": array_literal(quantity for _key, quantity, _d in rows),
            "digests": array_literal(digest for _key, _q, digest in rows),
        }
        rows_sql = SQL(
            """
            SELECT * FROM unnest(%(channels)s::int[], %(products)s::int[],
                                 %(quantities)s::float8[], %(digests)s::varchar[])
                AS r(channel_id, product_id, quantity, digest)
            """,
            **values,
        )
        # The products' id range: the states are read through the product index, not all
        # of them hashed at each chunk of a snapshot.
        low = min(key[1] for key, _q, _d in rows)
        high = max(key[1] for key, _q, _d in rows)
        if confirm_at is None:
            query = SQL(
                """
                SELECT r.channel_id, r.product_id
                  FROM (%(rows)s) r
                  LEFT JOIN stock_publication_state s
                    ON s.channel_id = r.channel_id AND s.product_id = r.product_id
                   AND s.product_id BETWEEN %(low)s AND %(high)s
                 WHERE s.id IS NULL OR s.last_quantity IS DISTINCT FROM r.quantity
                    OR s.last_context_digest IS DISTINCT FROM r.digest
                """,
                rows=rows_sql,
                low=low,
                high=high,
            )
        else:
            query = SQL(
                """
                WITH r AS (%(rows)s), same AS (
                    UPDATE stock_publication_state s SET last_checked_at = %(now)s
                      FROM r
                     WHERE s.channel_id = r.channel_id AND s.product_id = r.product_id
                       AND s.product_id BETWEEN %(low)s AND %(high)s
                       AND s.last_quantity = r.quantity
                       AND s.last_context_digest IS NOT DISTINCT FROM r.digest
                 RETURNING s.channel_id, s.product_id
                )
                SELECT r.channel_id, r.product_id FROM r
                 WHERE NOT EXISTS (
                    SELECT 1 FROM same
                     WHERE same.channel_id = r.channel_id AND same.product_id = r.product_id)
                """,
                rows=rows_sql,
                now=confirm_at,
                low=low,
                high=high,
            )
        self.env.cr.execute(query)
        differing = set(self.env.cr.fetchall())
        if confirm_at is not None:
            self.invalidate_model(["last_checked_at"])
        return differing

    @api.model
    def _record(self, changed, now):
        """Upsert the states of published quantities (bulk). `changed`: [((channel id,
        product id), (quantity, context digest or None))]."""
        if not changed:
            return
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO stock_publication_state AS s (
                    channel_id, product_id, last_quantity, last_context_digest,
                    last_published_at, last_checked_at)
                SELECT r.channel_id, r.product_id, r.quantity, r.digest, %(now)s, %(now)s
                  FROM unnest(%(channels)s::int[], %(products)s::int[], %(quantities)s::float8[],
                              %(digests)s::varchar[])
                       AS r(channel_id, product_id, quantity, digest)
                ON CONFLICT (channel_id, product_id) DO UPDATE
                   SET last_quantity = EXCLUDED.last_quantity,
                       last_context_digest = EXCLUDED.last_context_digest,
                       last_published_at = EXCLUDED.last_published_at,
                       last_checked_at = EXCLUDED.last_checked_at
                """,
                now=now,
                channels=array_literal(key[0] for key, _q in changed),
                products=array_literal(key[1] for key, _q in changed),
                quantities=array_literal(q for _key, (q, _d) in changed),
                digests=array_literal(d for _key, (_q, d) in changed),
            )
        )
        self.invalidate_model()
