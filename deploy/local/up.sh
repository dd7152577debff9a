#!/usr/bin/env bash
# `make up`: install (cached), start Kafka and the store, create topics, load the demo
# directory, start the four services, wait until every /readyz is green, print the URLs.
# MINYI_DIRECTORY=city loads the whole city instead (19 stations, 1,027 representatives);
# MINYI_DIRECTORY=path/to/file.yaml loads that file (directory and its demo accounts).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DIRECTORY="${MINYI_DIRECTORY:-demo}"
case "$DIRECTORY" in
  demo) DIRECTORY_FILE="$ROOT/services/routing/demo_directory.yaml" ;;
  city) DIRECTORY_FILE="$ROOT/services/routing/city_directory.yaml" ;;
  *) DIRECTORY_FILE="$DIRECTORY" ;;
esac
# Checked before anything starts: a typo should not cost an install and a broker start.
[[ -f "$DIRECTORY_FILE" ]] || die "MINYI_DIRECTORY must be demo, city or a directory file, not $DIRECTORY"
"$ROOT/deploy/local/install.sh"
"$ROOT/deploy/local/infra.sh" start
say "loading the $DIRECTORY directory"
MINYI_KAFKA_BOOTSTRAP="127.0.0.1:$KAFKA_PORT" MINYI_MONGO_URL="$(store_url routing)" \
  "$PY" -m services.routing seed-demo "$DIRECTORY_FILE"
"$ROOT/deploy/local/services.sh" start
say "Minyi is up"
"$ROOT/deploy/local/services.sh" urls
echo "  kafka      127.0.0.1:$KAFKA_PORT"
if per_service_stores; then
  for s in "${STORE_SERVICES[@]}"; do printf '  %-10s %s   (%s)\n' store "$(store_url "$s")" "$s"; done
else
  echo "  store      $(store_url intake)"
fi
echo "  logs       $LOG_DIR   (make logs)"
