# Shared set-up steps of ./suite run and ./suite test (sourced, not run).
# Every step is idempotent: re-running costs a few checks when nothing changed.

ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
RUN_DIR="$ROOT/.run"
PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
ODOO_DB_USER=${ODOO_DB_USER:-odoo}
ODOO_DB_PASSWORD=${ODOO_DB_PASSWORD:-}
PGADMIN_USER=${PGADMIN_USER:-postgres}
SUITE_ADDONS="integration_core,price_governance,promotion_sync,stock_publication"
ODOO_CLONE_URL=${ODOO_CLONE_URL:-https://github.com/odoo/odoo.git}
export PGHOST PGPORT ODOO_DB_USER ODOO_DB_PASSWORD PGADMIN_USER

say() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }
warn() { printf '\033[1mwarning:\033[0m %s\n' "$*" >&2; }
die() {
    printf '\033[31mError:\033[0m %s\n' "$*" >&2
    exit 1
}

# --- Odoo series -----------------------------------------------------------------------------
# The suite runs on each of these Odoo series, from the same tree.
SUPPORTED_SERIES="18.0 19.0"

# odoo_tree_series DIR: print the series ("18.0", "19.0", ...) of the Odoo source tree DIR, as
# its odoo/release.py says; nothing and status 1 when DIR is not an Odoo source tree.
odoo_tree_series() {
    [ -f "$1/odoo-bin" ] && [ -f "$1/odoo/release.py" ] || return 1
    sed -nE 's/^version_info = \(([0-9]+), *([0-9]+),.*/\1.\2/p' "$1/odoo/release.py" | head -1 | grep .
}

is_supported_series() { [[ " $SUPPORTED_SERIES " == *" $1 "* ]]; }

# The series comes from ODOO_SRC when it is set (its release.py), otherwise from ODOO_VERSION
# (default 18.0), which also names the default folder /opt/odoo/<series> and the branch cloned.
# Set when this file is sourced; errors wait for select_series, so that ./suite help works.
SERIES_ERROR=""
if [ -n "${ODOO_SRC:-}" ]; then
    ODOO_SERIES=$(odoo_tree_series "$ODOO_SRC") ||
        SERIES_ERROR="ODOO_SRC=$ODOO_SRC is not an Odoo source tree (it needs odoo-bin and odoo/release.py): point ODOO_SRC at one ($SUPPORTED_SERIES)."
    if [ -z "$SERIES_ERROR" ] && [ -n "${ODOO_VERSION:-}" ] && [ "$ODOO_VERSION" != "$ODOO_SERIES" ]; then
        SERIES_ERROR="ODOO_VERSION=$ODOO_VERSION but ODOO_SRC=$ODOO_SRC is Odoo $ODOO_SERIES: unset one of them."
    fi
else
    ODOO_SERIES=${ODOO_VERSION:-18.0}
fi
if [ -z "$SERIES_ERROR" ] && ! is_supported_series "$ODOO_SERIES"; then
    SERIES_ERROR="Odoo ${ODOO_SERIES:-?} is not supported: the suite runs on Odoo $SUPPORTED_SERIES (ODOO_SRC or ODOO_VERSION)."
fi
# One virtualenv per series: their pins differ. 18.0 keeps the historical ./.venv.
if [ "$ODOO_SERIES" = 18.0 ] || [ -n "$SERIES_ERROR" ]; then
    VENV=${SUITE_VENV:-$ROOT/.venv}
else
    VENV=${SUITE_VENV:-$ROOT/.venv-$ODOO_SERIES}
fi
export ODOO_SERIES

# select_series: die with a clear message when the series chosen above is unusable.
select_series() {
    [ -z "$SERIES_ERROR" ] || die "$SERIES_ERROR"
}

# present_series: print the supported series whose source tree is on this machine, one per
# line: that of ODOO_SRC alone when it is set, otherwise each series found in its default
# folder (/opt/odoo/<series>, ODOO_ROOT to change) or in the suite's cache of clones. Status 1
# when there is none.
present_series() {
    if [ -n "${ODOO_SRC:-}" ]; then
        select_series
        echo "$ODOO_SERIES"
        return 0
    fi
    local series found=1 cache
    for series in $SUPPORTED_SERIES; do
        cache="${XDG_CACHE_HOME:-$HOME/.cache}/governed-commerce-sync/odoo-$series"
        if [ "$(odoo_tree_series "${ODOO_ROOT:-/opt/odoo}/$series")" = "$series" ] ||
            [ "$(odoo_tree_series "$cache")" = "$series" ]; then
            echo "$series"
            found=0
        fi
    done
    return $found
}

# Odoo's own Python requirements for the chosen series.
odoo_requirements() { echo "$ROOT/requirements/odoo-$ODOO_SERIES.txt"; }

