#!/usr/bin/env bash
# `make test`: static checks, then the whole pytest suite on the real Kafka and store.
# Infrastructure: local processes by default (started here when not running);
# MINYI_TEST_INFRA=docker uses testcontainers, MINYI_TEST_INFRA=external uses the URLs given.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
# What only the tests need (the browser and its CJK font) on top of what running needs; cached.
"$ROOT/deploy/local/install.sh" --test
# promtool checks deploy/monitoring's rules (tests/integration/test_monitoring_rules.py); only the
# tests need it, so it is installed here, not by `make up`. No recommends: they are daemons.
command -v promtool >/dev/null || apt_install --no-install-recommends prometheus
say "ruff"
"$PY" -m ruff check .
"$PY" -m ruff format --check .
say "mypy"
"$PY" -m mypy shared services tests benchmarks minyi_cli
if [ "${MINYI_TEST_INFRA:-local}" = local ]; then
  if ! pid_alive kafka || ! pid_alive store; then
    # Started for the tests, so stopped after them; a platform from `make up` is left alone.
    trap '"$ROOT/deploy/local/infra.sh" stop' EXIT
  fi
  "$ROOT/deploy/local/infra.sh" start
fi
say "pytest"
if [ "$#" -gt 0 ]; then
  "$PY" -m pytest "$@"
else
  # Two workers, each taking whole modules (a module's tests share one platform), so that one
  # module's waits for its services overlap another's work. The restarts test stops Kafka and
  # the store under everyone, and the scale benchmark's smoke run loads the machine, so both run
  # alone afterwards.
  "$PY" -m pytest -n "${MINYI_TEST_WORKERS:-2}" --dist loadfile \
    --ignore=tests/e2e/test_infrastructure_restarts.py --ignore=tests/e2e/test_bench_scale_smoke.py
  "$PY" -m pytest tests/e2e/test_infrastructure_restarts.py tests/e2e/test_bench_scale_smoke.py
fi
