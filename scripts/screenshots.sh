#!/usr/bin/env bash
# ./suite screenshots [--db NAME] [ARGS]: PNGs of the screens people use, for docs/screenshots/.
# Creates a database with the four addons and their demo data (dropped afterwards), or reuses
# the one named by --db (e.g. commerce_sync of ./suite run), serves it with Odoo on a free
# port without cron workers (the demo stays as it was installed), and has headless Chromium
# shoot each screen (scripts/screenshots.py). Other arguments go to that script, e.g.
# --only queue price_change, --out DIR.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/scripts/lib.sh"

REUSE_DB=""
args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --db)
            [ $# -ge 2 ] || die "--db needs a database name."
            REUSE_DB=$2
            shift 2
            ;;
        *)
            args+=("$1")
            shift
            ;;
    esac
done

# Before the 3 minutes of installation: without a browser there is nothing to do.
browser=""
for candidate in chromium chromium-browser google-chrome google-chrome-stable; do
    if command -v "$candidate" >/dev/null 2>&1; then
        browser=$(command -v "$candidate")
        break
    fi
done
[ -n "$browser" ] ||
    die "Chromium is not installed and screenshots need it: install it (Debian: apt-get install chromium) and re-run."

ensure_venv
find_odoo
ensure_postgres

PORT=$("$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
CONF="$RUN_DIR/screens-$$.conf"
LOG="$RUN_DIR/logs/screens-$$.log"
mkdir -p "$RUN_DIR/logs"
server_pid=""
if [ -n "$REUSE_DB" ]; then
    DB=$REUSE_DB
    pgtool exists "$DB" || die "database $DB does not exist: create it with ./suite run, or leave out --db."
    pgtool check-installed "$DB" "$SUITE_ADDONS" ||
        die "database $DB does not have the four addons installed: run ./suite run first, or leave out --db."
    # A database of ./suite run keeps its connector secrets under the suite's key.
    write_config "$CONF" "$RUN_DIR/data" "$PORT" "$(encryption_key)"
else
    DB="screens_$(date +%Y%m%d%H%M%S)_$$"
    write_config "$CONF" "$RUN_DIR/screens-data" "$PORT" \
        "$("$VENV/bin/python" -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
fi

cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [ -z "$REUSE_DB" ]; then
        pgtool drop "$DB" >/dev/null 2>&1 || true
        rm -rf "$RUN_DIR/screens-data/filestore/$DB"
    fi
    rm -f "$CONF"
}
trap cleanup EXIT

if [ -z "$REUSE_DB" ]; then
    say "Creating database $DB with the four addons and their demo data (about 3 minutes)"
    install_or_update "$CONF" "$DB" -i "$SUITE_ADDONS" "$RUN_DIR/logs/install-$DB.log"
fi

say "Serving $DB on http://127.0.0.1:$PORT for the screenshots (log: $LOG)"
# Started directly (not through a shell function) so that $! is Odoo's own process.
"$VENV/bin/python" "$ODOO_SRC/odoo-bin" -c "$CONF" -d "$DB" --db-filter="^$DB\$" \
    --http-interface=127.0.0.1 --max-cron-threads=0 --logfile="$LOG" &
server_pid=$!

"$VENV/bin/python" "$ROOT/scripts/screenshots.py" --url "http://127.0.0.1:$PORT" --db "$DB" \
    --chromium "$browser" --server-log "$LOG" "${args[@]}"
