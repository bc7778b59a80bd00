#!/usr/bin/env bash
# Brings up (or reuses) the project's own PostgreSQL and ClickHouse servers with their
# data under .data/ in the checkout, on ports that do not clash with system services.
#
#   scripts/stack.sh up     install missing packages, start both servers, create databases
#   scripts/stack.sh down   stop the servers this script started
#   scripts/stack.sh env    print the environment variables that point at the stack
#
# Idempotent: a second "up" finds the running servers and leaves them alone.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="${OUTCOMES_DATA_DIR:-$ROOT/.data}"
PG_PORT="${OUTCOMES_PG_PORT:-55432}"
CH_TCP_PORT="${OUTCOMES_CH_PORT:-59000}"
CH_HTTP_PORT="${OUTCOMES_CH_HTTP_PORT:-58123}"
PG_DIR="$DATA/postgres"
PG_RUN="$DATA/postgres-run"
CH_DIR="$DATA/clickhouse"
DB_USER=outcomes
DB_PASS=outcomes

log() { printf '[stack] %s\n' "$*" >&2; }

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
  if [ "${#want[@]}" -gt 0 ]; then
    log "installing ${want[*]} from Debian's packages"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    # policy-rc.d may refuse to start the system services; that is fine, we run our own.
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${want[@]}" >/dev/null
  fi
}

# run_pg runs a PostgreSQL binary as the postgres user when we are root (initdb and
# pg_ctl refuse to run as root).
run_pg() {
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

pg_up() {
  local bin; bin="$(pg_bindir)"
  mkdir -p "$PG_RUN"
  if [ "$(id -u)" = 0 ]; then
    chown postgres:postgres "$PG_RUN"
    # PostgreSQL runs as the postgres user, which must be able to reach the data folder.
    # A checkout under a private home folder (mode 700) is not reachable: then the
    # server's files live in the postgres user's home, linked from .data/.
    if ! runuser -u postgres -- test -x "$PG_RUN"; then
      local alt="/var/lib/postgresql/outcomes-$(printf '%s' "$ROOT" | md5sum | cut -c1-12)"
      log "postgres user cannot reach $DATA; keeping PostgreSQL's files in $alt"
      mkdir -p "$alt/data" "$alt/run"
      chown -R postgres:postgres "$alt"
      [ -L "$PG_DIR" ] || { [ -e "$PG_DIR" ] && rm -rf "$PG_DIR"; ln -s "$alt/data" "$PG_DIR"; }
      PG_DIR="$alt/data"
      PG_RUN="$alt/run"
    fi
  fi
  if [ ! -f "$PG_DIR/PG_VERSION" ]; then
    log "initialising PostgreSQL in $PG_DIR"
    mkdir -p "$PG_DIR"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$PG_DIR"
    chmod 700 "$PG_DIR"
    run_pg "$bin/initdb" -D "$PG_DIR" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    cat >>"$PG_DIR/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_RUN'
max_connections = 200
fsync = on
shared_buffers = 256MB
log_min_messages = warning
CONF
  fi
  if run_pg "$bin/pg_ctl" -D "$PG_DIR" status >/dev/null 2>&1; then
    log "PostgreSQL already running on 127.0.0.1:$PG_PORT"
  elif "$bin/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; then
    # Another checkout's stack (or a user's server) already answers on this port: reuse it.
    log "a PostgreSQL server already answers on 127.0.0.1:$PG_PORT; reusing it"
  else
    log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
    run_pg "$bin/pg_ctl" -D "$PG_DIR" -l "$PG_DIR/server.log" -w -t 60 start >/dev/null
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

ch_config() {
  mkdir -p "$CH_DIR/data" "$CH_DIR/tmp" "$CH_DIR/user_files" "$CH_DIR/format_schemas" "$CH_DIR/log"
  cat >"$CH_DIR/config.xml" <<CONF
<?xml version="1.0"?>
<yandex>
    <logger>
        <level>warning</level>
        <log>$CH_DIR/log/clickhouse-server.log</log>
        <errorlog>$CH_DIR/log/clickhouse-server.err.log</errorlog>
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
    <path>$CH_DIR/data/</path>
    <tmp_path>$CH_DIR/tmp/</tmp_path>
    <user_files_path>$CH_DIR/user_files/</user_files_path>
    <format_schema_path>$CH_DIR/format_schemas/</format_schema_path>
    <users_config>$CH_DIR/users.xml</users_config>
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

ch_up() {
  ch_config
  if ch_ping; then
    log "ClickHouse already running on 127.0.0.1:$CH_TCP_PORT"
  else
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
  fi
}

print_env() {
  cat <<ENV
export OUTCOMES_DATABASE_URL=postgres://$DB_USER:$DB_PASS@127.0.0.1:$PG_PORT/outcomes?sslmode=disable
export OUTCOMES_TEST_DATABASE_URL=postgres://$DB_USER:$DB_PASS@127.0.0.1:$PG_PORT/outcomes_test?sslmode=disable
export OUTCOMES_PG_ADMIN_URL=postgres://postgres@127.0.0.1:$PG_PORT/postgres?sslmode=disable
export OUTCOMES_CLICKHOUSE_ADDR=127.0.0.1:$CH_TCP_PORT
export OUTCOMES_CLICKHOUSE_DATABASE=outcomes
ENV
}

down() {
  local bin
  if [ -L "$PG_DIR" ]; then # files kept in the postgres user's home (see pg_up)
    PG_DIR="$(readlink -f "$PG_DIR")"
  fi
  if bin="$(pg_bindir)" && [ -f "$PG_DIR/PG_VERSION" ]; then
    run_pg "$bin/pg_ctl" -D "$PG_DIR" -m fast -w stop >/dev/null 2>&1 && log "PostgreSQL stopped" || log "PostgreSQL was not running"
  fi
  # The server is found by its config file, which is this checkout's own.
  if pkill -f -- "--config-file=$CH_DIR/config.xml"; then
    local i; for i in $(seq 1 60); do pgrep -f -- "--config-file=$CH_DIR/config.xml" >/dev/null || break; sleep 0.5; done
    log "ClickHouse stopped"
  else
    log "ClickHouse was not running (from this checkout)"
  fi
}

case "${1:-up}" in
  up) install_packages; mkdir -p "$DATA"; pg_up; ch_up; log "stack is up (data in $DATA)" ;;
  down) down ;;
  env) print_env ;;
  ch-stop) # used by the outage tests: stop only ClickHouse (kill -9 with "ch-stop kill")
    pkill "-${2:-TERM}" -f -- "--config-file=$CH_DIR/config.xml" || true
    for _ in $(seq 1 60); do pgrep -f -- "--config-file=$CH_DIR/config.xml" >/dev/null || break; sleep 0.5; done ;;
  pg-stop) # used by the outage tests: stop only PostgreSQL
    [ -L "$PG_DIR" ] && PG_DIR="$(readlink -f "$PG_DIR")"
    run_pg "$(pg_bindir)/pg_ctl" -D "$PG_DIR" -m fast -w stop >/dev/null ;;
  *) echo "usage: $0 up|down|env" >&2; exit 2 ;;
esac
