#!/usr/bin/env bash
# ./suite bench NAME [ARGS]: run bench/NAME.py with the suite's virtualenv, Odoo and PostgreSQL.
# Each benchmark creates and drops its own database and prints its figures with a baseline
# measured in the same run.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/scripts/lib.sh"

name=${1:-}
[ -n "$name" ] && [ -f "$ROOT/bench/$name.py" ] ||
    die "usage: ./suite bench NAME [ARGS], NAME one of: $(cd "$ROOT/bench" && ls ./*.py 2>/dev/null | sed 's|./||; s|\.py$||' | tr '\n' ' ')"
shift
ensure_venv
find_odoo
ensure_postgres
ensure_rabbitmq
CONF="$RUN_DIR/bench-$$.conf"
write_config "$CONF" "$RUN_DIR/bench-data" 0 \
    "$("$VENV/bin/python" -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
trap 'rm -f "$CONF"' EXIT
export SUITE_BENCH_CONFIG=$CONF ODOO_SRC
"$VENV/bin/python" "$ROOT/bench/$name.py" --config "$CONF" "$@"
