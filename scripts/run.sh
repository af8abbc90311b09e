#!/usr/bin/env bash
# ./suite run: set up, create (or upgrade) the demo database, serve Odoo with cron.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/scripts/lib.sh"

DB=${SUITE_DB:-commerce_sync}
PORT=${ODOO_HTTP_PORT:-8069}
CONF="$RUN_DIR/odoo.conf"

ensure_venv
find_odoo
ensure_postgres
write_config "$CONF" "$RUN_DIR/data" "$PORT" "$(encryption_key)"

if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    die "port $PORT is already in use (another Odoo?): stop it or set ODOO_HTTP_PORT."
fi

stamp_dir="$RUN_DIR/installed/$DB"
if ! pgtool exists "$DB"; then
    say "Creating database $DB with the four addons and their demo data (about 3 minutes)"
    install_or_update "$CONF" "$DB" -i "$SUITE_ADDONS" "$RUN_DIR/logs/install-$DB.log"
    rm -rf "$stamp_dir"
    mkdir -p "$stamp_dir"
    for addon in ${SUITE_ADDONS//,/ }; do addon_digest "$addon" >"$stamp_dir/$addon"; done
    echo done >"$stamp_dir/.done"
fi
mkdir -p "$stamp_dir"
changed=()
for addon in ${SUITE_ADDONS//,/ }; do
    if [ "$(cat "$stamp_dir/$addon" 2>/dev/null)" != "$(addon_digest "$addon")" ]; then
        changed+=("$addon")
    fi
done
if [ ${#changed[@]} -gt 0 ]; then
    if [ -s "$stamp_dir/.done" ]; then
        modules=$(IFS=,; echo "${changed[*]}")
        say "Upgrading the addons that changed since the last run in $DB: $modules"
        install_or_update "$CONF" "$DB" -u "$modules" "$RUN_DIR/logs/update-$DB.log"
    else
        # A database this checkout did not create: make sure all four are installed and current.
        say "Installing or upgrading the four addons in the existing database $DB"
        install_or_update "$CONF" "$DB" -i "$SUITE_ADDONS" "$RUN_DIR/logs/update-$DB.log"
    fi
fi
for addon in ${SUITE_ADDONS//,/ }; do addon_digest "$addon" >"$stamp_dir/$addon"; done
echo done >"$stamp_dir/.done"

say "Serving Odoo on http://localhost:$PORT (database $DB, log in as admin / admin). Ctrl-C stops it."
exec "$VENV/bin/python" "$ODOO_SRC/odoo-bin" -c "$CONF" -d "$DB" --db-filter="^$DB\$" "$@"
