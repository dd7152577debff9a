"""Imported past cases across the four services as processes: routing records history without
assigning it, notify tells nobody, reporting counts it; a case imported still waiting is routed."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from services.intake.domain.history_import.checker import imported_case_id
from tests.e2e.platform import Platform, eventually, sign_in, staff_case
from tests.infra import ROOT


def run_import(platform: Platform, path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.intake", "import", str(path), *args],
        env=platform.env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_imported_history_is_recorded_not_routed_silent_and_counted(
    platform: Platform, tmp_path: Path
) -> None:
    day = datetime.now(UTC).replace(microsecond=0) - timedelta(days=40)
    rows: list[dict[str, Any]] = [
        {
            "external_id": "e2e-closed",
            "submitted_at": day.isoformat(),
            "category": "parking",
            "text": "东门停车难",
            "representative_code": "0412",
            "status": "closed",
            "responded_at": (day + timedelta(days=3)).isoformat(),
            "closed_at": (day + timedelta(days=4)).isoformat(),
            "response": "已增设车位",
            "rating": "satisfied",
        },
        {
            "external_id": "e2e-waiting",
            "submitted_at": (day + timedelta(days=30)).isoformat(),
            "category": "parking",
            "text": "西门也停车难",
            "representative_code": "0412",
        },
    ]
    path = tmp_path / "past.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    # intake copies the directory from its topic after seed-demo: wait until it can check rows.
    eventually(lambda: run_import(platform, path, "--dry-run").returncode == 0, timeout_s=30)

    done = run_import(platform, path)
    assert done.returncode == 0, done.stdout + done.stderr

    closed, waiting = imported_case_id("e2e-closed"), imported_case_id("e2e-waiting")
    staff = sign_in(platform, "xijie-staff")
    recorded = eventually(
        lambda: (r := staff_case(platform, staff, closed)).status_code == 200 and r.json()
    )
    assert recorded["status"] == "closed"
    assert recorded["representative_code"] == "0412"
    assert [a["action"] for a in recorded["audit"]][:4] == ["assign", "accept", "respond", "close"]
    assert {a["actor_id"] for a in recorded["audit"][:4]} == {"import"}
    assert eventually(lambda: staff_case(platform, staff, closed).json()["rating"]) == "satisfied"
    routed = eventually(
        lambda: (r := staff_case(platform, staff, waiting)).status_code == 200 and r.json()
    )
    assert routed["status"] == "assigned"
    # Its clock starts at the import, not two years ago: nobody is escalated for the backlog.
    assert datetime.fromisoformat(routed["accept_due"]) > datetime.now(UTC)
    assert routed["reason"].startswith("point") or "0412" in routed["reason"]

    inbox = eventually(
        lambda: platform.get("notify", "/v1/inbox/representative:0412").json()["messages"]
    )
    assert [m["case_id"] for m in inbox] == [waiting]  # told about the waiting one only

    since = (day - timedelta(days=1)).date().isoformat()

    def city() -> dict[str, Any] | None:
        figures: dict[str, Any] = platform.get("reporting", "/v1/reports/city", since=since).json()[
            "city"
        ]
        return figures if figures["rated"] == 1 and figures["assigned"] == 2 else None

    figures = eventually(city, timeout_s=30)
    assert (figures["received"], figures["closed"], figures["accepted"]) == (2, 1, 1)
