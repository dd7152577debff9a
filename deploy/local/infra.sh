#!/usr/bin/env bash
# Starts or stops the real infrastructure: Kafka (KRaft, single node) and the MongoDB-wire store
# (with MINYI_STORE_ENGINE=ferretdb, FerretDB and the private PostgreSQL cluster under it).
#   infra.sh start | stop [kafka|store] | status | store-urls
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KAFKA_DATA="$VAR/kafka"
STORE_DATA="$VAR/store"

kafka_config() {
  local cfg="$VAR/kafka.properties"
  sed -e "s#@KAFKA_PORT@#$KAFKA_PORT#g" -e "s#@CONTROLLER_PORT@#$KAFKA_CONTROLLER_PORT#g" \
      -e "s#@DATA@#$KAFKA_DATA#g" "$ROOT/deploy/local/kafka/server.properties.in" >"$cfg"
  echo "$cfg"
}

start_kafka() {
  if pid_alive kafka; then
    say "kafka already running (pid $(cat "$RUN_DIR/kafka.pid"))"
    return 0
  fi
  if port_open "$KAFKA_PORT"; then
    say "something already listens on $KAFKA_PORT; using it as Kafka"
    return 0
  fi
  local cfg cp
  cfg="$(kafka_config)"
  cp="$KAFKA_HOME/libs/*"
  mkdir -p "$KAFKA_DATA"
  # A fixed cluster id: formatting is idempotent with --ignore-formatted.
  java -cp "$cp" -Dlog4j.configuration="file:$ROOT/deploy/local/kafka/log4j.properties" \
    kafka.tools.StorageTool format -t "bWlueWktTG-DYWwta2FmYQ" -c "$cfg" --ignore-formatted \
    >>"$LOG_DIR/kafka.log" 2>&1 || die "could not format Kafka storage; see $LOG_DIR/kafka.log"
  start_bg kafka java -Xms256m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$ROOT/deploy/local/kafka/log4j.properties" \
    -cp "$cp" kafka.Kafka "$cfg"
}

# PostgreSQL refuses to run as root; then the cluster belongs to Debian's `postgres` system user.
# setpriv execs (no fork), so the pid file names the postmaster itself.
PG_AS=()
if [ "$(id -u)" = 0 ]; then PG_AS=(setpriv --reuid=postgres --regid=postgres --init-groups --); fi

start_postgres() {
  local bin
  bin="$(pg_bindir)"
  [ -n "$bin" ] || die "PostgreSQL is not installed; run MINYI_STORE_ENGINE=ferretdb deploy/local/install.sh"
  if ! pid_alive postgres; then
    # Never adopt a foreign server here: FerretDB would write into someone else's database.
    port_open "$PG_PORT" && die "something already listens on $PG_PORT; set MINYI_PG_PORT to a free port"
    if [ ! -f "$PG_DATA/PG_VERSION" ]; then
      say "initialising a PostgreSQL cluster in $PG_DATA"
      rm -rf "$PG_DATA"
      mkdir -p "$PG_DATA"
      if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$PG_DATA"; fi
      chmod 700 "$PG_DATA"
      "${PG_AS[@]}" test -w "$PG_DATA" \
        || die "the postgres user cannot reach $PG_DATA; put MINYI_VAR where it can (not under /root)"
      # Trust on loopback only, like the other local servers (Kafka, SecantusDB have no auth).
      (cd "$PG_DATA" && "${PG_AS[@]}" "$bin/initdb" -D "$PG_DATA" -U postgres -A trust -E UTF8 \
        --locale=C) >>"$LOG_DIR/postgres.log" 2>&1 \
        || die "initdb failed; see $LOG_DIR/postgres.log"
    fi
    # No Unix socket: the system cluster owns /var/run/postgresql, and we only speak TCP.
    (cd "$PG_DATA" && start_bg postgres "${PG_AS[@]}" "$bin/postgres" -D "$PG_DATA" -p "$PG_PORT" \
      -c listen_addresses=127.0.0.1 -c unix_socket_directories=)
  fi
  wait_port postgres "$PG_PORT" 30
  for _ in $(seq 1 150); do
    "$bin/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres && break
    sleep 0.2
  done
  "$bin/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres || die "PostgreSQL did not get ready; see $LOG_DIR/postgres.log"
  if ! "$bin/psql" -X -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = 'ferretdb'" | grep -q 1; then
    "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres ferretdb \
      || die "could not create the ferretdb database"
  fi
}

