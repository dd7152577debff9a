#!/usr/bin/env bash
# Starts or stops the real infrastructure: Kafka (KRaft, single node) and the MongoDB-wire store.
#   infra.sh start | stop [kafka|store] | status
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

start_store() {
  if pid_alive store; then
    say "store already running (pid $(cat "$RUN_DIR/store.pid"))"
    return 0
  fi
  if port_open "$STORE_PORT"; then
    say "something already listens on $STORE_PORT; using it as the store"
    return 0
  fi
  case "$STORE_ENGINE" in
    secantusdb)
      start_bg store "$SECANTUS_HOME/bin/python" -m secantus --host 127.0.0.1 --port "$STORE_PORT" \
        --storage-path "$STORE_DATA" --log-level WARNING --sync-on-commit ;;
    ferretdb)
      start_bg store "$FERRETDB_BIN" -listen "127.0.0.1:$STORE_PORT" -data "$STORE_DATA-ferretdb" ;;
    *) die "MINYI_STORE_ENGINE must be secantusdb or ferretdb, not $STORE_ENGINE" ;;
  esac
}

case "${1:-}" in
  start)
    start_store
    start_kafka
    wait_port store "$STORE_PORT" 30
    wait_port kafka "$KAFKA_PORT" 90
    MINYI_KAFKA_BOOTSTRAP="127.0.0.1:$KAFKA_PORT" "$PY" -m shared.topics ensure \
      || die "could not create Kafka topics"
    ;;
  stop)
    case "${2:-all}" in
      kafka) stop_bg kafka ;;
      store) stop_bg store ;;
      all) stop_bg kafka; stop_bg store ;;
      *) die "usage: infra.sh stop [kafka|store]" ;;
    esac
    ;;
  status)
    for n in kafka store; do
      if pid_alive "$n"; then echo "$n: running (pid $(cat "$RUN_DIR/$n.pid"))"; else echo "$n: stopped"; fi
    done
    ;;
  *) die "usage: infra.sh start|stop|status" ;;
esac
