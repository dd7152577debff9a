"""China's working-day calendar through routing as a real process on the real broker and store:
a case submitted the day before the National Day holiday falls due after it (and the make-up
Saturday counts), and a restart with an override that changes the calendar counts the open
case's deadlines again."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from services.routing.adapters.holiday_calendar import official_calendar
from services.routing.domain.sla import unknown_years
from shared.events.case_events import CaseSubmitted
from shared.events.envelope import Envelope
from shared.metrics import Metrics
from shared.producer import EventPublisher
from shared.topics import CASE_EVENTS
from tests.conftest import PlumbingSettings
from tests.e2e.platform import ARTIFACTS, Platform, eventually
from tests.infra import Infra

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Wednesday; 1-7 October 2026 are the National Day holiday, Saturday 10 October is worked.
SUBMITTED = datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)


def end_of(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=SHANGHAI)


async def submit_as_intake(settings: PlumbingSettings, case_id: str) -> None:
    """`case.submitted` as intake publishes it, with the submission time of the story: intake
    stamps its own clock, and routing counts from the event's `submitted_at`."""
    envelope = Envelope.wrap(
        CaseSubmitted(
            case_id=case_id,
            category="parking",
            text="国庆前提交：小区停车位不够",
            channel="qr",
            representative_code="0412",
            submitted_at=SUBMITTED,
        ),
        source="minyi/intake",
        subject=case_id,
        correlation_id="calendar-e2e",
    )
    publisher = EventPublisher(settings=settings, metrics=Metrics("e2e"))
    await asyncio.wait_for(publisher.start(), 30)
    try:
        await publisher.publish(settings.topic(CASE_EVENTS), envelope)
    finally:
        await publisher.stop()


def deadlines(platform: Platform, case_id: str) -> tuple[datetime, datetime] | None:
    response = platform.get("routing", f"/v1/staff/cases/{case_id}")
    if response.status_code != 200:
        return None
    case = response.json()
    return datetime.fromisoformat(case["accept_due"]), datetime.fromisoformat(case["respond_due"])


def log_events(platform: Platform, name: str) -> list[dict[str, Any]]:
    found = []
    for line in (ARTIFACTS / platform.namespace / "routing.log").read_text().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a library's plain line
        if isinstance(entry, dict) and entry.get("event") == name:
            found.append(entry)
    return found


def test_a_case_submitted_before_national_day_falls_due_after_it_and_moves_with_the_calendar(
    infra: Infra, namespace: str, settings: PlumbingSettings
) -> None:
    platform = Platform(infra=infra, namespace=namespace)
    case_id = str(uuid.uuid4())
    try:
        platform.seed_directory()
        platform.start("routing")
        asyncio.run(submit_as_intake(settings, case_id))

        accept_due, respond_due = eventually(lambda: deadlines(platform, case_id))

        assert accept_due == end_of(date(2026, 10, 9))  # Thursday 8 and Friday 9 October
        assert respond_due == end_of(date(2026, 10, 27))  # the make-up Saturday counted
        # This year's or next year's calendar unknown to the package: said once, and shown.
        today = datetime.now(SHANGHAI).date()
        unknown = unknown_years(
            (today.year, today.year + 1), known=official_calendar().known_years, overridden=()
        )
        warned = log_events(platform, "sla.calendar_year_unknown")
        assert sorted(w["year"] for w in warned) == unknown
        assert all(w["level"] == "warning" and "MINYI_HOLIDAYS" in w["action"] for w in warned)
        metrics = platform.get("routing", "/metrics").text
        for year in unknown:
            assert f'minyi_sla_calendar_unknown_year{{year="{year}"}} 1.0' in metrics

        # The operator declares Friday 9 October a holiday: the next start counts again.
        platform.stop("routing")
        platform.extra_env["MINYI_HOLIDAYS"] = json.dumps(["2026-10-09"])
        platform.start("routing")

        moved = eventually(
            lambda: (found := deadlines(platform, case_id)) and found[0] != accept_due and found
        )

        assert moved == (end_of(date(2026, 10, 10)), end_of(date(2026, 10, 28)))
        recounts = eventually(lambda: log_events(platform, "sla.deadlines_recounted"))
        assert recounts[-1]["changed"] == 1
        assert recounts[-1]["open_cases"] == 1
        assert recounts[-1]["previous"] == recounts[0]["fingerprint"]

        # Started again with the same calendar: nothing is counted again.
        platform.stop("routing")
        platform.start("routing")
        eventually(lambda: log_events(platform, "sla.calendar_unchanged"))
        assert deadlines(platform, case_id) == moved
        assert len(log_events(platform, "sla.deadlines_recounted")) == len(recounts)
    finally:
        platform.stop_all()
