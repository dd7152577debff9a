# The two commands: `make up` runs the platform, `make test` runs the whole suite.
SHELL := /bin/bash
PY := .venv/bin/python

.PHONY: up down logs status test test-unit lint typecheck fmt install infra bench bench-scale clean

up: ## install (cached), start Kafka, the store and the four services, load demo data (MINYI_DIRECTORY=city: the whole city)
	@deploy/local/up.sh

down: ## stop exactly what `make up` started
	@deploy/local/down.sh

logs: ## follow every service's log
	@tail -n 50 -F var/log/*.log

status:
	@deploy/local/infra.sh status; deploy/local/services.sh status

install:
	@deploy/local/install.sh

infra: install ## start only Kafka and the store
	@deploy/local/infra.sh start

test: install ## the whole suite: lint, types, unit, integration, e2e (starts the infrastructure if needed)
	@deploy/local/test.sh

test-unit: install
	@$(PY) -m pytest -q tests/unit

lint: install
	@$(PY) -m ruff check .
	@$(PY) -m ruff format --check .

typecheck: install
	@$(PY) -m mypy shared services tests benchmarks minyi_cli

fmt: install
	@$(PY) -m ruff format . && $(PY) -m ruff check --fix .

bench: infra ## measure intake, the pipeline and the pages' weight (prints numbers; docs/benchmarks.md)
	@$(PY) -m benchmarks.intake_pipeline
	@$(PY) -m benchmarks.page_weight

bench-scale: infra ## throughput and query latency on an empty store vs. N cases (default 10,000; ARGS="--cases 100000"); docs/benchmarks.md
	@$(PY) -m benchmarks.scale $(ARGS)

clean: down
	rm -rf var
