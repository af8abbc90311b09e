"""Stock publication at scale: full snapshot and event-driven publication of N products.

Builds, in a database of its own (stock_publication and its dependencies, no demo data):

* 3 warehouses and N storable products with a SKU (default 100,000), one quant per product
  and warehouse (3N quants, quantities 0-99), 5 % of them partly reserved. Products and
  quants are inserted with **bulk SQL** (INSERT ... SELECT generate_series) for set-up speed:
  creating 100,000 products through the ORM takes longer than everything measured here. The
  warehouses, connectors and channels are made through the ORM;
* 2 connectors to the local test receiver (a separate process) and 2 publication channels:
  "web" on all 3 warehouses at 100 %, stock payload v2 (with on hand, reserved, quality hold,
  incoming and backorder: one more query over open moves per chunk); "market" on 2
  warehouses at 50 %, buffer 2, max 100, payload v1.

Then measures, printing a line at each step:

1. **Native baseline** in the same run: ``product.product._compute_quantities_dict`` and
   reading ``free_qty`` with a warehouse in context, for a sample of products, extrapolated
   to N products x 3 warehouses; and the **SQL floor**: one bare aggregate of stock_quant
   per product and warehouse (``stock_location.warehouse_id``), no policy, nothing written.
2. **Available to promise** as the addon computes it (``_free_quantities``: one SQL aggregate
   over the warehouses' view-location ``parent_path``, internal locations, quality hold out).
3. **Full snapshot** of both channels (``_cron_snapshot``, chunks of 10,000 products,
   committed per chunk): the first one publishes every product (2N messages); then a
   **reconciliation** snapshot with nothing changed (checks 2N, publishes 0). Time, messages
   and queries per product and channel.
4. **1,000 random stock moves** (receipts and deliveries through the ORM, ``_action_done``) on
   a hot set of products, in 10 rounds of 100 (a round is what arrives between two runs of the
   1-minute Scheduled Action), the publication cron after each round: publishing time,
   messages queued, superseded by newer ones, and actually sent to the receiver (delivered by
   ``_process_queue``): the coalescing ratio is moves per message sent.

The snapshot's 2N messages are marked sent with one SQL UPDATE before phase 4: delivering
them is queue_throughput's subject, not this one. PostgreSQL runs with autovacuum off on
these machines; the benchmark runs VACUUM ANALYZE between phases, as autovacuum would.

Targets (issue 17): a first snapshot of 100,000 products x 2 channels (publishing all) under 30 s
on 2 cores, the next one with nothing changed under 5 s; (issue 6) our ATP within 3x of the SQL
floor. Printed as PASS or MISS; exit status 1 only when the
published quantities are wrong (checked against the floor for a sample).

Run it with ``./suite bench stock_publication [--products N] [--keep-db]``.
"""

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import odoo
from odoo.modules.registry import Registry

# Run as a script (./suite bench): suitekit is found from the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from suitekit import say  # noqa: E402
from suitekit.pg import create_database, drop_database, vacuum  # noqa: E402
from suitekit.receivers import start_receiver, stop_receiver  # noqa: E402

MODULE = "stock_publication"
CHUNK = 10_000
SAMPLE = 2_000
MOVES = 1_000
ROUNDS = 10
HOT = 150  # products the moves fall on: bestsellers move many times a minute
TARGET_SNAPSHOT_SECONDS = 30.0  # first snapshot, publishing every product
TARGET_RECONCILIATION_SECONDS = 5.0  # the next one, nothing changed
TARGET_FLOOR_RATIO = 3.0


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Snapshot and event-driven stock publication.")
    parser.add_argument("--config", default=os.environ.get("SUITE_BENCH_CONFIG"))
    parser.add_argument("--products", type=int, default=100_000, help="N (default 100000)")
    parser.add_argument("--db", default=f"bench_stock_{os.getpid()}", help="database name")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database")
    args = parser.parse_args(argv)
    if not args.config:
        parser.error("--config is required (or run it with ./suite bench stock_publication)")
    if args.products < HOT:
        parser.error(f"--products must be at least {HOT}")
    return args


# ---------------------------------------------------------------------------- database


# ---------------------------------------------------------------------------- receiver


# ---------------------------------------------------------------------------- set-up


def env_of(cr):
    return odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})


