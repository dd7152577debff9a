#!/usr/bin/env bash
# `make up`: install (cached), start Kafka and the store, create topics, load the demo
# directory, start the four services, wait until every /readyz is green, print the URLs.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$ROOT/deploy/local/install.sh"
"$ROOT/deploy/local/infra.sh" start
say "loading the demo directory"
MINYI_KAFKA_BOOTSTRAP="127.0.0.1:$KAFKA_PORT" MINYI_MONGO_URL="mongodb://127.0.0.1:$STORE_PORT/" \
  "$PY" -m services.routing seed-demo
"$ROOT/deploy/local/services.sh" start
say "Minyi is up"
"$ROOT/deploy/local/services.sh" urls
echo "  kafka      127.0.0.1:$KAFKA_PORT"
echo "  store      mongodb://127.0.0.1:$STORE_PORT/"
echo "  logs       $LOG_DIR   (make logs)"