suite_help() {
    cat <<'EOF'
Usage:
  ./suite run     Set up (virtualenv, Odoo, PostgreSQL role), create the demo database
                  'commerce_sync' with the four addons, and serve Odoo on http://localhost:8069.
                  Re-running is safe: addons are upgraded only when their files changed.
  ./suite test    Create a fresh database, install the four addons, run the whole test suite
                  (addon tests and tests/) with pytest-odoo, drop the database.
                  Extra arguments go to pytest, e.g. ./suite test -k queue
  ./suite shell   An Odoo shell on the demo database.
  ./suite bench NAME [ARGS]
                  Run bench/NAME.py (own database, figures printed beside a bare baseline).
  ./suite screenshots [--db NAME] [--only SCREEN...]
                  Serve the four addons on demo data (a fresh database, dropped afterwards,
                  or NAME) and save PNGs of the main screens, taken with headless Chromium,
                  into docs/screenshots/.

Environment:
  ODOO_SRC            Odoo source tree (folder with odoo-bin), 18.0 or 19.0: its release.py
                      gives the series. Default /opt/odoo/<ODOO_VERSION>; when missing, that
                      branch is cloned (shallow) into ~/.cache.
  ODOO_VERSION        Odoo series when ODOO_SRC is not set: 18.0 (default) or 19.0.
  PGHOST, PGPORT      PostgreSQL server; default 127.0.0.1:5432.
  ODOO_DB_USER        Role Odoo connects as (created with CREATEDB if missing); default odoo.
  ODOO_DB_PASSWORD    Its password, if the server asks for one.
  PGADMIN_USER        Superuser used once to create that role; default postgres.
  SUITE_DB            Database of ./suite run; default commerce_sync.
  ODOO_HTTP_PORT      Port of ./suite run; default 8069.
  INTEGRATION_ENCRYPTION_KEY  Fernet key for connector secrets. ./suite run otherwise
                      generates one into .run/encryption.key (keep it: secrets need it).
  SUITE_VENV          Virtualenv to use; default ./.venv for 18.0, ./.venv-19.0 for 19.0.
EOF
}

# --- Python and the virtualenv ---------------------------------------------------------------

find_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3.12 python3.11 python3.13 python3; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 14))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    die "Python 3.11, 3.12 or 3.13 is required (Odoo $ODOO_SERIES): install it, or set PYTHON to its path."
}

requirements_digest() {
    cat "$(odoo_requirements)" "$ROOT/requirements.txt" "$ROOT/requirements/dev.txt" |
        sha256sum | cut -d' ' -f1
}

ensure_venv() {
    local digest stamp python
    select_series
    digest="$(requirements_digest)"
    stamp="$VENV/.suite-requirements"
    if [ -x "$VENV/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$digest" ]; then
        return 0
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        python=$(find_python)
        say "Creating the virtualenv $VENV with $python"
        "$python" -m venv "$VENV" ||
            die "could not create a virtualenv with $python: install the venv module (Debian: apt-get install python3-venv)."
    fi
    say "Installing Python requirements (Odoo's, ours, test tools): about a minute the first time"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip wheel >/dev/null 2>&1 ||
        die "pip could not upgrade itself in $VENV: is a package index reachable?"
    # (This machine's pip may warn about missing local index folders: noise, filtered.)
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        -r "$(odoo_requirements)" -r "$ROOT/requirements.txt" -r "$ROOT/requirements/dev.txt" \
        2> >(grep -v "is ignored: it is neither a file nor a directory" >&2) ||
        die "pip could not install the requirements (see above); fix that and re-run."
    echo "$digest" >"$stamp"
}

# --- Odoo itself -----------------------------------------------------------------------------