def build(registry, url, n):
    say(f"set-up: 3 warehouses, {n:,} products and {3 * n:,} quants (bulk SQL), 2 channels ...")
    start = time.monotonic()
    with registry.cursor() as cr:
        env = env_of(cr)
        env["ir.config_parameter"].set_param("integration_core.instance_environment", "test")
        main = env["stock.warehouse"].search([("company_id", "=", env.company.id)], limit=1)
        warehouses = main | env["stock.warehouse"].create(
            [{"name": "Bench East", "code": "BEA"}, {"name": "Bench West", "code": "BWE"}]
        )
        stock = env.ref("integration_core.domain_stock")
        connectors = env["integration.connector"].create(
            [
                {
                    "name": name,
                    "code": name.lower(),
                    "base_url": url,
                    "environment": "test",
                    "allowed_domain_ids": [(6, 0, [stock.id])],
                    "batch_size": 50,
                    "max_attempts": 3,
                }
                for name in ("Web", "Market")
            ]
        )
        channels = env["stock.publication.channel"].create(
            [
                {
                    "name": "Web",
                    "connector_id": connectors[0].id,
                    "warehouse_ids": [(6, 0, warehouses.ids)],
                },
                {
                    "name": "Market",
                    "connector_id": connectors[1].id,
                    "warehouse_ids": [(6, 0, warehouses[:2].ids)],
                    "share_percent": 50,
                    "safety_buffer": 2,
                    "max_quantity": 100,
                    # A v1 connector beside the v2 one: both payloads are measured.
                    "payload_version": "1",
                },
            ]
        )
        uom = env.ref("uom.product_uom_unit").id
        categ = env.ref("product.product_category_all").id
        cr.execute(
            """
            INSERT INTO product_template (name, type, is_storable, categ_id, uom_id, uom_po_id,
                   service_tracking, tracking, sale_line_warn, invoice_policy, active, sale_ok,
                   purchase_ok, list_price, stock_discontinued, create_uid, create_date,
                   write_uid, write_date)
            SELECT jsonb_build_object('en_US', 'Bench product ' || g), 'consu', TRUE, %(categ)s,
                   %(uom)s, %(uom)s, 'no', 'none', 'no-message', 'order', TRUE, TRUE, TRUE, 1.0,
                   FALSE, 1, now() at time zone 'UTC', 1, now() at time zone 'UTC'
              FROM generate_series(1, %(n)s) g
            """,
            {"categ": categ, "uom": uom, "n": n},
        )
        cr.execute(
            """
            INSERT INTO product_product (product_tmpl_id, default_code, active, combination_indices,
                   create_uid, create_date, write_uid, write_date)
            SELECT t.id, 'BENCH-' || lpad(t.id::text, 7, '0'), TRUE, '', 1,
                   now() at time zone 'UTC', 1, now() at time zone 'UTC'
              FROM product_template t
             WHERE t.name->>'en_US' LIKE 'Bench product %%'
            """
        )
        cr.execute(
            """
            INSERT INTO stock_quant (product_id, location_id, company_id, quantity,
                   reserved_quantity, inventory_quantity, inventory_diff_quantity,
                   inventory_quantity_set, in_date, create_uid, create_date, write_uid, write_date)
            SELECT s.product_id, s.location_id, s.company_id, s.qty,
                   CASE WHEN s.r < 0.05 THEN floor(s.qty * s.r * 20) ELSE 0 END,
                   0, 0, FALSE, now() at time zone 'UTC', 1, now() at time zone 'UTC', 1,
                   now() at time zone 'UTC'
              FROM (SELECT p.id AS product_id, w.lot_stock_id AS location_id,
                           w.company_id, floor(random() * 100)::numeric AS qty, random() AS r
                      FROM product_product p
                      JOIN stock_warehouse w ON w.id = ANY(%(wh)s)
                     WHERE p.default_code LIKE 'BENCH-%%') s
            """,
            {"wh": warehouses.ids},
        )
        cr.execute("DELETE FROM stock_publication_dirty")
        cr.commit()
        ids = {
            "warehouses": warehouses.ids,
            "channels": channels.ids,
            "connectors": connectors.ids,
        }
    vacuum(
        registry.db_name, ["product_template", "product_product", "stock_quant", "stock_location"]
    )
    say(f"  built in {time.monotonic() - start:.1f} s")
    return ids


# ---------------------------------------------------------------------------- phases


def counted(function):
    """(result, seconds, queries) of function()."""
    queries = odoo.sql_db.sql_counter
    start = time.monotonic()
    result = function()
    return result, time.monotonic() - start, odoo.sql_db.sql_counter - queries


