#!/usr/bin/env bash
# Starts or stops the four Minyi services as background processes.
#   services.sh start | stop | status
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SERVICES=(intake routing notify reporting)
declare -A PORTS=([intake]="${MINYI_INTAKE_PORT:-8001}" [routing]="${MINYI_ROUTING_PORT:-8002}"
                  [notify]="${MINYI_NOTIFY_PORT:-8003}" [reporting]="${MINYI_REPORTING_PORT:-8004}")

case "${1:-}" in
  start)
    for s in "${SERVICES[@]}"; do
      start_bg "$s" env MINYI_PORT="${PORTS[$s]}" MINYI_KAFKA_BOOTSTRAP="127.0.0.1:$KAFKA_PORT" \
        MINYI_MONGO_URL="$(store_url "$s")" "$PY" -m "services.$s"
    done
    for s in "${SERVICES[@]}"; do
      wait_http "$s" "http://127.0.0.1:${PORTS[$s]}/readyz" 60
    done
    ;;
  stop)
    for s in "${SERVICES[@]}"; do stop_bg "$s"; done
    ;;
  status)
    for s in "${SERVICES[@]}"; do
      if pid_alive "$s"; then echo "$s: running (pid $(cat "$RUN_DIR/$s.pid")) on ${PORTS[$s]}"; else echo "$s: stopped"; fi
    done
    ;;
  urls)
    for s in "${SERVICES[@]}"; do
      printf '  %-10s http://127.0.0.1:%s   (docs: /docs)\n' "$s" "${PORTS[$s]}"
    done
    echo "  pages:"
    echo "    resident form   http://127.0.0.1:${PORTS[intake]}/r/0412   (a representative's QR code opens this)"
    echo "    tracking        http://127.0.0.1:${PORTS[intake]}/t"
    echo "    workbench       http://127.0.0.1:${PORTS[routing]}/staff   (demo accounts, password minyi-demo)"
    echo "    dashboard       http://127.0.0.1:${PORTS[reporting]}/dashboard"
    echo "    transparency    http://127.0.0.1:${PORTS[reporting]}/transparency"
    ;;
  *) die "usage: services.sh start|stop|status|urls" ;;
esac
