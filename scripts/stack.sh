#!/usr/bin/env bash
# Brings up the project's own PostgreSQL and ClickHouse servers with their data under
# .data/ in the checkout (or OUTCOMES_DATA_DIR), on ports that do not clash with system
# services, and installs what is missing (the two servers and Chromium, which prints the
# steering report as PDF and drives the browser tests) from Debian's packages.
#
#   scripts/stack.sh up       install missing packages, start both servers, create databases
#   scripts/stack.sh down     stop this stack's servers (only the ones it started)
#   scripts/stack.sh destroy  stop them and remove the stack's files
#   scripts/stack.sh reap     destroy the private test stacks whose test has ended
#   scripts/stack.sh env      print the environment variables that point at the stack
#
# Every stack owns exactly its data folder and its servers. "up" is idempotent: it
# finds this stack's running servers and leaves them alone. A port held by any other
# server is an error naming the port and the variable that chooses another; it is never
# reused, because it may be another checkout's database with another schema.
#
# The checkout and the data folder may be anywhere: paths with spaces, quotes, "$",
# non-ASCII letters, a leading dash, symlinks, or 120 characters deep. Such a path is
# therefore only ever passed as one argument (never inside a string a shell or a server
# parses again), XML-escaped in ClickHouse's config, and used in its one physical
# spelling (pwd -P), so that a stack is recognised by the same path whichever way it was
# reached.
set -euo pipefail
unset CDPATH # a relative cd must not land in a folder CDPATH names (or print it)

ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
DATA="${OUTCOMES_DATA_DIR:-$ROOT/.data}"
case "$DATA" in /*) ;; *) DATA="$PWD/$DATA" ;; esac
[ "${1:-up}" = up ] && mkdir -p -- "$DATA"
[ -d "$DATA" ] && DATA="$(cd -- "$DATA" && pwd -P)"
PG_PORT="${OUTCOMES_PG_PORT:-55432}"
CH_TCP_PORT="${OUTCOMES_CH_PORT:-59000}"
CH_HTTP_PORT="${OUTCOMES_CH_HTTP_PORT:-58123}"
PG_DIR="$DATA/postgres"
CH_DIR="$DATA/clickhouse"
DB_USER=outcomes
DB_PASS=outcomes

log() { printf '[stack] %s\n' "$*" >&2; }

# The ports go into pg_ctl's -o string (which /bin/sh parses) and ClickHouse's config:
# digits only.
port_number() { # value variable
  case "$1" in '' | *[!0-9]*) log "$2 must be a port number, not \"$1\""; exit 2 ;; esac
}
port_number "$PG_PORT" OUTCOMES_PG_PORT
port_number "$CH_TCP_PORT" OUTCOMES_CH_PORT
port_number "$CH_HTTP_PORT" OUTCOMES_CH_HTTP_PORT

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root to run: $*"; exit 1; fi
}

pg_bindir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  done
  return 1
}

install_packages() {
  local want=()
  pg_bindir >/dev/null || want+=(postgresql)
  command -v clickhouse-server >/dev/null || want+=(clickhouse-server)
  command -v clickhouse-client >/dev/null || want+=(clickhouse-client)
  command -v chromium >/dev/null || want+=(chromium)
  if [ "${#want[@]}" -gt 0 ]; then
    log "installing ${want[*]} from Debian's packages"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 update -qq
    # policy-rc.d may refuse to start the system services; that is fine, we run our own.
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq "${want[@]}" >/dev/null
  fi
}

# run_pg runs a PostgreSQL binary as the postgres user when we are root (initdb and
# pg_ctl refuse to run as root).
run_pg() {
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# port_busy says whether anything at all accepts connections on 127.0.0.1:$1.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# refuse_port stops with a message naming the port and how to choose another: a port held
# by a server that is not this stack's own is never silently reused (it could be another
# checkout's database with another schema).
refuse_port() { # what port variable
  log "port $2 on 127.0.0.1 ($1) is held by a server that is not this stack's own (data in $DATA)."
  log "Stop that server, or choose another port for this stack, e.g.: $3=$(( $2 + 100 )) make test"
  log "(OUTCOMES_PG_PORT, OUTCOMES_CH_PORT and OUTCOMES_CH_HTTP_PORT choose this stack's ports.)"
  exit 3
}

# resolve_pg_dir points PG_DIR at this stack's PostgreSQL files. As root the
# server runs as the postgres user, which must be able to reach them; a data folder it
# cannot enter (a private home folder, a mktemp -d folder) keeps them in the postgres
# user's home instead, in a folder named after this stack's data folder (not the
# checkout: every stack of a checkout, private test stacks included, has its own), and
# .data/postgres links to it. Only "up" (resolve_pg_dir place) moves them; "down" and
# "destroy" follow the link.
resolve_pg_dir() {
  [ "$(id -u)" = 0 ] || return 0
  if [ -L "$PG_DIR" ]; then
    PG_DIR="$(readlink -f -- "$PG_DIR")"; return 0
  fi
  [ "${1:-}" = place ] || return 0
  if ! runuser -u postgres -- test -x "$DATA"; then
    local alt
    alt="/var/lib/postgresql/outcomes-$(printf '%s' "$DATA" | md5sum | cut -c1-16)"
    log "postgres user cannot reach $DATA; keeping PostgreSQL's files in $alt"
    mkdir -p "$alt/data"
    printf '%s\n' "$DATA" >"$alt/owner"
    chown -R postgres:postgres "$alt"
    rm -rf -- "$PG_DIR"
    ln -s -- "$alt/data" "$PG_DIR"
    PG_DIR="$alt/data"
  fi
}

# pg_pid prints the pid of this stack's running postmaster, if there is one: the pid in
# its postmaster.pid must be a live process whose working folder is this very data
# folder (the postmaster works in its data folder; its command line does not name it,
# see pg_up). A left-over postmaster.pid (a server killed mid-test, a reused pid, which
# PostgreSQL would take for a server still running) is removed.
pg_pid() {
  local f="$PG_DIR/postmaster.pid" pid cwd
  [ -f "$f" ] || return 1
  pid="$(head -1 "$f" 2>/dev/null || true)"
  # Read as the server's own user: root may not read another user's /proc/PID/cwd
  # where it lacks CAP_SYS_PTRACE (a container).
  if [ -n "$pid" ] && cwd="$(run_pg readlink "/proc/$pid/cwd" 2>/dev/null)" &&
    [ "$cwd" = "$(cd -- "$PG_DIR" && pwd -P)" ]; then
    echo "$pid"; return 0
  fi
  log "removing a stale postmaster.pid (pid ${pid:-?} is not this stack's server)"
  rm -f -- "$f"
  return 1
}

# pg_running_port prints the port this stack's running server listens on.
pg_running_port() { sed -n 4p "$PG_DIR/postmaster.pid" 2>/dev/null; }

pg_up() {
  local bin; bin="$(pg_bindir)"
  resolve_pg_dir place
  if [ ! -f "$PG_DIR/PG_VERSION" ]; then
    log "initialising PostgreSQL in $PG_DIR"
    mkdir -p "$PG_DIR"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$PG_DIR"
    chmod 700 "$PG_DIR"
    run_pg "$bin/initdb" -D "$PG_DIR" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    # The port is given at every start (below), so the environment chooses it, not the
    # value at initialisation.
    cat >>"$PG_DIR/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
max_connections = 200
fsync = on
shared_buffers = 256MB
log_min_messages = warning
CONF
  fi
  if pg_pid >/dev/null; then
    local running; running="$(pg_running_port)"
    if [ "$running" != "$PG_PORT" ]; then
      log "this stack's PostgreSQL runs on port $running, not $PG_PORT; run 'scripts/stack.sh down' first or keep OUTCOMES_PG_PORT=$running"
      exit 3
    fi
    log "PostgreSQL already running on 127.0.0.1:$PG_PORT"
  else
    port_busy "$PG_PORT" && refuse_port PostgreSQL "$PG_PORT" OUTCOMES_PG_PORT
    log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
    # pg_ctl starts the server through /bin/sh -c with -D, -l and -o pasted into one
    # string, so no path goes there: the data folder goes in PGDATA and the log is
    # pg_ctl's own output (which the server inherits). "-k ''" listens on TCP only, with
    # no unix socket: its path (.s.PGSQL.<port> in the socket folder) may not exceed 107
    # bytes, which a deep checkout's folder does, and every client here (psql below, the
    # URLs of "env") connects to 127.0.0.1.
    run_pg env PGDATA="$PG_DIR" "$bin/pg_ctl" -w -t 60 -o "-p $PG_PORT -k ''" start >>"$PG_DIR/server.log" 2>&1 ||
      { log "PostgreSQL did not start; see $PG_DIR/server.log"; tail -5 "$PG_DIR/server.log" >&2 || true; exit 1; }
  fi
  local psql=("$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qtA)
  if [ "$("${psql[@]}" -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname='$DB_USER'")" != 1 ]; then
    # No SUPERUSER and no BYPASSRLS: the application is subject to row-level security.
    "${psql[@]}" -d postgres -c "CREATE ROLE $DB_USER LOGIN PASSWORD '$DB_PASS' CREATEDB"
  fi
  # Least privilege (migration 0005): $DB_USER owns the schema and runs migrations; the
  # API and the loader log in as roles of their own that own nothing.
  local role
  for role in outcomes_api outcomes_loader; do
    if [ "$("${psql[@]}" -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname='$role'")" != 1 ]; then
      "${psql[@]}" -d postgres -c "CREATE ROLE $role LOGIN PASSWORD '$role' NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"
    fi
  done
  for db in outcomes outcomes_test; do
    if [ "$("${psql[@]}" -d postgres -c "SELECT 1 FROM pg_database WHERE datname='$db'")" != 1 ]; then
      "${psql[@]}" -d postgres -c "CREATE DATABASE $db OWNER $DB_USER"
    fi
  done
}

# xml_text prints $1 escaped as XML text: the folder's path may hold "&" or "<".
xml_text() { printf '%s' "$1" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g'; }

ch_config() {
  mkdir -p "$CH_DIR/data" "$CH_DIR/tmp" "$CH_DIR/user_files" "$CH_DIR/format_schemas" "$CH_DIR/log"
  local dir; dir="$(xml_text "$CH_DIR")"
  cat >"$CH_DIR/config.xml" <<CONF
<?xml version="1.0"?>
<yandex>
    <logger>
        <level>warning</level>
        <log>$dir/log/clickhouse-server.log</log>
        <errorlog>$dir/log/clickhouse-server.err.log</errorlog>
        <size>100M</size>
        <count>3</count>
    </logger>
    <http_port>$CH_HTTP_PORT</http_port>
    <tcp_port>$CH_TCP_PORT</tcp_port>
    <listen_host>127.0.0.1</listen_host>
    <max_connections>1024</max_connections>
    <keep_alive_timeout>3</keep_alive_timeout>
    <max_concurrent_queries>100</max_concurrent_queries>
    <uncompressed_cache_size>1073741824</uncompressed_cache_size>
    <mark_cache_size>1073741824</mark_cache_size>
    <path>$dir/data/</path>
    <tmp_path>$dir/tmp/</tmp_path>
    <user_files_path>$dir/user_files/</user_files_path>
    <format_schema_path>$dir/format_schemas/</format_schema_path>
    <users_config>$dir/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mlock_executable>false</mlock_executable>
    <builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
    <max_session_timeout>3600</max_session_timeout>
    <default_session_timeout>60</default_session_timeout>
</yandex>
CONF
  cat >"$CH_DIR/users.xml" <<CONF
<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_memory_usage>8000000000</max_memory_usage>
            <use_uncompressed_cache>0</use_uncompressed_cache>
            <load_balancing>random</load_balancing>
        </default>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas>
        <default>
            <interval><duration>3600</duration><queries>0</queries><errors>0</errors>
                <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval>
        </default>
    </quotas>
</yandex>
CONF
}

ch_ping() { clickhouse-client --host 127.0.0.1 --port "$CH_TCP_PORT" -q 'SELECT 1' >/dev/null 2>&1; }

# ch_pids prints the pids of this stack's ClickHouse server: the one started with this
# stack's own config file (the path is matched literally, not as a pattern).
ch_pids() {
  local pattern
  pattern="--config-file=$(printf '%s' "$CH_DIR/config.xml" | sed 's/[][\.*^$+?(){}|]/\\&/g')\$"
  pgrep -f -- "$pattern"
}

ch_up() {
  if ch_pids >/dev/null; then
    local i; for i in $(seq 1 20); do ch_ping && break; sleep 0.5; done
    if ! ch_ping; then
      log "this stack's ClickHouse runs but does not answer on port $CH_TCP_PORT (started with other ports?); run 'scripts/stack.sh down' first"
      exit 3
    fi
    log "ClickHouse already running on 127.0.0.1:$CH_TCP_PORT"
    return 0
  fi
  port_busy "$CH_TCP_PORT" && refuse_port "ClickHouse native" "$CH_TCP_PORT" OUTCOMES_CH_PORT
  port_busy "$CH_HTTP_PORT" && refuse_port "ClickHouse HTTP" "$CH_HTTP_PORT" OUTCOMES_CH_HTTP_PORT
  ch_config
  log "starting ClickHouse on 127.0.0.1:$CH_TCP_PORT"
  # Its own session, and no inherited descriptors: it outlives this script, and a
  # caller reading our output (make, CI) is not kept waiting for it.
  setsid clickhouse-server --config-file="$CH_DIR/config.xml" \
    >"$CH_DIR/log/stdout.log" 2>&1 </dev/null &
  local i
  for i in $(seq 1 120); do
    ch_ping && break
    sleep 0.5
  done
  ch_ping || { log "ClickHouse did not answer; see $CH_DIR/log"; tail -20 "$CH_DIR/log/stdout.log" >&2 || true; exit 1; }
}

print_env() {
  cat <<ENV
export OUTCOMES_DATABASE_URL=postgres://$DB_USER:$DB_PASS@127.0.0.1:$PG_PORT/outcomes?sslmode=disable
export OUTCOMES_TEST_DATABASE_URL=postgres://$DB_USER:$DB_PASS@127.0.0.1:$PG_PORT/outcomes_test?sslmode=disable
export OUTCOMES_PG_ADMIN_URL=postgres://postgres@127.0.0.1:$PG_PORT/postgres?sslmode=disable
export OUTCOMES_BACKUP_DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PORT/outcomes?sslmode=disable
export OUTCOMES_CLICKHOUSE_ADDR=127.0.0.1:$CH_TCP_PORT
export OUTCOMES_CLICKHOUSE_DATABASE=outcomes
ENV
}

pg_down() {
  local bin
  resolve_pg_dir
  if pg_pid >/dev/null && bin="$(pg_bindir)"; then
    run_pg "$bin/pg_ctl" -D "$PG_DIR" -m fast -w -t 60 stop >/dev/null && log "PostgreSQL stopped"
  else
    log "PostgreSQL was not running (this stack's)"
  fi
}

ch_down() { # signal
  if ch_pids >/dev/null; then
    # Only the server started with this stack's own config file is signalled.
    kill "-${1:-TERM}" $(ch_pids) 2>/dev/null || true
    local i; for i in $(seq 1 60); do ch_pids >/dev/null || break; sleep 0.5; done
    log "ClickHouse stopped"
  else
    log "ClickHouse was not running (this stack's)"
  fi
}

# destroy stops this stack's servers and removes its files, including PostgreSQL's
# folder in the postgres user's home when it was kept there.
destroy() {
  local alt=""
  [ -L "$PG_DIR" ] && alt="$(dirname "$(readlink -f "$PG_DIR")")"
  pg_down; ch_down
  [ -n "$alt" ] && [ -f "$alt/owner" ] && rm -rf "$alt"
  rm -rf "$DATA"
}

# reap destroys the private test stacks under this checkout's .data whose owning test
# process has ended (a test that panicked or timed out never ran its clean-up). A stack
# whose test is still running (another `make test` of this checkout) is left alone.
reap() {
  local d pid
  for d in "$ROOT"/.data/private-*; do
    [ -d "$d" ] || continue
    pid="$(cat "$d/owner.pid" 2>/dev/null || true)"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then continue; fi
    log "removing the private test stack $d (its test has ended)"
    OUTCOMES_DATA_DIR="$d" "$ROOT/scripts/stack.sh" destroy
  done
}

case "${1:-up}" in
  up) install_packages; pg_up; ch_up; log "stack is up (data in $DATA)" ;;
  down) pg_down; ch_down ;;
  destroy) destroy ;;
  reap) reap ;;
  env) print_env ;;
  pg-bindir) pg_bindir || { log "PostgreSQL is not installed (scripts/stack.sh up installs it)"; exit 1; } ;; # the stack's server's programs
  ch-stop) ch_down "${2:-TERM}" ;; # used by the outage tests: stop only ClickHouse ("ch-stop KILL")
  pg-stop) pg_down ;;            # used by the outage tests: stop only PostgreSQL
  *) echo "usage: $0 up|down|destroy|reap|env" >&2; exit 2 ;;
esac
