"""Rebuilding reporting's read models by replay gives exactly the same numbers."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from tests.e2e.platform import Platform, act, eventually, sign_in
from tests.e2e.test_case_flow import QR_CASE, assigned, submit
from tests.infra import ROOT


def figures(platform: Platform) -> dict[str, Any]:
    stations = platform.get("reporting", "/v1/reports/stations").json()["stations"]
    city = platform.get("reporting", "/v1/reports/city").json()["city"]
    return {"stations": stations, "city": city}


def test_a_rebuild_while_the_service_runs_reproduces_every_figure(platform: Platform) -> None:
    rep = sign_in(platform, "rep-0412")
    staff = sign_in(platform, "xijie-staff")
    receipts = [submit(platform, {**QR_CASE, "text": f"第{i}条：停车难的问题"}) for i in range(6)]
    for i, receipt in enumerate(receipts):
        eventually(lambda r=receipt: assigned(platform, r["tracking_code"]), timeout_s=20)
        if i % 2 == 0:
            act(platform, rep, receipt["case_id"], "accept")
        if i % 3 == 0:
            act(
                platform,
                staff,
                receipt["case_id"],
                "reassign",
                representative_code="0414",
                reason="分担工作",
            )
    submit(
        platform,
        {"category": "drainage", "text": "排水沟堵了需要清理", "liaison_point_id": "hexing"},
    )

    def settled() -> dict[str, Any] | None:
        now = figures(platform)
        xijie: dict[str, Any] = next((s for s in now["stations"] if s["station_id"] == "xijie"), {})
        done = (
            now["city"]["received"] == 7
            and now["city"]["assigned"] == 7
            and xijie.get("assigned") == 7
            and xijie.get("accepted") == 3
            and xijie.get("reassigned") == 2
            # Counted last (the case states are written after the day buckets): none closed.
            and xijie.get("open_now") == 7
        )
        return now if done else None

    before = eventually(settled, timeout_s=30)

    rebuilt = subprocess.run(
        [sys.executable, "-m", "services.reporting", "rebuild"],
        env=platform.env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "read models rebuilt from" in rebuilt.stdout
    assert "(100%)" in rebuilt.stderr  # progress was shown
    after = figures(platform)
    for old, new in zip(before["stations"], after["stations"], strict=True):
        assert {k: (v, new.get(k)) for k, v in old.items() if v != new.get(k)} == {}
    assert after == before