def native_baseline(registry, ids, n):
    say(f"native baseline: a sample of {SAMPLE:,} products per warehouse, extrapolated ...")
    with registry.cursor() as cr:
        env = env_of(cr)
        cr.execute("SELECT id FROM product_product WHERE default_code LIKE 'BENCH-%%' ORDER BY id")
        all_ids = [row[0] for row in cr.fetchall()]
        sample = random.Random(1).sample(all_ids, min(SAMPLE, len(all_ids)))
        seconds_dict = seconds_read = 0.0
        queries_read = 0
        for warehouse in ids["warehouses"]:
            products = env["product.product"].with_context(warehouse_id=warehouse).browse(sample)
            _r, seconds, _q = counted(
                lambda p=products: p._compute_quantities_dict(None, None, None)
            )
            seconds_dict += seconds
            env.invalidate_all()
            products = env["product.product"].with_context(warehouse_id=warehouse).browse(sample)
            _r, seconds, queries = counted(lambda p=products: p.mapped("free_qty"))
            seconds_read += seconds
            queries_read += queries
            env.invalidate_all()
        factor = len(all_ids) / len(sample)
        dict_all = seconds_dict * factor
        read_all = seconds_read * factor
        say(
            f"  _compute_quantities_dict: {seconds_dict:.2f} s for the sample x 3 warehouses, "
            f"about {dict_all:.0f} s for {n:,} products"
        )
        say(
            f"  reading free_qty:         {seconds_read:.2f} s for the sample x 3 warehouses, "
            f"about {read_all:.0f} s for {n:,} products "
            f"({queries_read / (len(sample) * 3):.3f} queries per product and warehouse)"
        )

        def floor():
            cr.execute(
                """
                SELECT q.product_id, l.warehouse_id, SUM(q.quantity - q.reserved_quantity)
                  FROM stock_quant q
                  JOIN stock_location l ON l.id = q.location_id
                 WHERE l.usage = 'internal' AND l.warehouse_id = ANY(%s)
                 GROUP BY q.product_id, l.warehouse_id
                """,
                [ids["warehouses"]],
            )
            return dict(((p, w), qty) for p, w, qty in cr.fetchall())

        floor()  # warm PostgreSQL's cache first: both queries below read the same pages
        floor_rows, floor_seconds, _q = counted(floor)
        say(
            f"  SQL floor (one aggregate, stored warehouse_id, nothing else): "
            f"{floor_seconds:.2f} s for {len(floor_rows):,} product x warehouse rows"
        )
        Channel = env["stock.publication.channel"]
        atp, atp_seconds, atp_queries = counted(lambda: Channel._free_quantities(ids["warehouses"]))
        say(
            f"  our ATP (_free_quantities, parent_path, quality hold out): {atp_seconds:.2f} s, "
            f"{atp_queries} queries, {atp_seconds / floor_seconds:.1f}x the floor"
        )
        wrong = sum(1 for key, qty in floor_rows.items() if atp.get(key) != qty)
    return {
        "dict": dict_all,
        "read": read_all,
        "floor": floor_seconds,
        "atp": atp_seconds,
        "atp_wrong": wrong,
    }


def snapshot(registry, ids, n, label):
    say(f"{label}: both channels, chunks of {CHUNK:,} products ...")
    with registry.cursor() as cr:
        env = env_of(cr)
        channels = env["stock.publication.channel"].browse(ids["channels"])
        channels.action_request_snapshot()
        cr.commit()

        def run():
            return env["stock.publication.channel"]._cron_snapshot(
                chunk_size=CHUNK, time_budget=3600
            )

        # Time spent in integration_core's enqueue (validation against the stock schema,
        # insert, supersede), measured by wrapping it for this run only.
        Message = type(env["integration.message"])
        original = Message._enqueue
        spent = [0.0]

        def timed_enqueue(self, messages):
            start = time.monotonic()
            try:
                return original(self, messages)
            finally:
                spent[0] += time.monotonic() - start

        Message._enqueue = timed_enqueue
        try:
            _r, seconds, queries = counted(run)
        finally:
            Message._enqueue = original
        cr.commit()
        channels.invalidate_recordset()
        checked = sum(channels.mapped("snapshot_checked"))
        differences = sum(channels.mapped("snapshot_differences"))
        states = set(channels.mapped("snapshot_state"))
    say(
        f"  {seconds:.1f} s: {checked:,} product x channel checked, {differences:,} published, "
        f"{queries} queries ({queries / max(checked, 1):.4f} per product and channel), "
        f"{checked / seconds:,.0f} products x channels/s"
    )
    say(
        f"  of which integration_core enqueue (schema validation, insert, supersede): "
        f"{spent[0]:.1f} s; the rest (ATP, allocation, comparison, state upserts): "
        f"{seconds - spent[0]:.1f} s"
    )
    if states != {"idle"}:
        say(f"  warning: snapshot not finished ({states})")
    return {
        "seconds": seconds,
        "checked": checked,
        "differences": differences,
        "queries": queries,
        "enqueue": spent[0],
    }