# find_odoo: set and export ODOO_SRC (a tree of the chosen series) and ODOO_ADDONS_PATH.
find_odoo() {
    select_series
    local series=$ODOO_SERIES default=${ODOO_ROOT:-/opt/odoo}/$ODOO_SERIES cache
    cache="${XDG_CACHE_HOME:-$HOME/.cache}/governed-commerce-sync/odoo-$series"
    if [ -n "${ODOO_SRC:-}" ]; then
        :  # checked when this file was sourced (select_series)
    elif [ "$(odoo_tree_series "$default")" = "$series" ]; then
        ODOO_SRC=$default
    elif [ "$(odoo_tree_series "$cache")" = "$series" ]; then
        ODOO_SRC=$cache
    else
        command -v git >/dev/null 2>&1 ||
            die "Odoo $series was not found at $default and git is missing to clone it: set ODOO_SRC to an Odoo $series source tree."
        say "Odoo $series not found at $default: cloning the official $series branch (shallow) into $cache"
        mkdir -p "$(dirname "$cache")"
        rm -rf "$cache.partial"
        if ! timeout 900 git clone --quiet --depth 1 --branch "$series" "$ODOO_CLONE_URL" "$cache.partial"; then
            rm -rf "$cache.partial"
            die "Odoo $series was not found at $default and cloning $ODOO_CLONE_URL failed: set ODOO_SRC to an Odoo $series source tree."
        fi
        mv "$cache.partial" "$cache"
        ODOO_SRC=$cache
    fi
    ODOO_SRC=$(cd "$ODOO_SRC" && pwd)
    export ODOO_SRC
    # Official checkouts (18.0 and 19.0) keep the community addons in ./addons and only base
    # (and test modules) in odoo/addons; some copies put every addon under odoo/addons (and may
    # carry a stale ./addons).
    ODOO_ADDONS_PATH="$ROOT/addons,$ODOO_SRC/odoo/addons"
    if [ ! -d "$ODOO_SRC/odoo/addons/web" ]; then
        [ -d "$ODOO_SRC/addons/web" ] || die "no 'web' addon in $ODOO_SRC/odoo/addons or $ODOO_SRC/addons: ODOO_SRC is incomplete."
        ODOO_ADDONS_PATH="$ODOO_ADDONS_PATH,$ODOO_SRC/addons"
    fi
    # pytest-odoo imports odoo: put the tree on the virtualenv's path.
    local site
    site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    echo "$ODOO_SRC" >"$site/odoo-src.pth"
}

# --- PostgreSQL ------------------------------------------------------------------------------

pgtool() { "$VENV/bin/python" "$ROOT/scripts/pgtool.py" "$@"; }

ensure_postgres() {
    if ! pgtool ping 2>/dev/null; then
        local versions
        versions=$(ls /etc/postgresql 2>/dev/null || true)
        if [ -n "$versions" ] && command -v pg_ctlcluster >/dev/null 2>&1 &&
            [[ "$PGHOST" == 127.0.0.1 || "$PGHOST" == localhost ]]; then
            say "PostgreSQL is not answering on $PGHOST:$PGPORT: starting the local cluster"
            local v
            for v in $versions; do
                pg_ctlcluster --skip-systemctl-redirect "$v" main start 2>/dev/null ||
                    runuser -u postgres -- pg_ctlcluster "$v" main start 2>/dev/null || true
            done
            local i
            for i in $(seq 1 30); do
                pgtool ping 2>/dev/null && break
                sleep 1
            done
        fi
        pgtool ping ||
            die "PostgreSQL does not answer on $PGHOST:$PGPORT: start it, or set PGHOST/PGPORT to a running server."
    fi
    pgtool ensure-role
}

# --- RabbitMQ (the AMQP transport's tests and benchmark) ----------------------------------------

AMQP_HOST=${AMQP_HOST:-127.0.0.1}
AMQP_PORT=${AMQP_PORT:-5672}

amqp_answers() {
    (exec 3<>"/dev/tcp/$AMQP_HOST/$AMQP_PORT") 2>/dev/null
}

# Start the local RabbitMQ when it is installed and not answering. Never fatal: the AMQP tests
# fail on their own, in one sentence, when no broker can be reached.
ensure_rabbitmq() {
    [ -n "${INTEGRATION_TEST_AMQP_URL:-}" ] && return 0  # another broker was chosen
    amqp_answers && return 0
    if command -v rabbitmq-server >/dev/null 2>&1 &&
        [[ "$AMQP_HOST" == 127.0.0.1 || "$AMQP_HOST" == localhost ]]; then
        say "RabbitMQ is not answering on $AMQP_HOST:$AMQP_PORT: starting it (rabbitmq-server -detached)"
        rabbitmq-server -detached >/dev/null 2>&1 || true
        local i
        for i in $(seq 1 60); do
            amqp_answers && return 0
            sleep 1
        done
        warn "RabbitMQ did not start within 60 s: the AMQP tests will fail."
    else
        warn "No RabbitMQ answers on $AMQP_HOST:$AMQP_PORT and none is installed here: the AMQP tests will fail (install rabbitmq-server, or set INTEGRATION_TEST_AMQP_URL)."
    fi
}

# --- Odoo configuration ----------------------------------------------------------------------

encryption_key() {
    if [ -n "${INTEGRATION_ENCRYPTION_KEY:-}" ]; then
        echo "$INTEGRATION_ENCRYPTION_KEY"
        return
    fi
    local keyfile="$RUN_DIR/encryption.key"
    if [ ! -s "$keyfile" ]; then
        mkdir -p "$RUN_DIR"
        (umask 077 && "$VENV/bin/python" -c \
            'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())' >"$keyfile")
    fi
    cat "$keyfile"
}

