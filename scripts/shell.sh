#!/usr/bin/env bash
# ./suite shell: an Odoo shell on the demo database (after ./suite run created it).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/scripts/lib.sh"
DB=${SUITE_DB:-commerce_sync}
CONF="$RUN_DIR/odoo.conf"
ensure_venv
find_odoo
ensure_postgres
write_config "$CONF" "$RUN_DIR/data" "${ODOO_HTTP_PORT:-8069}" "$(encryption_key)"
pgtool exists "$DB" || die "database $DB does not exist yet: run ./suite run first."
exec "$VENV/bin/python" "$ODOO_SRC/odoo-bin" shell -c "$CONF" -d "$DB" --no-http "$@"
