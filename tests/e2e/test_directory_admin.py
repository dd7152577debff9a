"""Directory administration: admin API and CLI, and the change reaching intake's copy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml

from tests.e2e.platform import Platform, eventually, sign_in
from tests.e2e.test_case_flow import QR_CASE
from tests.infra import ROOT

NEW_REP = {
    "code": "0499",
    "name": "赵新民",
    "level": "county",
    "station": "xijie",
    "points": ["baiyun"],
    "specialties": [],
}


@pytest.fixture
def platform(shared_platform: Platform) -> Platform:
    """The module's tests share one platform (tests/e2e/conftest.py)."""
    return shared_platform


def qr_submission_status(platform: Platform, code: str) -> int:
    return platform.post(
        "intake", "/v1/cases", json={**QR_CASE, "representative_code": code}
    ).status_code


def put(
    platform: Platform, headers: dict[str, str], kind: str, key: str, body: object
) -> httpx.Response:
    return httpx.put(
        platform.url("routing", f"/v1/admin/directory/{kind}/{key}"),
        json=body,
        headers=headers,
        timeout=10,
    )


def test_an_admin_adds_and_deactivates_a_representative_and_intake_follows(
    platform: Platform,
) -> None:
    eventually(lambda: qr_submission_status(platform, "0412") == 202, timeout_s=20)
    assert qr_submission_status(platform, "0499") == 422

    admin = sign_in(platform, "admin")
    assert (
        put(
            platform, sign_in(platform, "xijie-staff"), "representatives", "0499", NEW_REP
        ).status_code
        == 403
    )
    broken = put(platform, admin, "representatives", "0499", {**NEW_REP, "station": "atlantis"})
    assert broken.status_code == 422
    assert "atlantis" in broken.text

    created = put(platform, admin, "representatives", "0499", NEW_REP)
    assert created.status_code == 200, created.text
    assert created.json()["name"] == "赵新民"
    assert platform.get("routing", "/v1/directory/representatives/0499").status_code == 200
    eventually(lambda: qr_submission_status(platform, "0499") == 202, timeout_s=20)

    gone = httpx.post(
        platform.url("routing", "/v1/admin/directory/representatives/0499/deactivate"),
        headers=admin,
        timeout=10,
    )
    assert gone.status_code == 200 and gone.json()["active"] is False
    eventually(lambda: qr_submission_status(platform, "0499") == 422, timeout_s=20)


def run_cli(platform: Platform, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.routing", *args],
        env=platform.env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_cli_exports_yaml_and_imports_representatives_from_csv(
    platform: Platform, tmp_path: Path
) -> None:
    exported = run_cli(platform, "directory", "export")
    assert exported.returncode == 0, exported.stderr
    data = yaml.safe_load(exported.stdout)
    assert {s["id"] for s in data["stations"]} == {"xijie", "jianchi", "longyuan"}
    assert "users" not in data and "password" not in exported.stdout

    sheet = tmp_path / "reps.csv"
    sheet.write_text(
        "code,name,level,station,points,specialties,active\n"
        "0701,钱多多,municipal,jianchi,jianchi_centre,parking;drainage,true\n",
        encoding="utf-8",
    )
    imported = run_cli(platform, "directory", "import", str(sheet))
    assert imported.returncode == 0, imported.stderr
    rep = platform.get("routing", "/v1/directory/representatives/0701").json()
    assert rep["specialties"] == ["parking", "drainage"]
    assert platform.get("routing", "/v1/directory/representatives/0412").status_code == 200

    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,level,station\n0702,某人,mayor,jianchi\n", encoding="utf-8")
    refused = run_cli(platform, "directory", "import", str(bad))
    assert refused.returncode == 1
    assert "level" in refused.stderr


def test_a_csv_without_the_required_columns_is_refused_with_a_message(
    platform: Platform, tmp_path: Path
) -> None:
    sheet = tmp_path / "partial.csv"
    sheet.write_text("code,name\n0703,某人\n", encoding="utf-8")
    refused = run_cli(platform, "directory", "import", str(sheet))
    assert refused.returncode == 1
    assert "lacks the column(s) level, station" in refused.stderr