# write_config FILE DATA_DIR HTTP_PORT KEY
write_config() {
    local file=$1 data_dir=$2 http_port=$3 key=$4
    mkdir -p "$(dirname "$file")" "$data_dir"
    (
        umask 077
        cat >"$file" <<EOF
; Written by ./suite: edits are overwritten. See odoo.conf.example for every option.
[options]
addons_path = $ODOO_ADDONS_PATH
data_dir = $data_dir
db_host = $PGHOST
db_port = $PGPORT
db_user = $ODOO_DB_USER
db_password = $ODOO_DB_PASSWORD
http_port = $http_port
max_cron_threads = 2
list_db = True
; Demo data in new databases: 18.0 loads it by default, 19.0 only when asked.
without_demo = False
http_interface = 127.0.0.1

; The suite's own settings (odoo.conf.example lists them all).
[integration]
encryption_key = $key
EOF
    )
}

# odoo_bin CONFIG ARGS...
odoo_bin() {
    local conf=$1
    shift
    "$VENV/bin/python" "$ODOO_SRC/odoo-bin" -c "$conf" "$@"
}

# skipped_in_log LOGFILE [MODULES]: print the lines of an Odoo log that say one of MODULES
# (comma-separated; default the four addons) was skipped, or that any module's demo data was,
# without an error (status 1 when there is none). Odoo logs both as warnings and exits 0:
# "The module X has an incompatible version, setting installable=False" (19.0; X is then never
# installed) and "Module X demo data failed to install, installed without demo data" (18.0 and
# 19.0).
skipped_in_log() {
    local modules=${2:-$SUITE_ADDONS}
    grep -E " WARNING .*(The module (${modules//,/|}) has an incompatible version|installed without demo data)" "$1"
}

# install_or_update CONFIG DB MODE(-i|-u) MODULES LOGFILE: runs Odoo once and stops; fails
# loudly if Odoo logged an error, skipped a module or its demo data, or a module did not end up
# installed.
install_or_update() {
    local conf=$1 db=$2 mode=$3 modules=$4 log=$5 rc
    mkdir -p "$(dirname "$log")"
    set +e
    odoo_bin "$conf" -d "$db" "$mode" "$modules" --stop-after-init --no-http \
        --log-level=info --logfile="$log"
    rc=$?
    set -e
    if [ $rc -ne 0 ] || grep -Eq '^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) ' "$log"; then
        grep -E -A25 '^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) ' "$log" | head -80 >&2 || tail -40 "$log" >&2
        die "Odoo failed to $([ "$mode" = -i ] && echo install || echo upgrade) $modules in database $db (full log: $log)."
    fi
    if skipped_in_log "$log" >&2; then
        die "Odoo skipped a module or its demo data while installing or upgrading $modules in database $db (lines above; full log: $log)."
    fi
    pgtool check-installed "$db" "$SUITE_ADDONS" ||
        die "the addons are not all installed in $db after the run (full log: $log)."
}

# Per-addon digest of the files that make it, to know which addons changed since last run.
addon_digest() {
    (cd "$ROOT/addons/$1" && find . -type f ! -name '*.pyc' ! -path '*/__pycache__/*' -print0 |
        sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
}

# --- Browser tests ---------------------------------------------------------------------------

# apt_install PACKAGE WHAT: install a Debian package when running as root with apt-get (1 when
# that is not possible here; dies when apt-get fails).
apt_install() {
    [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || return 1
    say "Installing $2 (Debian package '$1')"
    (apt-get install -y -qq "$1" >/dev/null 2>&1 ||
        (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "$1" >/dev/null 2>&1)) ||
        die "could not install $2 with apt-get (apt-get install $1)."
}

# Odoo skips browser tests silently without Chromium: install it (Debian package) when it is
# missing and we may, otherwise say what to install. websocket-client comes with the venv.
ensure_browser() {
    local b
    for b in chromium chromium-browser google-chrome google-chrome-stable; do
        command -v "$b" >/dev/null 2>&1 && return 0
    done
    apt_install chromium "Chromium for the browser tests" && return 0
    die "Chromium is not installed and browser tests need it: install it (Debian: apt-get install chromium) and re-run."
}

# promtool and prometheus (Debian package 'prometheus'): the metrics tests check a real scrape
# with `promtool check metrics` and let a real Prometheus scrape the test server.
ensure_prometheus() {
    command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1 && return 0
    apt_install prometheus "Prometheus and promtool for the metrics tests" && return 0
    die "promtool and prometheus are not installed and the metrics tests need them: install them (Debian: apt-get install prometheus) and re-run."
}
