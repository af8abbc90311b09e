"""Activation and publication of one large price change (price_governance).

One change of N lines (default 10,000: N products in one pricelist subscribed to one connector)
goes through the governed path, each step timed and its SQL queries counted:

* submission (current prices noted in bulk, overlap check, thresholds);
* approval (one immutable price version per line);
* effect (the Scheduled Action's method: N pricelist items written, N canonical price messages
  validated against the "price" schema and queued);
* the publication follow-up (the change becomes published once every message is sent; the
  messages are marked sent in SQL here: delivery itself is measured by queue_throughput).

Baseline, in the same run: Odoo creating the same N pricelist items in one ``create`` call,
with no approval, no versions and no publication.

The issue's targets: no step runs one query per line (each step prints its queries per line and
PASS when that stays under 0.1); the effect (items, versions and publication queued) runs at
least 2x as fast as the baseline ``create``; and an effect batch runs the same number of
queries whatever its size: a change of 10 lines is made effective the same way first (after a
one-line warm-up, so that both meet the same warm caches) and its queries are printed beside
those of the N lines. Tables that just received N rows are analyzed before the next step, as
autovacuum would (it is off on these machines). The exit status is 1 only when a step did not
reach its end state (items, messages, states); a missed target prints MISS.

Run it with ``./suite bench price_activation [--lines N] [--keep-db]`` (about 1 minute for
the install, then a few seconds per step).
"""

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

import odoo
from odoo.modules.registry import Registry

# Run as a script (./suite bench): suitekit is found from the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from suitekit import say  # noqa: E402
from suitekit.pg import create_database, drop_database, vacuum  # noqa: E402

MODULE = "price_governance"
TARGET_QUERIES_PER_LINE = 0.1
TARGET_EFFECT_RATIO = 2.0  # effect lines/s against the baseline create()'s
SMALL_LINES = 10  # the change whose effect queries are compared with the N lines'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Submit, approve, activate and publish one price change of N lines."
    )
    parser.add_argument("--config", required=True)
    parser.add_argument("--lines", type=int, default=10000)
    parser.add_argument("--db", default=f"bench_price_{os.getpid()}")
    parser.add_argument("--keep-db", action="store_true")
    return parser.parse_args(argv)


class Step:
    """Time and count the queries of one step, committed at its end."""

    def __init__(self, env, label, lines, results):
        self.env, self.label, self.lines, self.results = env, label, lines, results

    def __enter__(self):
        self.env.flush_all()
        self.env.invalidate_all()
        self.queries = self.env.cr.sql_log_count
        self.start = time.monotonic()
        return self

    def __exit__(self, *exc):
        if exc[0]:
            return False
        self.env.flush_all()
        self.env.cr.commit()
        seconds = time.monotonic() - self.start
        queries = self.env.cr.sql_log_count - self.queries
        self.results.append((self.label, seconds, queries, self.lines))
        say(
            f"  {self.label}: {seconds:.2f} s, {self.lines / seconds:,.0f} lines/s, "
            f"{queries} queries ({queries / self.lines:.3f} per line)"
        )
        return False


