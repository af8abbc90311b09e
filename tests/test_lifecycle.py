"""The suite's addons install, upgrade idempotently and uninstall cleanly.

./suite test installs the four addons into a fresh database and copies it; these tests work on
that copy with real Odoo processes (odoo-bin), so a broken upgrade or uninstall fails here.
"""

import os
import re
import subprocess
import sys

from suitekit.pg import query

ADDONS = ["integration_core", "price_governance", "promotion_sync", "stock_publication"]
# Models each addon must register; the lifecycle test checks them before and after.
OUR_MODELS = {
    "integration_core": [
        "integration.connector",
        "integration.message",
        "integration.inbound.event",
        "integration.event.type",
        "integration.data.domain",
        "integration.schema",
        "integration.product.mapping",
        "integration.uom.mapping",
        "integration.approval.decision",
        "integration.metric",
    ],
    "price_governance": ["price.change", "price.change.line", "price.version"],
    "promotion_sync": ["promotion.snapshot"],
    "stock_publication": [
        "stock.publication.channel",
        "stock.publication.override",
        "stock.publication.state",
    ],
}
ERROR_LINE = re.compile(r"^\S+ \S+ \d+ (ERROR|CRITICAL) ", re.MULTILINE)


def _odoo(env, *args, stdin=None):
    cmd = [sys.executable, os.path.join(env["odoo_src"], "odoo-bin"), *args]
    result = subprocess.run(
        cmd, input=stdin, capture_output=True, text=True, timeout=900, check=False
    )
    output = result.stdout + result.stderr
    errors = [m.group(0) for m in ERROR_LINE.finditer(output)]
    assert result.returncode == 0 and not errors, (
        f"odoo-bin {' '.join(args)} failed (exit {result.returncode}):\n{output[-6000:]}"
    )
    return output


def _footprint(db):
    """What the addons leave in the database, by kind, to compare across an upgrade."""
    return dict(
        query(
            db,
            "SELECT module || ':' || model, count(*) FROM ir_model_data "
            "WHERE module = ANY(%s) GROUP BY module, model",
            (ADDONS,),
        )
    )


def test_upgrade_is_idempotent_then_uninstall_is_clean(suite_env):
    db, conf = suite_env["lifecycle_db"], suite_env["config"]
    states = dict(
        query(db, "SELECT name, state FROM ir_module_module WHERE name = ANY(%s)", (ADDONS,))
    )
    assert states == dict.fromkeys(ADDONS, "installed")
    all_models = [m for models in OUR_MODELS.values() for m in models]
    registered = {
        r[0] for r in query(db, "SELECT model FROM ir_model WHERE model = ANY(%s)", (all_models,))
    }
    assert registered == set(all_models), f"missing models: {set(all_models) - registered}"

    before = _footprint(db)
    assert before, "the addons own no records at all"
    _odoo(suite_env, "-c", conf, "-d", db, "-u", ",".join(ADDONS), "--stop-after-init", "--no-http")
    assert _footprint(db) == before, "upgrading created or dropped records"
    # A second upgrade too: nothing may accumulate run after run.
    _odoo(suite_env, "-c", conf, "-d", db, "-u", ",".join(ADDONS), "--stop-after-init", "--no-http")
    assert _footprint(db) == before

    script = (
        "mods = env['ir.module.module'].search([('name', '=', 'integration_core')])\n"
        "mods.button_immediate_uninstall()\n"
        "env.cr.commit()\n"
    )
    _odoo(suite_env, "shell", "-c", conf, "-d", db, "--no-http", stdin=script)

    states = dict(
        query(db, "SELECT name, state FROM ir_module_module WHERE name = ANY(%s)", (ADDONS,))
    )
    assert states == dict.fromkeys(ADDONS, "uninstalled"), states
    assert query(db, "SELECT model FROM ir_model WHERE model = ANY(%s)", (all_models,)) == []
    assert _footprint(db) == {}
    tables = [m.replace(".", "_") for m in all_models]
    left = query(
        db,
        "SELECT table_name FROM information_schema.tables WHERE table_name = ANY(%s)",
        (tables,),
    )
    assert left == [], f"tables left behind: {left}"
    columns = query(
        db,
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = 'loyalty_program' AND column_name = 'release_state'",
    )
    assert columns == [], "promotion_sync left its column on loyalty_program"
