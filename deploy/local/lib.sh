# Shared helpers for the local (no-Docker) deployment. Sourced, never run.
# Every process we start gets a pid file under var/run and a log under var/log,
# so `down` stops exactly what `up` started and nothing else.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VAR="${MINYI_VAR:-$ROOT/var}"
CACHE="${MINYI_CACHE:-$HOME/.cache/minyi}"
RUN_DIR="$VAR/run"
LOG_DIR="$VAR/log"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"

KAFKA_VERSION="3.9.1"
KAFKA_HOME="$CACHE/kafka-$KAFKA_VERSION"
KAFKA_PORT="${MINYI_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${MINYI_KAFKA_CONTROLLER_PORT:-9093}"
# The MongoDB-wire store, chosen by measurement (docs/operations.md, "The store"):
#   secantusdb       SecantusDB on WiredTiger (default)
#   ferretdb         FerretDB on a private PostgreSQL cluster
#   ferretdb-sqlite  FerretDB on SQLite: deadlocks under concurrent writes, kept to reproduce that
STORE_ENGINE="${MINYI_STORE_ENGINE:-secantusdb}"
# Each SecantusDB process's WiredTiger cache; 1G (SecantusDB's default) holds 100,000 cases'
# data of any one service.
STORE_CACHE="${MINYI_STORE_CACHE:-1G}"
SECANTUS_VERSION="0.7.0b3"
SECANTUS_HOME="$CACHE/secantusdb-$SECANTUS_VERSION"
FERRETDB_VERSION="1.24.2"
FERRETDB_BIN="$CACHE/ferretdb-$FERRETDB_VERSION/ferretdb"
STORE_PORT="${MINYI_STORE_PORT:-27017}"
# SecantusDB is one Python process, which its interpreter lock holds to about one core, so each
# service gets a process of its own (the store of intake on STORE_PORT, then routing, notify and
# reporting on the next three ports): docs/operations.md, "One store per service".
# MINYI_STORES=shared runs one for all four; FerretDB always runs one.
STORES="${MINYI_STORES:-per-service}"
STORE_SERVICES=(intake routing notify reporting)
# Not 5432: Debian's own cluster may sit there, and ours must never be confused with it.
PG_PORT="${MINYI_PG_PORT:-15432}"
PG_DATA="$VAR/postgres"

mkdir -p "$RUN_DIR" "$LOG_DIR"

say() { printf '\033[1m==>\033[0m %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

case "$STORE_ENGINE" in
  secantusdb | ferretdb | ferretdb-sqlite) ;;
  *) die "MINYI_STORE_ENGINE must be secantusdb, ferretdb or ferretdb-sqlite, not $STORE_ENGINE" ;;
esac
case "$STORES" in
  per-service | shared) ;;
  *) die "MINYI_STORES must be per-service or shared, not $STORES" ;;
esac

# Whether each service's database has a store process of its own.
per_service_stores() { [ "$STORE_ENGINE" = secantusdb ] && [ "$STORES" = per-service ]; }

# The services whose stores are started: all four, or intake alone (its store holds them all).
store_owners() {
  if per_service_stores; then echo "${STORE_SERVICES[@]}"; else echo intake; fi
}

# store_name SERVICE -> its store's name (pid and log files): `store` is intake's, or the only one.
store_name() {
  if [ "$1" = intake ]; then echo store; else echo "store-$1"; fi
}

# store_port SERVICE -> the port of the store holding SERVICE's database.
store_port() {
  local i
  if ! per_service_stores; then
    echo "$STORE_PORT"
    return
  fi
  for i in "${!STORE_SERVICES[@]}"; do
    if [ "${STORE_SERVICES[$i]}" = "$1" ]; then
      echo $((STORE_PORT + i))
      return
    fi
  done
  die "no store for service $1"
}

store_url() { echo "mongodb://127.0.0.1:$(store_port "$1")/"; }

# pid_alive NAME -> 0 when the pid file names a live process we started.
pid_alive() {
  local pidfile="$RUN_DIR/$1.pid"
  [ -f "$pidfile" ] || return 1
  local pid
  pid="$(cat "$pidfile")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# start_bg NAME CMD... : start CMD in its own session, unless already running.
start_bg() {
  local name="$1"; shift
  if pid_alive "$name"; then
    say "$name already running (pid $(cat "$RUN_DIR/$name.pid"))"
    return 0
  fi
  say "starting $name"
  setsid "$@" >>"$LOG_DIR/$name.log" 2>&1 < /dev/null &
  echo $! >"$RUN_DIR/$name.pid"
}

# stop_bg NAME [SIGNAL] : TERM the process group we started, or send SIGNAL only to the process the
# pid file names (a server that stops its own children, e.g. PostgreSQL); KILL the group after 15 s.
stop_bg() {
  local name="$1" pidfile="$RUN_DIR/$1.pid"
  if ! pid_alive "$name"; then
    rm -f "$pidfile"
    return 0
  fi
  local pid
  pid="$(cat "$pidfile")"
  say "stopping $name (pid $pid)"
  if [ -n "${2:-}" ]; then
    kill -"$2" "$pid" 2>/dev/null || true
  else
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  fi
  for _ in $(seq 1 150); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

# apt_install [APT-GET OPTION...] PACKAGE... : from Debian, as root; `apt-get update` once per
# cache (the stamp).
apt_install() {
  [ "$(id -u)" = 0 ] || die "missing system packages ($*): install them or run as root"
  say "installing system packages: $*"
  if [ ! -f "$CACHE/.apt-updated" ]; then
    apt-get update -qq && mkdir -p "$CACHE" && touch "$CACHE/.apt-updated"
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# pg_bindir : the newest installed Debian PostgreSQL's bin directory (not on PATH), or nothing.
pg_bindir() {
  local dirs
  dirs="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V)" || true
  [ -n "$dirs" ] && [ -x "${dirs##*$'\n'}/postgres" ] && echo "${dirs##*$'\n'}"
  return 0
}

# wait_port NAME PORT SECONDS
wait_port() {
  local name="$1" port="$2" timeout="$3"
  for _ in $(seq 1 $((timeout * 5))); do
    port_open "$port" && return 0
    if [ -f "$RUN_DIR/$name.pid" ] && ! pid_alive "$name"; then
      tail -n 30 "$LOG_DIR/$name.log" >&2 || true
      die "$name exited during start-up; see $LOG_DIR/$name.log"
    fi
    sleep 0.2
  done
  tail -n 30 "$LOG_DIR/$name.log" >&2 || true
  die "$name did not open port $port within ${timeout}s; see $LOG_DIR/$name.log"
}

# wait_http NAME URL SECONDS : until URL answers 200.
wait_http() {
  local name="$1" url="$2" timeout="$3"
  for _ in $(seq 1 $((timeout * 4))); do
    if curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; then return 0; fi
    if [ -f "$RUN_DIR/$name.pid" ] && ! pid_alive "$name"; then
      tail -n 30 "$LOG_DIR/$name.log" >&2 || true
      die "$name exited during start-up; see $LOG_DIR/$name.log"
    fi
    sleep 0.25
  done
  tail -n 30 "$LOG_DIR/$name.log" >&2 || true
  curl -sS --max-time 2 "$url" >&2 || true
  die "$name was not ready at $url within ${timeout}s; see $LOG_DIR/$name.log"
}