def run(registry, n, db):
    # The addons are importable once the registry is loaded.
    from odoo.addons.integration_core.compat.groups import USER_GROUPS  # noqa: PLC0415

    results = []
    ok = True
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        env["ir.config_parameter"].set_param("integration_core.instance_environment", "test")
        connector = env["integration.connector"].create(
            {
                "name": "Bench shop",
                "code": "bench",
                "base_url": "http://127.0.0.1:9",
                "environment": "test",
                "allowed_domain_ids": [(6, 0, [env.ref("integration_core.domain_base_price").id])],
            }
        )
        baseline_pricelist = env["product.pricelist"].create({"name": "Bench baseline"})
        say(f"creating {n:,} products ...")
        products = env["product.product"].create(
            [
                {
                    "name": f"Bench {i}",
                    "default_code": f"B{i:06d}",
                    "list_price": 100.0 + i % 50,
                    "standard_price": 50.0,
                }
                for i in range(n)
            ]
        )
        requester = env["res.users"].create(
            {
                "name": "Bench requester",
                "login": "bench-requester",
                "email": "r@bench.example.com",
                USER_GROUPS: [(6, 0, [env.ref("price_governance.group_price_user").id])],
            }
        )
        cr.commit()
        vacuum(db)
        say("baseline: Odoo creating the same pricelist items in one create() call")
        with Step(env, "baseline: plain pricelist items", n, results):
            env["product.pricelist.item"].create(
                [
                    {
                        "pricelist_id": baseline_pricelist.id,
                        "applied_on": "0_product_variant",
                        "product_id": p.id,
                        "product_tmpl_id": p.product_tmpl_id.id,
                        "compute_price": "fixed",
                        "fixed_price": 95.0,
                    }
                    for p in products
                ]
            )
        say("warm-up: one line submitted, approved and made effective (not timed)")
        warm_up = bench_change(env, requester, connector, "Bench warm-up", products[:1])
        env["price.version"]._cron_effect()
        ok &= warm_up.state == "effective"
        small = bench_change(env, requester, connector, "Bench small", products[:SMALL_LINES])
        with Step(env, f"effect, {SMALL_LINES} lines (queries per batch)", SMALL_LINES, results):
            env["price.version"]._cron_effect()
        ok &= small.state == "effective"
        change = bench_change(env, requester, connector, "Bench retail", products, approve=False)
        pricelist = change.line_ids[:1].pricelist_id
        say(f"price change {change.name} with {n:,} lines")
        # Each table that just got N rows is analyzed before the next step, as autovacuum
        # would: otherwise this connection keeps the plans it cached for its foreign key
        # checks while the tables held a few rows (sequential scans, one per row inserted).
        vacuum(db, ["price_change_line"])
        with Step(env, "submit", n, results):
            change.with_user(requester).action_submit()
        with Step(env, "approve (versions)", n, results):
            change.action_approve()
        vacuum(db, ["price_version"])
        with Step(env, "effect + publication queued", n, results):
            env["price.version"]._cron_effect(batch_size=max(n, 1))
        items = env["product.pricelist.item"].search_count(
            [("price_version_id", "!=", False), ("pricelist_id", "=", pricelist.id)]
        )
        messages = env["integration.message"].search(
            [("res_model", "=", "price.version"), ("res_id", "in", change.version_ids.ids)]
        )
        say(
            f"  change {change.state}; {items:,} pricelist items; {len(messages):,} messages queued"
        )
        ok &= change.state == "effective" and items == n and len(messages) == n
        cr.execute(
            "UPDATE integration_message SET state = 'sent', sent_at = now() WHERE id = ANY(%s)",
            [messages.ids],
        )
        env.invalidate_all()
        with Step(env, "publication follow-up (published)", n, results):
            change._check_publication()
        with Step(env, "reconciliation", n, results):
            change._reconcile()
        say(f"  change {change.state}")
        ok &= change.state == "reconciled"
    return results, ok


def bench_change(env, requester, connector, name, products, approve=True):
    """A change of one line per product in a new pricelist subscribed to `connector`, effective
    since a minute ago: submitted and approved (by the superuser) unless `approve` is False."""
    pricelist = env["product.pricelist"].create(
        {"name": name, "integration_connector_ids": [(6, 0, [connector.id])]}
    )
    change = (
        env["price.change"]
        .with_user(requester)
        .create(
            {
                "description": name,
                "effective_from": odoo.fields.Datetime.now() - timedelta(minutes=1),
                "line_ids": [
                    (
                        0,
                        0,
                        {
                            "product_id": p.id,
                            "pricelist_id": pricelist.id,
                            "fixed_price": 90.0 + p.id % 7,
                        },
                    )
                    for p in products
                ],
            }
        )
    )
    change = change.with_user(odoo.SUPERUSER_ID)  # the approver: not the requester
    if approve:
        change.with_user(requester).action_submit()
        change.action_approve()
    env.cr.commit()
    return change


def report(results):
    say("")
    say(f"{'step':<40} {'lines/s':>10} {'queries/line':>13}  target < {TARGET_QUERIES_PER_LINE}")
    figures = {}
    for label, seconds, queries, lines in results:
        figures[label] = (lines / seconds, queries, lines)
        if label.startswith("effect, "):
            continue
        per_line = queries / lines
        verdict = (
            ""
            if label.startswith("baseline")
            else ("PASS" if per_line < TARGET_QUERIES_PER_LINE else "MISS")
        )
        say(f"{label:<40} {lines / seconds:>10,.0f} {per_line:>13.3f}  {verdict}")
    baseline = figures["baseline: plain pricelist items"][0]
    effect, queries, lines = figures["effect + publication queued"]
    ratio = effect / baseline
    verdict = "PASS" if ratio >= TARGET_EFFECT_RATIO else "MISS"
    say(
        f"  {verdict}  effect + publication queued {ratio:.2f}x the plain create() "
        f"({effect:,.0f} against {baseline:,.0f} lines/s; target >= {TARGET_EFFECT_RATIO:g}x)"
    )
    __, small_queries, small_lines = figures[f"effect, {SMALL_LINES} lines (queries per batch)"]
    verdict = "PASS" if queries <= small_queries else "MISS"
    say(
        f"  {verdict}  queries per effect batch: {small_queries} for {small_lines} lines, "
        f"{queries} for {lines:,} lines (target: no more for more lines)"
    )


def main(argv=None):
    args = parse_args(argv)
    odoo.tools.config.parse_config(
        ["-c", args.config, "-d", args.db, "--log-level=warn"], setup_logging=True
    )
    ok = False
    try:
        create_database(args.config, args.db, MODULE)
        registry = Registry(args.db)
        results, ok = run(registry, args.lines, args.db)
        report(results)
    finally:
        if args.keep_db:
            say(f"database {args.db} kept (--keep-db)")
        else:
            drop_database(args.db)
    if not ok:
        say("FAILED: a step did not reach its end state (see above)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
