"""`minyi` against the real broker and store, in a namespace of its own."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from argon2 import PasswordHasher
from pymongo import MongoClient
from typer.testing import CliRunner

from minyi_cli.app import app
from services.intake.settings import IntakeSettings
from shared.mongo import Document
from shared.topics import CASE_EVENTS, delete_namespace_topics, platform_topics
from tests.conftest import PlumbingSettings, drop_namespace_databases
from tests.infra import Infra, free_port
from tests.integration.test_history_import import (
    BAD_LINE,
    ROWS,
    history_csv,
    seed_directory_copy,
)

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
MINYI = Path(sys.executable).parent / "minyi"
SERVICES = ("intake", "routing", "notify", "reporting")


@pytest.fixture
def cli_env(infra: Infra, namespace: str) -> Iterator[dict[str, str]]:
    """The CLI's environment in the test's namespace; no service answers at its URLs."""
    closed = f"http://127.0.0.1:{free_port()}"
    yield {
        "MINYI_KAFKA_BOOTSTRAP": infra.kafka_bootstrap,
        "MINYI_MONGO_URL": infra.mongo_url,
        "MINYI_NAMESPACE": namespace,
        **{f"MINYI_{s.upper()}_WEB_URL": closed for s in SERVICES},
    }
    asyncio.run(
        drop_namespace_databases(PlumbingSettings(mongo_url=infra.mongo_url, namespace=namespace))
    )


def lines(text: str) -> dict[str, str]:
    """`ok    store: answers ping` → {"store": "ok    store: answers ping"}."""
    return {
        line[6:].split(":", 1)[0]: line
        for line in text.splitlines()
        if line[:4] in ("ok  ", "FAIL")
    }


def test_the_installed_minyi_script_answers_help() -> None:
    done = subprocess.run([str(MINYI), "--help"], capture_output=True, text=True, timeout=60)

    assert done.returncode == 0, done.stderr
    assert "directory" in done.stdout and "doctor" in done.stdout


def test_an_unreachable_store_is_one_error_line_and_no_traceback(cli_env: dict[str, str]) -> None:
    env = {**os.environ, **cli_env, "MINYI_MONGO_URL": f"mongodb://127.0.0.1:{free_port()}/"}

    done = subprocess.run(
        [str(MINYI), "directory", "export"], capture_output=True, text=True, env=env, timeout=60
    )

    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.stderr
    assert errors[0].startswith("error: the store is unreachable (MINYI_MONGO_URL): 127.0.0.1:")
    assert "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == 1, done.stderr


def test_doctor_finds_kafka_and_the_store_and_names_the_missing_topics(
    cli_env: dict[str, str], namespace: str
) -> None:
    result = CliRunner().invoke(app, ["doctor", "--timeout", "3"], env=cli_env)

    found = lines(result.stdout)
    assert result.exit_code == 1
    assert found["kafka"].startswith("ok    kafka: reachable at ")
    assert found["store"] == "ok    store: answers ping"
    declared = len(platform_topics())  # the event topics and every group's dead letters
    assert found["topics"].startswith(f"FAIL  topics: {declared} of {declared} missing: ")
    assert f"{namespace}.{CASE_EVENTS}" in found["topics"]
    assert found["intake"].startswith("FAIL  intake: unreachable at http://127.0.0.1:")
    assert result.stderr.strip().startswith("error: ")


def test_doctor_measures_each_groups_lag_once_the_topics_exist(
    cli_env: dict[str, str], namespace: str, infra: Infra
) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["topics", "ensure"], env=cli_env).exit_code == 0

    async def publish_three() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap)
        await producer.start()
        try:
            for n in range(3):
                await producer.send_and_wait(f"{namespace}.{CASE_EVENTS}", b"{}", key=b"%d" % n)
        finally:
            await producer.stop()

    try:
        asyncio.run(publish_three())
        result = runner.invoke(app, ["doctor", "--timeout", "3", "--max-lag", "2"], env=cli_env)
        described = runner.invoke(app, ["topics", "describe"], env=cli_env)
    finally:
        asyncio.run(
            delete_namespace_topics(
                PlumbingSettings(kafka_bootstrap=infra.kafka_bootstrap, namespace=namespace)
            )
        )

    found = lines(result.stdout)
    assert found["topics"] == f"ok    topics: all {len(platform_topics())} exist"
    # Never committed: a group would read the three events from the beginning.
    group = f"lag {namespace}.routing.cases"
    assert found[group].startswith(f"FAIL  {group}: 3 events behind (more than 2)")
    assert found[f"lag {namespace}.intake.directory"].startswith("ok    ")
    assert f"{namespace}.case-events: 6 partition(s), declared 6" in described.stdout


def test_directory_import_stores_the_demo_directory_in_the_namespace(
    cli_env: dict[str, str], namespace: str, infra: Infra
) -> None:
    demo = ROOT / "services/routing/demo_directory.yaml"

    result = CliRunner().invoke(app, ["directory", "import", str(demo)], env=cli_env)
    exported = CliRunner().invoke(app, ["directory", "export"], env=cli_env)

    assert result.exit_code == 0, result.output
    assert result.stdout == "imported demo_directory.yaml: 10 representatives in all\n"
    client: MongoClient[Document] = MongoClient(infra.mongo_url, serverSelectionTimeoutMS=5000)
    try:
        stations = client[f"{namespace}_minyi_routing"]["stations"].distinct("_id")
    finally:
        client.close()
    assert "xijie" in stations
    assert exported.exit_code == 0
    assert "default_station: xijie" in exported.stdout


def test_users_are_listed_deactivated_and_given_a_new_password(
    cli_env: dict[str, str], namespace: str, infra: Infra, tmp_path: Path
) -> None:
    accounts = tmp_path / "users.yaml"
    accounts.write_text(
        "users:\n  - {username: ops-1, display_name: 值班员, role: staff, station: xijie, "
        "password: first-password}\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    assert runner.invoke(app, ["users", "import", str(accounts)], env=cli_env).exit_code == 0

    listed = runner.invoke(app, ["users", "list"], env=cli_env)
    deactivated = runner.invoke(app, ["users", "deactivate", "ops-1"], env=cli_env)
    reset = runner.invoke(
        app,
        ["users", "reset-password", "ops-1"],
        input="second-password\nsecond-password\n",
        env=cli_env,
    )
    after = runner.invoke(app, ["users", "list"], env=cli_env)
    unknown = runner.invoke(app, ["users", "deactivate", "nobody"], env=cli_env)

    assert listed.stdout == "ops-1\tstaff\txijie\tactive\tv1\t值班员\n"
    assert deactivated.stdout == "deactivated ops-1: tokens before version 2 are refused\n"
    assert reset.exit_code == 0, reset.output
    assert after.stdout == "ops-1\tstaff\txijie\tinactive\tv3\t值班员\n"
    assert unknown.exit_code == 1
    assert unknown.stderr == "error: no account 'nobody'\n"
    client: MongoClient[Document] = MongoClient(infra.mongo_url, serverSelectionTimeoutMS=5000)
    try:
        stored = client[f"{namespace}_minyi_routing"]["users"].find_one({"_id": "ops-1"})
    finally:
        client.close()
    assert stored is not None
    # Every service learns of it from the queued event (the relay publishes the latest).
    queued = [entry["event"]["data"] for entry in stored["outbox"].values()]
    assert {"username": "ops-1", "version": 3, "active": False}.items() <= queued[-1].items()
    assert PasswordHasher().verify(stored["password_hash"], "second-password")


def test_users_create_makes_one_account_and_refuses_a_taken_name_or_an_unknown_station(
    cli_env: dict[str, str], namespace: str, infra: Infra
) -> None:
    runner = CliRunner()
    demo = ROOT / "services/routing/demo_directory.yaml"
    assert runner.invoke(app, ["directory", "import", str(demo)], env=cli_env).exit_code == 0
    create = ["users", "create", "head-2", "--role", "station_head", "--name", "站长"]

    created = runner.invoke(
        app, [*create, "--station", "xijie"], input="long-password\nlong-password\n", env=cli_env
    )
    again = runner.invoke(
        app, [*create, "--station", "xijie", "--password", "other-password"], env=cli_env
    )
    nowhere = runner.invoke(
        app,
        [
            "users",
            "create",
            "head-3",
            "--role",
            "station_head",
            "--name",
            "站长",
            "--station",
            "atlantis",
            "--password",
            "long-password",
        ],
        env=cli_env,
    )
    short = runner.invoke(app, [*create, "--station", "xijie", "--password", "short"], env=cli_env)
    listed = runner.invoke(app, ["users", "list"], env=cli_env)

    assert created.exit_code == 0, created.output
    assert created.stdout.endswith("created head-2 (station_head)\n")
    assert again.exit_code == 1
    assert "error: an account 'head-2' exists" in again.stderr
    assert nowhere.exit_code == 1
    assert nowhere.stderr == "error: head-3: no station 'atlantis'\n"
    assert short.exit_code == 1 and "password" in short.stderr
    assert "head-2\tstation_head\txijie\tactive\tv1\t站长\n" in listed.stdout
    assert "head-3" not in listed.stdout


def test_cases_import_off_a_terminal_prints_plain_progress_lines_and_the_summary(
    cli_env: dict[str, str], namespace: str, infra: Infra, tmp_path: Path
) -> None:
    intake = IntakeSettings(mongo_url=infra.mongo_url, namespace=namespace)
    path = tmp_path / "past.csv"
    expected = history_csv(path, now=datetime.now(UTC))
    runner = CliRunner()
    without_directory = runner.invoke(app, ["cases", "import", str(path)], env=cli_env)
    asyncio.run(seed_directory_copy(intake))

    result = runner.invoke(app, ["cases", "import", str(path), "--batch-size", "10"], env=cli_env)

    # Nothing to check rows against: nothing could be done, said in one line.
    assert without_directory.exit_code == 2
    assert len([line for line in without_directory.stderr.splitlines() if line]) == 1
    assert without_directory.stderr.startswith("error: ")
    assert result.exit_code == 1  # the file's one bad row is refused
    assert "\r" not in result.stdout
    progress = [line for line in result.stdout.splitlines() if line.startswith("read ")]
    assert len(progress) >= ROWS // 10
    assert result.stdout.splitlines()[-1].startswith(
        f"read {ROWS}, imported {len(expected)}, already imported 0, refused 1 (row {BAD_LINE})"
    )
