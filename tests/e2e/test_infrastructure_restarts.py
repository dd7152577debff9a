"""Nothing accepted is lost, and nothing is duplicated, across restarts of Kafka and the store.

These tests stop and start the project's own local Kafka and store, so they run only with
MINYI_TEST_INFRA=local (the default).
"""

from __future__ import annotations

import os
import subprocess
from typing import Any

import pytest

from tests.e2e.platform import SERVICES, Platform, eventually
from tests.e2e.test_case_flow import QR_CASE, assigned, resident_view, station_figures, submit
from tests.infra import ROOT

pytestmark = pytest.mark.skipif(
    os.environ.get("MINYI_TEST_INFRA", "local") != "local",
    reason="restarts the project's own local Kafka and store",
)


def infra(*args: str) -> None:
    subprocess.run([str(ROOT / "deploy/local/infra.sh"), *args], check=True, capture_output=True)


def counted(platform: Platform, expected: int) -> dict[str, Any] | None:
    figures = station_figures(platform, "xijie")
    return figures if figures and figures["assigned"] == expected else None


def test_submissions_while_kafka_is_down_are_accepted_and_flow_once_it_is_back(
    platform: Platform,
) -> None:
    before = submit(platform, QR_CASE)
    eventually(lambda: assigned(platform, before["tracking_code"]), timeout_s=15)

    infra("stop", "kafka")
    try:
        during = [
            submit(platform, {**QR_CASE, "text": f"Kafka 停机期间的第{i}条意见"}) for i in range(5)
        ]
        assert {resident_view(platform, r["tracking_code"])["status"] for r in during} == {
            "submitted"
        }
        assert platform.get("intake", "/readyz").status_code == 503
    finally:
        infra("start")

    for receipt in during:
        eventually(lambda r=receipt: assigned(platform, r["tracking_code"]), timeout_s=90)
    figures = eventually(lambda: counted(platform, 6), timeout_s=60)
    assert figures["to_representative"] == 6
    expected = sorted(r["case_id"] for r in [before, *during])

    def inbox_cases() -> list[str] | None:
        inbox = platform.get("notify", "/v1/inbox/representative:0412", limit=200).json()
        found = sorted(m["case_id"] for m in inbox["messages"])
        return found if len(found) >= len(expected) else None

    # Each consumer group rejoins on its own after the broker is back; notify may lag.
    assert eventually(inbox_cases, timeout_s=90) == expected


def test_a_store_outage_answers_503_and_everything_resumes_afterwards(platform: Platform) -> None:
    before = submit(platform, QR_CASE)
    eventually(lambda: assigned(platform, before["tracking_code"]), timeout_s=15)

    infra("stop", "store")
    try:
        refused = platform.post("intake", "/v1/cases", json=QR_CASE)
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "5"
        assert platform.get("intake", "/readyz").json()["checks"]["store"].startswith("unavailable")
    finally:
        infra("start")

    for service in SERVICES:
        platform.wait_ready(service, timeout_s=60)
    after = submit(platform, {**QR_CASE, "text": "存储恢复之后提交的意见"})
    eventually(lambda: assigned(platform, after["tracking_code"]), timeout_s=60)
    assert resident_view(platform, before["tracking_code"])["status"] == "assigned"
    eventually(lambda: counted(platform, 2), timeout_s=60)
