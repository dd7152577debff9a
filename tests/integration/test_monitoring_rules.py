"""deploy/monitoring holds a Prometheus configuration and alert rules that Prometheus's own
`promtool` accepts, alert rules that fire when they should and only then (alerts.test.yml), and
a Grafana dashboard; rules and dashboard ask only for metrics and labels the services export.

promtool is Debian's `prometheus` package, installed by deploy/local/test.sh (`make test`):
without it these tests fail, they do not skip."""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI

from services.intake.app import create_app as intake_app
from services.notify.app import create_app as notify_app
from services.reporting.app import create_app as reporting_app
from services.routing.app import create_app as routing_app

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "deploy/monitoring"
GRAFANA = MONITORING / "grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))
SERVICES = ("intake", "routing", "notify", "reporting")
# Labels Prometheus adds to every scraped series (the job is the service: prometheus.yml).
TARGET_LABELS = {"job", "instance"}
# Metric names in an expression: ours, the client library's process and Python collectors, and
# Prometheus's own `up`.
METRIC = re.compile(r"\b(?:minyi|process|python)_[a-z0-9_]+\b|\bup\b")
SELECTOR = re.compile(r"(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{(?P<matchers>[^}]*)\}")
MATCHER = re.compile(r"(?P<label>[a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)\s*\"")
GROUPING = re.compile(r"\b(?:by|without)\s*\((?P<labels>[^)]*)\)")
# Series Prometheus writes itself for each target, with their labels beyond job and instance.
PROMETHEUS_METRICS = {"up": set[str]()}


@dataclass(frozen=True)
class Exported:
    """What the services expose: every sample name, and each metric family's label names."""

    samples: dict[str, str]  # sample name -> its family's name
    labels: dict[str, set[str]]  # family name -> its label names


