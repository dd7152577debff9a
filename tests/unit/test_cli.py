"""`minyi`: every command explains itself, and a failure an operator can fix is one line."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pymongo.errors import ServerSelectionTimeoutError
from typer.testing import CliRunner

from minyi_cli.app import app
from minyi_cli.doctor import GROUP_TOPICS, Check
from minyi_cli.errors import describe
from minyi_cli.progress import replay_progress
from shared.topics import CONSUMER_GROUPS

COMMANDS = [
    [],
    ["directory"],
    ["directory", "import"],
    ["directory", "export"],
    ["directory", "validate"],
    ["directory", "generate-city"],
    ["users"],
    ["users", "import"],
    ["users", "revoke"],
    ["users", "list"],
    ["users", "deactivate"],
    ["users", "reset-password"],
    ["reports"],
    ["reports", "rebuild"],
    ["topics"],
    ["topics", "ensure"],
    ["topics", "describe"],
    ["cases"],
    ["cases", "import"],
    ["cases", "erase"],
    ["doctor"],
]


def error_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("error:")]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "minyi")
def test_every_command_and_group_answers_help(command: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"])

    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Usage: minyi {' '.join(command)}".rstrip())


def test_the_top_level_help_lists_every_group() -> None:
    result = CliRunner().invoke(app, ["--help"])

    for group in ("directory", "users", "reports", "topics", "cases", "doctor"):
        assert f"  {group} " in result.output


def test_a_file_that_is_not_a_directory_is_one_error_line(tmp_path: Path) -> None:
    bad = tmp_path / "directory.yaml"
    bad.write_text("stations: [{id: xijie}]\n", encoding="utf-8")

    result = CliRunner().invoke(app, ["directory", "validate", str(bad)])

    assert result.exit_code == 1
    assert len(error_lines(result.stderr)) == 1, result.stderr
    assert "invalid value" in result.stderr
    assert "Traceback" not in result.output


def test_a_missing_file_is_named_in_one_error_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["directory", "validate", str(tmp_path / "nope.yaml")])

    assert result.exit_code == 1
    assert error_lines(result.stderr) == [f"error: {tmp_path / 'nope.yaml'}: no such file"]


def test_the_demo_directory_validates() -> None:
    demo = Path(__file__).resolve().parents[2] / "services/routing/demo_directory.yaml"

    result = CliRunner().invoke(app, ["directory", "validate", str(demo)])

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        "demo_directory.yaml is valid: 3 stations, 6 liaison points, 10 representatives"
    )


def test_erase_needs_exactly_one_subject() -> None:
    result = CliRunner().invoke(app, ["cases", "erase", "--phone", "1", "--email", "a@b.cn"])

    assert result.exit_code == 2
    assert error_lines(result.stderr) == [
        "error: give exactly one of --tracking-code, --phone, --email"
    ]


def test_a_short_new_password_is_refused_before_anything_is_written() -> None:
    result = CliRunner().invoke(app, ["users", "reset-password", "admin"], input="short\nshort\n")

    assert result.exit_code == 1
    assert error_lines(result.stderr) == ["error: the password needs 8 characters or more"]


def test_a_store_outage_is_told_without_the_topology_dump() -> None:
    outage = ServerSelectionTimeoutError(
        "127.0.0.1:1: [Errno 111] Connection refused (configured timeouts: socketTimeoutMS: "
        "20000.0ms, connectTimeoutMS: 3000.0ms), Timeout: 5.0s, Topology Description: "
        "<TopologyDescription id: 1, topology_type: Unknown, servers: [...]>"
    )

    assert describe(outage) == (
        "the store is unreachable (MINYI_MONGO_URL): 127.0.0.1:1: [Errno 111] Connection refused"
    )


def test_a_bug_is_not_disguised_as_an_operator_error() -> None:
    assert describe(ZeroDivisionError("division by zero")) is None


def test_every_consumer_group_names_the_topics_its_lag_is_measured_on() -> None:
    assert set(GROUP_TOPICS) == set(CONSUMER_GROUPS)


def test_replay_progress_off_a_terminal_is_plain_lines() -> None:
    out = io.StringIO()
    show, finish = replay_progress(out)

    show(0, 3)
    show(3, 3)
    finish()

    assert "\r" not in out.getvalue()
    assert out.getvalue().splitlines()[-1] == "replayed 3/3 events (100%)"


def test_a_check_line_says_ok_or_fail_and_what() -> None:
    assert Check("store", True, "answers ping").line() == "ok    store: answers ping"
    assert Check("topics", False, "2 of 19 missing").line() == "FAIL  topics: 2 of 19 missing"
