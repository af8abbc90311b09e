# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import logging
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.base.models.ir_model import MODULE_UNINSTALL_FLAG
from odoo.addons.integration_core.tools.product_mapping import internal_sku
from odoo.addons.integration_core.tools.workflow import in_workflow, workflow_method, workflow_scope

_logger = logging.getLogger(__name__)

VERSION_STATES = [
    ("scheduled", "Scheduled"),
    ("effective", "In effect"),
    ("overridden", "Overridden for a while"),
    ("retired", "Retired"),
    ("superseded", "Superseded"),
    ("cancelled", "Cancelled"),
]
# What the effect Scheduled Action may still change on a version: nothing else, ever.
EFFECT_FIELDS = {"state", "previous_version_id", "activated_at", "retired_at"}
# The models the effect writes: versions, and the items of governed pricelists.
EFFECT_MODELS = ("price.version", "product.pricelist.item")
# What the effect Scheduled Action reads of the versions it moves, in its one search.
EFFECT_READ_FIELDS = [
    "change_id",
    "pricelist_id",
    "product_id",
    "min_quantity",
    "date_start",
    "date_end",
    "state",
    "previous_version_id",
]


def _iso(value):
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


class PriceVersion(models.Model):
    """An approved price of one product in one pricelist: immutable history.

    Created when a price change is approved, one per line. Only the effect Scheduled Action
    moves its state (scheduled, in effect, overridden by a temporary price, retired,
    superseded); its price, product, pricelist and window never change."""

    _name = "price.version"
    _description = "Price Version"
    _order = "pricelist_id, product_id, version desc, id desc"

    change_id = fields.Many2one(
        "price.change", required=True, ondelete="restrict", index=True, readonly=True
    )
    change_line_id = fields.Many2one("price.change.line", readonly=True, ondelete="set null")
    company_id = fields.Many2one(related="change_id.company_id", store=True)
    pricelist_id = fields.Many2one(
        "product.pricelist", required=True, readonly=True, ondelete="restrict", index=True
    )
    product_id = fields.Many2one(
        "product.product", required=True, readonly=True, ondelete="restrict", index=True
    )
    product_tmpl_id = fields.Many2one(related="product_id.product_tmpl_id", store=True, index=True)
    min_quantity = fields.Float("Min. quantity", readonly=True, digits="Product Unit of Measure")
    fixed_price = fields.Float("Price", readonly=True, digits="Product Price")
    currency_id = fields.Many2one("res.currency", readonly=True, required=True)
    version = fields.Integer(
        readonly=True, required=True, help="Counts the versions of this product in this pricelist."
    )
    date_start = fields.Datetime("Effective from", readonly=True, required=True)
    date_end = fields.Datetime("Effective to", readonly=True)
    state = fields.Selection(
        VERSION_STATES, default="scheduled", required=True, readonly=True, index=True
    )
    previous_version_id = fields.Many2one(
        "price.version",
        readonly=True,
        help="The version in effect when this one started: it comes back when this one ends.",
    )
    activated_at = fields.Datetime(readonly=True)
    retired_at = fields.Datetime(readonly=True)
    approved_by_id = fields.Many2one(related="change_id.approved_by_id")
    requested_by_id = fields.Many2one(related="change_id.requested_by_id")

    @api.depends("version", "product_id", "pricelist_id")
    def _compute_display_name(self):
        for version in self:
            version.display_name = f"{version.product_id.display_name} @ {version.pricelist_id.name} v{version.version}"

    # ------------------------------------------------------------------ immutability

    @api.model_create_multi
    def create(self, vals_list):
        if not in_workflow(self._name):
            raise UserError(
                self.env._("Price versions are created by approving a price change, not by hand.")
            )
        return super().create(vals_list)

    def write(self, vals):
        if not in_workflow(self._name):
            raise self._immutable_error()
        self._check_effect_fields(vals)
        return super().write(vals)

    def _check_effect_fields(self, vals):
        """Even the effect changes nothing but the EFFECT_FIELDS of a version."""
        if set(vals) - EFFECT_FIELDS:
            raise self._immutable_error()

    def _immutable_error(self):
        return UserError(
            self.env._(
                "Price versions cannot be changed: they are the price history. "
                "Roll back to a version or submit a new change instead."
            )
        )

    def unlink(self):
        # Only uninstalling the module removes the history.
        if not (self.env.su and self.env.context.get(MODULE_UNINSTALL_FLAG)):
            raise UserError(
                self.env._("Price versions cannot be deleted: they are the price history.")
            )
        return super().unlink()

    def _set_state(self, state, **extra):
        """Move these versions to `state`, with other EFFECT_FIELDS in `extra`, in one UPDATE
        whatever their number (the ORM writes them in statements of a hundred rows)."""
        if not self:
            return
        vals = {"state": state, **extra}
        self._check_effect_fields(vals)
        self.flush_recordset(list(vals))
        # The insert's conversion: plain (untranslated, not company-dependent) fields convert
        # the same for an UPDATE, and 19.0 keeps only this one.
        assignments = [
            SQL(
                "%s = %s",
                SQL.identifier(name),
                self._fields[name].convert_to_column_insert(value, self),
            )
            for name, value in vals.items()
        ]
        self.env.execute_query(
            SQL(
                "UPDATE price_version SET %s, write_uid = %s, write_date = %s WHERE id = ANY(%s)",
                SQL(", ").join(assignments),
                self.env.uid,
                self.env.cr.now(),
                self.ids,
            )
        )
        self.invalidate_recordset([*vals, "write_uid", "write_date"])
        self.modified(list(vals))

    # ------------------------------------------------------------------ creation

    @api.model
    def _create_from_lines(self, lines):
        """One scheduled version per approved line, numbered per pricelist and product."""
        if not lines:
            return self.browse()
        groups = self._read_group(
            [
                ("pricelist_id", "in", lines.pricelist_id.ids),
                ("product_id", "in", lines.product_id.ids),
            ],
            ["pricelist_id", "product_id"],
            ["version:max"],
        )
        last = {(pl.id, p.id): n for pl, p, n in groups}
        vals_list = []
        for line in lines:
            key = (line.pricelist_id.id, line.product_id.id)
            last[key] = last.get(key, 0) + 1
            vals_list.append(
                {
                    "change_id": line.change_id.id,
                    "change_line_id": line.id,
                    "pricelist_id": line.pricelist_id.id,
                    "product_id": line.product_id.id,
                    "min_quantity": line.min_quantity,
                    "fixed_price": line.fixed_price,
                    "currency_id": line.currency_id.id,
                    "version": last[key],
                    "date_start": line.change_id.effective_from,
                    "date_end": line.change_id.effective_to,
                }
            )
        with workflow_scope(self._name):
            return self.sudo().create(vals_list)

    def _key(self):
        return (self.pricelist_id.id, self.product_id.id, round(self.min_quantity, 6))

    # ------------------------------------------------------------------ effect

    @api.model
    def _cron_effect(self, batch_size=1000, max_batches=None):
        """Scheduled Action: retire versions whose window ended (restoring the version they
        overrode), make due versions effective in the pricelists, queue their publication,
        then move the changes' states. Bounded batches, committed between them outside
        tests; safe to re-run (each step only picks what is still due). A batch runs the
        same number of queries whatever its size."""
        Message = self.env["integration.message"]
        batches = 0
        touched_changes = set()
        while max_batches is None or batches < max_batches:
            now = fields.Datetime.now()
            ending = self.search_fetch(
                [
                    ("state", "in", ("effective", "overridden", "scheduled")),
                    ("date_end", "!=", False),
                    ("date_end", "<=", now),
                ],
                EFFECT_READ_FIELDS,
                order="date_end, id",
                limit=batch_size,
            )
            if ending:
                touched_changes.update(ending.change_id.ids)
                ending._retire(now)
            due = self.search_fetch(
                [("state", "=", "scheduled"), ("date_start", "<=", now)],
                EFFECT_READ_FIELDS,
                order="date_start, id",
                limit=batch_size,
            )
            if due:
                touched_changes.update(due.change_id.ids)
                replaced = due._activate(now)
                # The items' deletion emptied the cache: their changes in one query.
                replaced.fetch(["change_id"])
                touched_changes.update(replaced.change_id.ids)
            if not ending and not due:
                break
            batches += 1
            self.env["price.change"].browse(touched_changes)._sync_state_from_versions()
            touched_changes.clear()
            Message._queue_commit()
        return batches

    def _items(self):
        return (
            self.env["product.pricelist.item"].sudo().search([("price_version_id", "in", self.ids)])
        )

    @workflow_method(*EFFECT_MODELS)
    def _activate(self, now):
        """Write these due versions to the pricelists (one tagged item per pricelist, product
        and quantity break) and queue their publication. Returns the versions they replaced."""
        by_key = defaultdict(list)
        for version in self.sorted(lambda v: (v.date_start, v.id)):
            by_key[version._key()].append(version)
        current = self.search_fetch(
            [
                ("state", "=", "effective"),
                ("pricelist_id", "in", self.pricelist_id.ids),
                ("product_id", "in", self.product_id.ids),
                ("id", "not in", self.ids),
            ],
            EFFECT_READ_FIELDS,
        )
        current_of = {v._key(): v for v in current}
        superseded, overridden, winners = [], [], []
        previous = {}
        for key, versions in by_key.items():
            holder = current_of.get(key)
            for version in versions:
                if holder:
                    previous[version.id] = holder.id
                    (overridden if version.date_end else superseded).append(holder.id)
                holder = version
            winners.append(holder.id)
        superseded, overridden, winners = map(self.browse, (superseded, overridden, winners))
        # Versions replaced inside this very batch never reach a pricelist: they are in
        # superseded / overridden already.
        (superseded | overridden)._items().unlink()
        superseded._set_state("superseded", retired_at=now)
        overridden._set_state("overridden")
        winners._set_state("effective", activated_at=now)
        self._write_previous(previous)
        winners._write_items()
        winners._publish()
        return superseded | overridden

    @workflow_method(*EFFECT_MODELS)
    def _retire(self, now):
        """End these versions' windows: remove their items and bring back the version each
        one overrode, if that one is still valid; publish what now applies."""
        in_effect = self.filtered(lambda v: v.state == "effective")
        restore = self.browse()
        for version in in_effect:
            previous = version.previous_version_id
            if previous.state == "overridden" and (
                not previous.date_end or previous.date_end > now
            ):
                restore |= previous
        in_effect._items().unlink()
        self._set_state("retired", retired_at=now)
        restore._set_state("effective")
        restore._write_items()
        restore._publish(reason="restore", stamp=now)
        restored_keys = {v._key() for v in restore}
        fallback = in_effect.filtered(lambda v: v._key() not in restored_keys)
        fallback._publish(reason="retire")

    def _write_previous(self, previous):
        if not previous:
            return
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """
                UPDATE price_version v SET previous_version_id = p.previous_id
                  FROM unnest(%(ids)s::int[], %(prev)s::int[]) AS p(id, previous_id)
                 WHERE v.id = p.id
                """,
                ids=list(previous),
                prev=list(previous.values()),
            )
        )
        self.invalidate_model(["previous_version_id"])

    def _write_items(self):
        """One rule per version in its pricelist, tagged with the version, inserted by one
        INSERT ... SELECT whatever the number of versions: product, price, quantity break and
        window from the version, template from the product, company and currency from the
        pricelist (as their related fields would), every other field as create() would set
        it (see product.pricelist.item._sql_insert_defaults and _sql_created). The values
        passed the rules of their approved change: the rules' Python constraints are not run
        again row by row."""
        Item = self.env["product.pricelist.item"].sudo()
        if not self:
            return Item
        self.flush_model()
        self.env["product.pricelist"].flush_model(["company_id", "currency_id"])
        self.env["product.product"].flush_model(["product_tmpl_id"])
        columns = {
            "pricelist_id": SQL("v.pricelist_id"),
            "company_id": SQL("pl.company_id"),
            "currency_id": SQL("pl.currency_id"),
            "applied_on": SQL("%s", "0_product_variant"),
            "product_tmpl_id": SQL("pp.product_tmpl_id"),
            "product_id": SQL("v.product_id"),
            "compute_price": SQL("%s", "fixed"),
            "fixed_price": SQL("v.fixed_price"),
            "min_quantity": SQL("v.min_quantity"),
            "date_start": SQL("v.date_start"),
            "date_end": SQL("v.date_end"),
            "price_version_id": SQL("v.id"),
            # No discount, so no markup (price_markup is computed as -price_discount).
            "price_discount": SQL("0"),
            "price_markup": SQL("0"),
            "create_uid": SQL("%s", self.env.uid),
            "create_date": SQL("%s", self.env.cr.now()),
            "write_uid": SQL("%s", self.env.uid),
            "write_date": SQL("%s", self.env.cr.now()),
        }
        columns.update(Item._sql_insert_defaults(columns))
        rows = self.env.execute_query(
            SQL(
                """
                INSERT INTO product_pricelist_item (%(columns)s)
                SELECT %(values)s
                  FROM price_version v
                  JOIN product_pricelist pl ON pl.id = v.pricelist_id
                  JOIN product_product pp ON pp.id = v.product_id
                 WHERE v.id = ANY(%(ids)s)
                 ORDER BY v.id
                RETURNING id
                """,
                columns=SQL(", ").join(SQL.identifier(name) for name in columns),
                values=SQL(", ").join(columns.values()),
                ids=self.ids,
            )
        )
        return Item.browse([row[0] for row in rows])._sql_created(columns)

    # ------------------------------------------------------------------ publication

    def _publish(self, reason="effect", stamp=None, only_to=None):
        """Queue the canonical price of these versions to the connectors subscribed to their
        pricelists (those of them in `only_to` when given: a re-publication to one channel).
        reason "retire": the version ended with nothing to restore; the payload then carries
        the price the pricelist computes without it. The versions' figures are read in one
        query; pricelists, currencies and changes once each."""
        if not self:
            return self.env["integration.message"]
        rows = self._publication_rows()
        if reason == "retire":
            fallback = self.env["product.pricelist"]._current_prices(
                [(v.pricelist_id, v.product_id, v.min_quantity) for v in self]
            )
            for row in rows.values():
                row["price"] = fallback[(row["pricelist_id"], row["product_id"], row["qty_key"])]
        by_pricelist = defaultdict(list)
        for version_id in self.ids:
            by_pricelist[rows[version_id]["pricelist_id"]].append(rows[version_id])
        messages = self.env["integration.message"]
        for pricelist_id, group in by_pricelist.items():
            pricelist = self.env["product.pricelist"].browse(pricelist_id)
            customers = pricelist._price_customers()[pricelist.id]
            domain_code = pricelist._price_domain_code(customers)
            connectors = pricelist._publication_connectors(customers)
            if only_to is not None:
                connectors &= only_to
            if not connectors:
                continue
            payloads, keys, coalescing, numbers = [], [], [], []
            for row in group:
                payload = self._publication_payload(row, pricelist, reason)
                payloads.append(payload)
                # One key per version, event and connector (appended by _integration_publish):
                # a re-run queues nothing twice; a later restore of the same version does.
                keys.append(
                    f"price-version-{row['id']}-{reason}" + (f"-{_iso(stamp)}" if stamp else "")
                )
                coalescing.append(f"price:{pricelist.id}:{row['product_id']}:{row['min_quantity']}")
                numbers.append(str(payload["version"]))
            carried = {"product.pricelist": [pricelist.id]}
            if domain_code == "customer_price":
                # Only channels in scope for every customer of the pricelist get its prices.
                carried["res.partner"] = customers.ids
            messages |= self.browse([row["id"] for row in group])._integration_publish(
                domain_code,
                "price.updated",
                payloads,
                connectors=connectors,
                schema="price",
                coalescing_keys=coalescing,
                idempotency_keys=keys,
                versions=numbers,
                # Each connector gets the prices of the products within its scope only.
                scopes=[{"product.product": [row["product_id"]], **carried} for row in group],
            )
        return messages

    def _publication_rows(self):
        """{version id: what its price message says}, for all of self in one query."""
        self.flush_model()
        self.env["product.product"].flush_model(["default_code", "barcode", "product_tmpl_id"])
        self.env["product.template"].flush_model(["uom_id"])
        rows = self.env.execute_query_dict(
            SQL(
                """
                SELECT v.id, v.pricelist_id, v.product_id, v.currency_id, v.change_id,
                       v.fixed_price AS price, v.min_quantity, v.date_start, v.date_end,
                       v.version, pp.default_code, pp.barcode, pt.uom_id
                  FROM price_version v
                  JOIN product_product pp ON pp.id = v.product_id
                  JOIN product_template pt ON pt.id = pp.product_tmpl_id
                 WHERE v.id = ANY(%s)
                """,
                self.ids,
            )
        )
        units = self.env["uom.uom"].browse({row["uom_id"] for row in rows})
        unit_names = {unit.id: unit.name for unit in units}
        for row in rows:
            row["uom"] = unit_names[row["uom_id"]]
            row["price"] = row["price"] or 0.0
            row["min_quantity"] = row["min_quantity"] or 0.0
            row["qty_key"] = round(row["min_quantity"], 6)
        return {row["id"]: row for row in rows}

    @api.model
    def _publication_payload(self, row, pricelist, reason):
        """The canonical "price" payload of one row of _publication_rows: the price of one
        unit of the product's unit of measure (`uom`), from `min_quantity` of that unit."""
        currency = self.env["res.currency"].browse(row["currency_id"])
        change = self.env["price.change"].browse(row["change_id"])
        payload = {
            "sku": internal_sku(row["default_code"], row["barcode"], row["product_id"]),
            "product_id": row["product_id"],
            "uom": row["uom"],
            "pricelist": pricelist.name,
            "currency": currency.name,
            "price": row["price"],
            "min_quantity": row["min_quantity"],
            "effective_from": _iso(row["date_start"]),
            "effective_to": _iso(row["date_end"]),
            "version": row["version"],
            "change_reference": change.name,
        }
        if reason == "retire":
            payload["effective_from"] = _iso(row["date_end"])
            payload["effective_to"] = None
            payload["version"] = f"{row['version']}-retired"
        return payload

    # ------------------------------------------------------------------ user actions

    def action_rollback(self):
        """A new draft change that brings this version's price back, from now on (needs the
        right to create price changes)."""
        self.ensure_one()
        self.env["price.change"].check_access("create")
        with workflow_scope("price.change"):  # source and rolled-back version: the workflow's
            change = self.env["price.change"].create(self._prepare_rollback_values())
        change._message_log(
            body=self.env._(
                "Created to roll back to %(v)s (price %(p)s, from %(c)s).",
                v=self.display_name,
                p=self.fixed_price,
                c=self.change_id.name,
            )
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "price.change",
            "res_id": change.id,
            "view_mode": "form",
        }

    def _prepare_rollback_values(self):
        return {
            "description": self.env._("Rollback to %s", self.display_name),
            "source": "rollback",
            "rollback_of_version_id": self.id,
            "company_id": self.company_id.id or self.env.company.id,
            "effective_from": fields.Datetime.now(),
            "line_ids": [
                fields.Command.create(
                    {
                        "product_id": self.product_id.id,
                        "pricelist_id": self.pricelist_id.id,
                        "min_quantity": self.min_quantity,
                        "fixed_price": self.fixed_price,
                    }
                )
            ],
        }

    def action_open_change(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "price.change",
            "res_id": self.change_id.id,
            "view_mode": "form",
        }