# start_one_store NAME PORT: one store process, unless it or another server is there already.
start_one_store() {
  local name="$1" port="$2"
  if pid_alive "$name"; then
    say "$name already running (pid $(cat "$RUN_DIR/$name.pid"))"
    return 0
  fi
  if port_open "$port"; then
    say "something already listens on $port; using it as $name"
    return 0
  fi
  # --standalone: no oplog. Minyi uses no change stream or transaction (docs/architecture.md),
  # and the oplog cost every write a diff and a second table write (docs/benchmarks.md).
  case "$STORE_ENGINE" in
    secantusdb)
      start_bg "$name" "$SECANTUS_HOME/bin/python" -m secantus --host 127.0.0.1 --port "$port" \
        --storage-path "$VAR/$name" --cache-size "$STORE_CACHE" --log-level WARNING \
        --sync-on-commit --standalone ;;
    ferretdb)
      start_postgres
      start_bg "$name" "$FERRETDB_BIN" -listen "127.0.0.1:$port" -handler postgresql \
        -postgresql-url "postgres://postgres@127.0.0.1:$PG_PORT/ferretdb" ;;
    ferretdb-sqlite)
      start_bg "$name" "$FERRETDB_BIN" -listen "127.0.0.1:$port" -handler sqlite \
        -data "$STORE_DATA-ferretdb" ;;
  esac
}

start_store() {
  local s
  for s in $(store_owners); do start_one_store "$(store_name "$s")" "$(store_port "$s")"; done
}

wait_store() {
  local s
  for s in $(store_owners); do wait_port "$(store_name "$s")" "$(store_port "$s")" 30; done
}

# Before one store per service, every database was in intake's store (`store`, var/store): move
# the others' out into their own while none of the services `make up` starts is running (so none
# is using them). Nothing to move: nothing happens.
split_stores() {
  local s pairs=()
  per_service_stores || return 0
  for s in "${STORE_SERVICES[@]}"; do pid_alive "$s" && return 0; done
  for s in "${STORE_SERVICES[@]}"; do pairs+=("$s=$(store_url "$s")"); done
  "$PY" -m minyi_cli.store_split --namespace "${MINYI_NAMESPACE:-}" "${pairs[@]}" \
    || die "could not move the services' databases into their own stores (above); nothing was lost"
}

# FerretDB first, so PostgreSQL has no clients left; SIGINT is PostgreSQL's fast shutdown (TERM
# would wait for every client), sent to the postmaster alone, which stops its own children.
stop_store() {
  local s
  # Every name either layout uses: a store started with the other MINYI_STORES is stopped too.
  for s in "${STORE_SERVICES[@]}"; do stop_bg "$(store_name "$s")" & done
  wait
  stop_bg postgres INT
}

case "${1:-}" in
  start)
    start_store
    start_kafka
    wait_store
    split_stores
    wait_port kafka "$KAFKA_PORT" 90
    MINYI_KAFKA_BOOTSTRAP="127.0.0.1:$KAFKA_PORT" "$PY" -m shared.topics ensure \
      || die "could not create Kafka topics"
    ;;
  stop)
    case "${2:-all}" in
      kafka) stop_bg kafka ;;
      store) stop_store ;;
      all) stop_bg kafka; stop_store ;;
      *) die "usage: infra.sh stop [kafka|store]" ;;
    esac
    ;;
  status)
    names=(kafka)
    for s in $(store_owners); do names+=("$(store_name "$s")"); done
    { [ "$STORE_ENGINE" = ferretdb ] || [ -f "$RUN_DIR/postgres.pid" ]; } && names+=(postgres)
    for n in "${names[@]}"; do
      if pid_alive "$n"; then echo "$n: running (pid $(cat "$RUN_DIR/$n.pid"))"; else echo "$n: stopped"; fi
    done
    ;;
  store-urls)
    # What each service's MINYI_MONGO_URL is (benchmarks/scale.py reads this).
    for s in "${STORE_SERVICES[@]}"; do echo "$s $(store_url "$s")"; done
    ;;
  *) die "usage: infra.sh start|stop|status|store-urls" ;;
esac
