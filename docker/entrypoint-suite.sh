#!/bin/bash
# Entry point of the suite's image (wraps the official image's /entrypoint.sh).
#
#   odoo [OPTIONS]   (the default command) on first start, creates the database $SUITE_DB and
#                    installs $SUITE_MODULES in it; then serves that database alone.
#   odoo SUBCOMMAND  (shell, scaffold, ...) and any other command: passed through untouched.
#
# Environment:
#   SUITE_DB            database to create and serve (default commerce_sync)
#   SUITE_MODULES       addons to install (default: the suite's four)
#   SUITE_WITHOUT_DEMO  empty (default): load demo data; "all": no demo data
#   INTEGRATION_ENCRYPTION_KEY  Fernet key the addons read (docker-compose.yml requires it)
#
# "Initialised" means: the database exists and every module of SUITE_MODULES is installed in
# it. Otherwise the install step runs again (it is idempotent), so an interrupted first start
# is completed by the next one.
set -euo pipefail

SUITE_DB=${SUITE_DB:-commerce_sync}
SUITE_MODULES=${SUITE_MODULES:-integration_core,price_governance,promotion_sync,stock_publication}
SUITE_WITHOUT_DEMO=${SUITE_WITHOUT_DEMO:-}
export ODOO_RC=${ODOO_RC:-/etc/odoo/odoo.conf}

log() { printf 'entrypoint-suite: %s\n' "$*" >&2; }

# Pass through anything that is not the Odoo server itself.
if [ $# -eq 0 ]; then
    set -- odoo
fi
case "$1" in
    odoo)
        if [ $# -gt 1 ] && [[ $2 != -* ]]; then
            exec /entrypoint.sh "$@"
        fi
        shift
        ;;
    -*) ;;
    *) exec /entrypoint.sh "$@" ;;
esac

if [ -z "${INTEGRATION_ENCRYPTION_KEY:-}" ]; then
    log "warning: INTEGRATION_ENCRYPTION_KEY is not set; the integration addons cannot encrypt or decrypt credentials."
fi

# Exit 0 when $SUITE_DB exists and all of $SUITE_MODULES are installed in it, 1 otherwise.
# Connection settings come from the config file, then the PG* variables, then the same
# defaults as the official /entrypoint.sh.
suite_db_ready() {
    python3 - "$SUITE_DB" "$SUITE_MODULES" <<'PY'
import configparser
import os
import sys

import psycopg2

db_name = sys.argv[1]
modules = sorted({m.strip() for m in sys.argv[2].split(",") if m.strip()})
parser = configparser.RawConfigParser()
parser.read(os.environ["ODOO_RC"])
options = dict(parser.items("options")) if parser.has_section("options") else {}


def setting(key, env, default):
    value = options.get(key)
    if value in (None, "", "False", "None"):
        value = os.environ.get(env) or default
    return value


try:
    conn = psycopg2.connect(
        dbname=db_name,
        host=setting("db_host", "PGHOST", "db"),
        port=setting("db_port", "PGPORT", "5432"),
        user=setting("db_user", "PGUSER", "odoo"),
        password=setting("db_password", "PGPASSWORD", "odoo"),
    )
except psycopg2.OperationalError:
    # Most likely the database does not exist yet; any other problem resurfaces in the install.
    sys.exit(1)
try:
    with conn.cursor() as cr:
        cr.execute("SELECT to_regclass('ir_module_module') IS NOT NULL")
        if not cr.fetchone()[0]:
            sys.exit(1)
        cr.execute(
            "SELECT count(*) FROM ir_module_module WHERE name = ANY(%s) AND state = 'installed'",
            (modules,),
        )
        sys.exit(0 if cr.fetchone()[0] == len(modules) else 1)
finally:
    conn.close()
PY
}

# Same wait as the official entrypoint, with more patience for a cold PostgreSQL.
wait-for-psql.py --timeout=60

if suite_db_ready; then
    log "database '$SUITE_DB' is initialised"
else
    log "initialising database '$SUITE_DB' with: $SUITE_MODULES"
    init_args=(--database "$SUITE_DB" --init "$SUITE_MODULES" --stop-after-init --no-http)
    if [ -n "$SUITE_WITHOUT_DEMO" ]; then
        init_args+=(--without-demo "$SUITE_WITHOUT_DEMO")
    elif python3 -c 'import sys, odoo.release; sys.exit(odoo.release.version_info[0] < 19)'; then
        # 19.0 loads demo data only when asked (18.0 by default, and knows no --with-demo).
        init_args+=(--with-demo)
    fi
    # Odoo creates the database itself when -d names one that does not exist.
    /entrypoint.sh odoo "${init_args[@]}"
    if ! suite_db_ready; then
        log "error: after the install, not all of '$SUITE_MODULES' are installed in '$SUITE_DB' (see the log above)"
        exit 1
    fi
    log "database '$SUITE_DB' initialised"
fi

exec /entrypoint.sh odoo --database "$SUITE_DB" --db-filter "^${SUITE_DB}\$" "$@"