def check_published(registry, ids):
    """Compare a sample of published quantities with the policy applied to the SQL floor."""
    with registry.cursor() as cr:
        env = env_of(cr)
        channels = env["stock.publication.channel"].browse(ids["channels"])
        products = env["stock.publication.channel"]._publishable_products(limit=500)
        free = env["stock.publication.channel"]._free_quantities(ids["warehouses"])
        wrong = 0
        for channel in channels:
            policy = channel._policy()
            from odoo.addons.stock_publication.tools.allocation import allocate

            last = env["stock.publication.state"]._last_quantities(
                [channel.id], [r[0] for r in products]
            )
            for row in products:
                expected = allocate(
                    sum(free.get((row[0], w), 0) for w in channel.warehouse_ids.ids), policy
                )
                if last.get((channel.id, row[0]), (None,))[0] != expected:
                    wrong += 1
    say(
        f"  check: {2 * len(products)} published quantities compared with the policy: {wrong} wrong"
    )
    return wrong


def moves_phase(registry, ids):
    say(
        f"{MOVES:,} random stock moves on {HOT} hot products, {ROUNDS} rounds, "
        "the publication cron after each round ..."
    )
    with registry.cursor() as cr:
        cr.execute("UPDATE integration_message SET state = 'sent' WHERE state = 'pending'")
        cr.execute("SELECT max(id) FROM integration_message")
        first_id = (cr.fetchone()[0] or 0) + 1
        cr.commit()
    say(
        "  (the snapshot's messages marked sent by SQL: their delivery is queue_throughput's subject)"
    )
    vacuum(registry.db_name, ["integration_message", "stock_publication_state"])
    rng = random.Random(6)
    publish_seconds = 0.0
    publish_queries = 0
    move_seconds = 0.0
    dirty_total = 0
    with registry.cursor() as cr:
        env = env_of(cr)
        cr.execute(
            "SELECT id FROM product_product WHERE default_code LIKE 'BENCH-%%' ORDER BY id LIMIT %s",
            [HOT * 10],
        )
        hot = rng.sample([row[0] for row in cr.fetchall()], HOT)
        warehouses = env["stock.warehouse"].browse(ids["warehouses"])
        supplier = env.ref("stock.stock_location_suppliers")
        customer = env.ref("stock.stock_location_customers")
        for _round in range(ROUNDS):
            start = time.monotonic()
            values = []
            for _i in range(MOVES // ROUNDS):
                product = env["product.product"].browse(rng.choice(hot))
                warehouse = warehouses[rng.randrange(len(warehouses))]
                quantity = rng.randint(1, 5)
                inbound = rng.random() < 0.5
                values.append(
                    {
                        "name": "bench move",
                        "product_id": product.id,
                        "product_uom_qty": quantity,
                        "product_uom": product.uom_id.id,
                        "location_id": (supplier if inbound else warehouse.lot_stock_id).id,
                        "location_dest_id": (warehouse.lot_stock_id if inbound else customer).id,
                    }
                )
            moves = env["stock.move"].create(values)
            moves._action_confirm()
            for move in moves:
                move.quantity = move.product_uom_qty
            moves.picked = True
            moves._action_done()
            cr.commit()
            move_seconds += time.monotonic() - start
            cr.execute("SELECT count(*) FROM stock_publication_dirty")
            dirty_total += cr.fetchone()[0]
            _r, seconds, queries = counted(
                lambda: env["stock.publication.channel"]._cron_publish_dirty()
            )
            cr.commit()
            publish_seconds += seconds
            publish_queries += queries
        cr.execute(
            "SELECT state, count(*) FROM integration_message WHERE id >= %s GROUP BY state",
            [first_id],
        )
        queued = dict(cr.fetchall())
    say(f"  moves (ORM, _action_done, marking included): {move_seconds:.1f} s")
    say(
        f"  publication cron: {publish_seconds:.2f} s in {ROUNDS} runs, {publish_queries} queries, "
        f"{dirty_total:,} dirty products taken ({publish_queries / max(dirty_total, 1):.2f} queries "
        "per dirty product, both channels)"
    )
    total = sum(queued.values())
    say(f"  messages queued {total:,}: {queued}")
    start = time.monotonic()
    while True:
        with registry.cursor() as cr:
            counts = env_of(cr)["integration.message"]._process_queue(
                batch_size=200, time_budget=10
            )
        if not counts:
            break
    deliver_seconds = time.monotonic() - start
    with registry.cursor() as cr:
        cr.execute(
            "SELECT state, count(*) FROM integration_message WHERE id >= %s GROUP BY state",
            [first_id],
        )
        final = dict(cr.fetchall())
    sent = final.get("sent", 0)
    say(f"  delivered to the receiver in {deliver_seconds:.1f} s: {final}")
    say(
        f"  coalescing: {MOVES:,} moves -> {sent:,} messages sent "
        f"({MOVES / max(sent, 1):.1f} moves per message sent; {final.get('superseded', 0):,} "
        "superseded before sending)"
    )
    return {
        "publish_seconds": publish_seconds,
        "sent": sent,
        "superseded": final.get("superseded", 0),
        "queued": total,
        "queries_per_dirty": publish_queries / max(dirty_total, 1),
    }


def report(n, native, first, second, moves):
    say("")
    say(f"summary, {n:,} products, 3 warehouses, 2 channels (2 cores):")
    say(
        f"  native _compute_quantities_dict, all products x 3 warehouses   ~{native['dict']:8.1f} s"
    )
    say(
        f"  native free_qty read, all products x 3 warehouses              ~{native['read']:8.1f} s"
    )
    say(
        f"  SQL floor, one aggregate                                        {native['floor']:8.2f} s"
    )
    say(
        f"  our ATP, one aggregate (parent_path, quality hold)              {native['atp']:8.2f} s"
        f"   {native['atp'] / native['floor']:.1f}x floor"
    )
    say(
        f"  first full snapshot, publishes all ({first['differences']:,} messages)     "
        f"{first['seconds']:8.1f} s   {first['queries'] / max(first['checked'], 1):.4f} queries/product/channel"
    )
    say(
        f"    of which integration_core enqueue                             {first['enqueue']:8.1f} s"
    )
    say(
        f"  reconciliation snapshot, nothing changed ({second['differences']} published)   "
        f"{second['seconds']:8.1f} s   {second['queries'] / max(second['checked'], 1):.4f} queries/product/channel"
    )
    say(
        f"  publish after {MOVES:,} moves ({ROUNDS} cron runs)                      "
        f"{moves['publish_seconds']:8.2f} s   {moves['queries_per_dirty']:.2f} queries/dirty product"
    )
    say(
        f"  messages sent after the moves: {moves['sent']:,} "
        f"(queued {moves['queued']:,}, superseded {moves['superseded']:,}; "
        f"{MOVES / max(moves['sent'], 1):.1f} moves per message)"
    )
    scale = 100_000 / n
    for label, result, target in (
        ("first (publishes all)", first, TARGET_SNAPSHOT_SECONDS),
        ("reconciliation", second, TARGET_RECONCILIATION_SECONDS),
    ):
        verdict = "PASS" if result["seconds"] * scale < target else "MISS"
        say(
            f"  target: {label} snapshot of 100,000 x 2 channels under "
            f"{target:.0f} s: {verdict}"
            + (
                ""
                if n == 100_000
                else f" (extrapolated linearly from {n:,}: {result['seconds'] * scale:.0f} s)"
            )
        )
    ratio = native["atp"] / native["floor"]
    say(
        f"  target: ATP within {TARGET_FLOOR_RATIO:.0f}x of the SQL floor: "
        f"{'PASS' if ratio <= TARGET_FLOOR_RATIO else 'MISS'} ({ratio:.1f}x)"
    )


def main(argv=None):
    args = parse_args(argv)
    odoo.tools.config.parse_config(
        ["-c", args.config, "-d", args.db, "--log-level=warn"], setup_logging=True
    )
    receiver = None
    ok = False
    with tempfile.NamedTemporaryFile("w+", prefix="receiver-", suffix=".log") as log_file:
        try:
            create_database(args.config, args.db, MODULE)
            receiver, url = start_receiver(log_file)
            registry = Registry(args.db)
            ids = build(registry, url, args.products)
            native = native_baseline(registry, ids, args.products)
            first = snapshot(registry, ids, args.products, "first full snapshot")
            vacuum(registry.db_name, ["integration_message", "stock_publication_state"])
            second = snapshot(registry, ids, args.products, "reconciliation snapshot")
            wrong = check_published(registry, ids)
            moves = moves_phase(registry, ids)
            report(args.products, native, first, second, moves)
            ok = not wrong and not native["atp_wrong"]
            if native["atp_wrong"]:
                say(f"  {native['atp_wrong']} ATP rows differ from the SQL floor")
        finally:
            if receiver is not None:
                stop_receiver(receiver)
            if args.keep_db:
                say(f"database {args.db} kept (--keep-db)")
            else:
                drop_database(args.db)
    if not ok:
        say("FAILED: published quantities are wrong (see above)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
