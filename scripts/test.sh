#!/usr/bin/env bash
# ./suite test: fresh database, the four addons installed with demo data, the whole suite run
# with pytest-odoo (addon tests and tests/), the database dropped. Extra arguments go to pytest.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/scripts/lib.sh"

ensure_venv
find_odoo
ensure_postgres
ensure_browser
ensure_prometheus
ensure_rabbitmq

DB="suite_test_$(date +%Y%m%d%H%M%S)_$$"
CONF="$RUN_DIR/test-$$.conf"
# Tests use their own key: no secret of the demo database is ever read by them.
write_config "$CONF" "$RUN_DIR/test-data" 0 \
    "$("$VENV/bin/python" -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
export SUITE_TEST_DB=$DB SUITE_TEST_CONFIG=$CONF SUITE_LIFECYCLE_DB="${DB}_lifecycle" \
    SUITE_WORKERS_DB="${DB}_workers"

cleanup() {
    pgtool drop "$DB" >/dev/null 2>&1 || true
    pgtool drop "$SUITE_LIFECYCLE_DB" >/dev/null 2>&1 || true
    pgtool drop "$SUITE_WORKERS_DB" >/dev/null 2>&1 || true
    rm -rf "$RUN_DIR/test-data/filestore/$DB" "$RUN_DIR/test-data/filestore/$SUITE_LIFECYCLE_DB" \
        "$RUN_DIR/test-data/filestore/$SUITE_WORKERS_DB" "$CONF"
}
trap cleanup EXIT

say "Creating test database $DB with the four addons and demo data (about 3 minutes)"
started=$(date +%s)
install_or_update "$CONF" "$DB" -i "$SUITE_ADDONS" "$RUN_DIR/logs/install-$DB.log"
say "Installed in $(($(date +%s) - started)) s"
# Copies for the suite-wide tests that need committed data or real processes:
# tests/test_lifecycle.py upgrades and uninstalls the addons in one, and
# tests/test_queue_workers.py runs real worker processes against the other.
pgtool copy "$DB" "$SUITE_LIFECYCLE_DB"
pgtool copy "$DB" "$SUITE_WORKERS_DB"

say "Running the test suite"
cd "$ROOT"
set +e
"$VENV/bin/python" -m pytest addons tests \
    --odoo-config="$CONF" --odoo-database="$DB" --odoo-http --odoo-log-level=warn "$@"
rc=$?
set -e
exit $rc
