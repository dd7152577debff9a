"""`minyi backup` and `minyi restore` explain themselves, and a wrong DIR or an unreachable
Kafka is one `error:` line before anything is written."""

from __future__ import annotations

import io
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from minyi_cli.app import app
from minyi_cli.backup.progress import BarSteps, steps_for
from tests.infra import ROOT, free_port


@pytest.mark.parametrize("command", ["backup", "restore"])
def test_backup_and_restore_answer_help(command: str) -> None:
    result = CliRunner().invoke(app, [command, "--help"])

    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Usage: minyi {command} [OPTIONS] {{DIR}}")


def test_backup_refuses_a_directory_that_holds_something(tmp_path: Path) -> None:
    (tmp_path / "old").write_text("x", encoding="utf-8")

    result = CliRunner().invoke(app, ["backup", str(tmp_path)])

    assert result.exit_code == 1
    assert result.stderr == f"error: {tmp_path} is not empty: back up into a new directory\n"


def test_restore_of_a_directory_without_a_manifest_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["restore", "--check", str(tmp_path)])

    assert result.exit_code == 1
    assert result.stderr == (f"error: {tmp_path} holds no manifest.json: not a (finished) backup\n")


def test_an_unreachable_kafka_is_one_line_and_leaves_no_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MINYI_KAFKA_BOOTSTRAP", f"127.0.0.1:{free_port()}")
    target = tmp_path / "backup"

    result = CliRunner().invoke(app, ["backup", str(target)])

    assert result.exit_code == 1
    assert result.stderr.startswith("error: Kafka failed (MINYI_KAFKA_BOOTSTRAP):")
    assert len(result.stderr.splitlines()) == 1
    assert not target.exists()


def test_the_commands_in_the_operations_guide_exist_with_their_options() -> None:
    guide = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    section = guide.split("## Backup and restore", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [shlex.split(line.split("#", 1)[0]) for line in block.splitlines()]

    assert [c[1] for c in commands] == ["backup", "restore", "restore"]
    for command in commands:
        result = CliRunner().invoke(app, [command[1], "--help"])
        assert result.exit_code == 0
        for option in (arg for arg in command[2:] if arg.startswith("--")):
            assert option in result.output, (command, option)


def test_progress_off_a_terminal_is_one_plain_line_per_item() -> None:
    out = io.StringIO()
    steps = steps_for(out)

    steps.begin("minyi_intake.cases", 3)
    steps.advance(3)
    steps.end()
    steps.begin("case-events/0", 0)
    steps.end()
    steps.close()

    assert out.getvalue() == "minyi_intake.cases: 3\ncase-events/0: 0\n"


def test_progress_on_a_terminal_is_a_bar_that_ends_full() -> None:
    out = io.StringIO()
    bar = BarSteps(out)

    bar.begin("minyi_intake.cases", 10)  # an estimate: 7 documents were there
    bar.advance(7)
    bar.end()
    bar.close()

    assert "minyi_intake.cases" in out.getvalue()
    assert "7/7" in out.getvalue()