def promtool(*args: str) -> str:
    found = shutil.which("promtool")
    assert found, (
        "promtool is missing: install Debian's prometheus package "
        "(`apt-get install --no-install-recommends prometheus`; deploy/local/test.sh does)"
    )
    run = subprocess.run(
        [found, *args], cwd=MONITORING, capture_output=True, text=True, timeout=60, check=False
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, f"promtool {' '.join(args)}:\n{output}"
    return output


def test_promtool_accepts_the_prometheus_configuration_and_its_rule_file() -> None:
    assert "SUCCESS" in promtool("check", "config", "prometheus.yml")
    output = promtool("check", "rules", "alerts.yml")
    rules = len(alert_rules())
    assert f"SUCCESS: {rules} rules found" in output


def test_each_alert_fires_on_its_symptom_and_stays_quiet_without_it() -> None:
    promtool("test", "rules", "alerts.test.yml")
    tests = yaml.safe_load((MONITORING / "alerts.test.yml").read_text(encoding="utf-8"))["tests"]
    checks = [check for test in tests for check in test["alert_rule_test"]]
    for rule in alert_rules():
        mine = [c for c in checks if c["alertname"] == rule["alert"]]
        assert any(c["exp_alerts"] for c in mine), f"no test shows {rule['alert']} firing"
        assert any(not c["exp_alerts"] for c in mine), f"no test shows {rule['alert']} quiet"


def test_prometheus_scrapes_each_service_as_its_own_job() -> None:
    config = yaml.safe_load((MONITORING / "prometheus.yml").read_text(encoding="utf-8"))
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == set(SERVICES)
    for port, name in enumerate(SERVICES, start=8001):
        targets = [t for group in jobs[name]["static_configs"] for t in group["targets"]]
        assert targets == [f"{name}:{port}"]
        assert jobs[name].get("metrics_path", "/metrics") == "/metrics"


def test_every_alert_has_a_severity_a_summary_and_what_to_do() -> None:
    for rule in alert_rules():
        assert rule["labels"]["severity"] in ("critical", "warning"), rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        assert len(rule["annotations"]["description"]) > 80, rule["alert"]


def test_rules_and_dashboards_use_only_metrics_and_labels_the_services_export(
    exported: Exported,
) -> None:
    expressions = [(f"alert {r['alert']}", r["expr"]) for r in alert_rules()]
    expressions += [(f"panel {title!r}", expr) for title, expr in dashboard_queries()]
    assert len(expressions) > 20, "the expressions were not found"
    known = {**exported.samples, **{name: name for name in PROMETHEUS_METRICS}}
    all_labels = {**exported.labels, **PROMETHEUS_METRICS}
    for where, expr in expressions:
        names = set(METRIC.findall(expr))
        assert names, f"{where} asks for no metric: {expr}"
        unknown = names - set(known)
        assert not unknown, f"{where} asks for {sorted(unknown)}, which no service exports"
        usable = (
            TARGET_LABELS | {"le"} | {label for name in names for label in all_labels[known[name]]}
        )
        for selector in SELECTOR.finditer(expr):
            family = known.get(selector.group("name"))
            if family is None:  # a function's braces, not a selector
                continue
            allowed = TARGET_LABELS | all_labels[family]
            if selector.group("name").endswith("_bucket"):
                allowed |= {"le"}
            for label in MATCHER.findall(selector.group("matchers")):
                assert label in allowed, f"{where}: {family} has no label {label!r}"
        for grouping in GROUPING.finditer(expr):
            for label in filter(None, (p.strip() for p in grouping.group("labels").split(","))):
                assert label in usable, f"{where} groups by {label!r}, which no series has"


def test_the_dashboard_is_json_whose_every_panel_queries_the_provisioned_prometheus() -> None:
    datasources = yaml.safe_load(
        (GRAFANA / "provisioning/datasources/prometheus.yml").read_text(encoding="utf-8")
    )["datasources"]
    assert [d["type"] for d in datasources] == ["prometheus"]
    uid = datasources[0]["uid"]
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert "prometheus" in compose["services"]
    assert datasources[0]["url"] == "http://prometheus:9090"  # compose's service
    provider = yaml.safe_load(
        (GRAFANA / "provisioning/dashboards/minyi.yml").read_text(encoding="utf-8")
    )["providers"][0]
    mounts = dict(v.split(":")[:2] for v in compose["services"]["grafana"]["volumes"])
    assert mounts["./deploy/monitoring/grafana/dashboards"] == provider["options"]["path"]
    assert DASHBOARDS, "no dashboard"
    for path in DASHBOARDS:
        dashboard = json.loads(path.read_text(encoding="utf-8"))
        assert dashboard["uid"] and dashboard["title"], path.name
        panels = [p for p in dashboard["panels"] if p["type"] != "row"]
        assert len(panels) >= 10, path.name
        ids = [p["id"] for p in dashboard["panels"]]
        assert len(ids) == len(set(ids)), f"{path.name}: panel ids repeat"
        for panel in panels:
            assert panel["datasource"] == {"type": "prometheus", "uid": uid}, panel["title"]
            assert panel["targets"], f"{panel['title']} queries nothing"
            for target in panel["targets"]:
                assert target["datasource"]["uid"] == uid, panel["title"]
                assert target["expr"].strip(), panel["title"]


def test_the_dashboard_shows_what_operators_watch() -> None:
    queries = " ".join(expr for _, expr in dashboard_queries())
    for metric in (
        "minyi_http_requests_total",
        "minyi_http_request_duration_seconds_bucket",
        "minyi_consumer_lag_records",
        "minyi_outbox_pending_documents",
        "minyi_outbox_oldest_event_age_seconds",
        "minyi_events_dead_lettered_total",
        "minyi_push_deliveries_total",
        "minyi_sla_calendar_unknown_year",
        "up",
    ):
        assert re.search(rf"\b{metric}\b", queries), f"no panel shows {metric}"
    assert 'type="case.escalated"' in queries, "no panel shows SLA escalations"
    assert 'status=~"5.."' in queries, "no panel shows server errors"


# --- what the rules and dashboards are made of ---


def alert_rules() -> list[dict[str, Any]]:
    loaded = yaml.safe_load((MONITORING / "alerts.yml").read_text(encoding="utf-8"))
    return [rule for group in loaded["groups"] for rule in group["rules"]]


def dashboard_queries() -> Iterator[tuple[str, str]]:
    for path in DASHBOARDS:
        for panel in json.loads(path.read_text(encoding="utf-8"))["panels"]:
            for target in panel.get("targets", []):
                yield panel["title"], target["expr"]


@pytest.fixture(scope="module")
async def exported() -> Exported:
    """Scraped from each service's /metrics, its app built in-process (no broker or store is
    asked: /metrics answers before start-up); the label names read from the code that
    registers each metric."""
    apps: list[FastAPI] = [intake_app(), routing_app(), notify_app(), reporting_app()]
    families: dict[str, str] = {}
    for app in apps:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            response = await client.get("/metrics")
        assert response.status_code == 200
        for line in response.text.splitlines():
            if line.startswith("# TYPE "):
                _, _, name, kind = line.split(" ")
                families[name] = kind
    samples: dict[str, str] = {}
    for name, kind in families.items():
        base = name.removesuffix("_total")
        suffixes = {
            "counter": ("_total", "_created"),
            "histogram": ("_bucket", "_count", "_sum", "_created"),
            "summary": ("", "_count", "_sum", "_created"),
        }.get(kind, ("",))
        samples |= {base + suffix: name for suffix in suffixes}
    labels = registered_labels()
    missing = set(labels) - set(families)
    assert not missing, f"registered in the code but not on /metrics: {sorted(missing)}"
    return Exported(samples=samples, labels={name: labels.get(name, set()) for name in families})


def registered_labels() -> dict[str, set[str]]:
    """Each `Counter(...)`, `Gauge(...)`, `Histogram(...)` in shared/ and services/: the
    metric's name (as /metrics shows it in `# TYPE`) and its label names."""
    found: dict[str, set[str]] = {}
    for path in [*(ROOT / "shared").rglob("*.py"), *(ROOT / "services").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id not in ("Counter", "Gauge", "Histogram") or not node.args:
                continue
            name = node.args[0]
            if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
                continue  # collections.Counter and the like
            names: ast.expr | None = node.args[2] if len(node.args) > 2 else None
            for keyword in node.keywords:
                if keyword.arg == "labelnames":
                    names = keyword.value
            labels = ast.literal_eval(names) if names is not None else ()
            found[name.value] = set(labels)
    assert "minyi_http_requests_total" in found, "the metrics' registration was not found"
    return found
