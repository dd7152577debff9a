"""Each service on its own store in the local deployment: the scripts and the settings agree on
where each service's database is, and a command reading several services' databases finds
each where the service keeps it."""

from __future__ import annotations

import os
import subprocess

import pytest

from minyi_cli.app import CliSettings
from services.intake.settings import IntakeSettings
from services.notify.settings import NotifySettings
from services.reporting.settings import ReportingSettings
from services.routing.settings import RoutingSettings
from shared.settings import LOCAL_STORES, ServiceSettings
from tests.infra import ROOT

SETTINGS: dict[str, type[ServiceSettings]] = {
    "intake": IntakeSettings,
    "routing": RoutingSettings,
    "notify": NotifySettings,
    "reporting": ReportingSettings,
}


@pytest.fixture
def bare_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MINYI_MONGO_URL", "MINYI_MONGO_URL_FILE"):
        monkeypatch.delenv(name, raising=False)


def store_urls(**env: str) -> dict[str, str]:
    """What `infra.sh store-urls` says, with the store settings of `env` only."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("MINYI_STORE_PORT", "MINYI_STORES", "MINYI_STORE_ENGINE")
    }
    listed = subprocess.run(
        [str(ROOT / "deploy/local/infra.sh"), "store-urls"],
        capture_output=True,
        text=True,
        env={**clean, **env},
        timeout=30,
    )
    assert listed.returncode == 0, listed.stderr
    return dict(line.split(" ", 1) for line in listed.stdout.splitlines())


def test_the_scripts_start_each_service_on_the_store_its_settings_name() -> None:
    assert store_urls() == LOCAL_STORES
    assert len(set(LOCAL_STORES.values())) == len(LOCAL_STORES)


def test_one_shared_store_and_ferretdb_put_every_service_on_one_port() -> None:
    assert set(store_urls(MINYI_STORES="shared").values()) == {"mongodb://127.0.0.1:27017/"}
    assert set(store_urls(MINYI_STORE_ENGINE="ferretdb").values()) == {"mongodb://127.0.0.1:27017/"}
    assert set(store_urls(MINYI_STORES="shared", MINYI_STORE_PORT="28017").values()) == {
        "mongodb://127.0.0.1:28017/"
    }


def test_a_layout_the_scripts_do_not_know_is_refused_by_name() -> None:
    done = subprocess.run(
        [str(ROOT / "deploy/local/infra.sh"), "store-urls"],
        capture_output=True,
        text=True,
        env={**os.environ, "MINYI_STORES": "split"},
        timeout=30,
    )
    assert done.returncode != 0
    assert "MINYI_STORES must be per-service or shared, not split" in done.stderr


@pytest.mark.usefixtures("bare_environment")
def test_each_service_defaults_to_its_own_store() -> None:
    for service, settings in SETTINGS.items():
        assert settings().mongo_url == LOCAL_STORES[service]


@pytest.mark.usefixtures("bare_environment")
def test_a_command_reading_every_service_finds_each_on_its_own_store() -> None:
    settings = CliSettings()
    assert {s: settings.store_url_of(s) for s in LOCAL_STORES} == LOCAL_STORES


@pytest.mark.usefixtures("bare_environment")
def test_a_given_store_url_holds_every_service(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINYI_MONGO_URL", "mongodb://mongo:27017/")

    settings = CliSettings()

    assert {settings.store_url_of(s) for s in LOCAL_STORES} == {"mongodb://mongo:27017/"}
    assert RoutingSettings().mongo_url == "mongodb://mongo:27017/"
