"""A representative's duty record on the real store, read over HTTP in process: events folded
twice (once counted), a suggestion published once per linked case (once counted), the access
rule on every variant, the files for the annual report, and the public part."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import openpyxl

from services.reporting.adapters.read_models import ReadModels
from services.reporting.handlers.duty_records import apply_suggestions
from services.reporting.handlers.projections import apply_case_events, apply_meetings
from shared.dispatch import Event
from shared.events.activity_events import MeetingKind, MeetingRecorded
from shared.events.case_events import (
    CaseAccepted,
    CaseAssigned,
    CaseDeclined,
    CaseRated,
    CaseResponded,
    CaseSubmitted,
    CaseSuggestionLinked,
)
from shared.events.envelope import Envelope, EventData
from tests.tokens import bearer

T0 = datetime(2025, 5, 6, 9, 0, tzinfo=UTC)
PERIOD = {"since": "2025-05-01", "until": "2025-05-31"}
RECORD = "/v1/reports/representatives/0412/record"
XIJIE = bearer("staff", username="xijie-staff", station="xijie")
JIANCHI = bearer("staff", username="jianchi-staff", station="jianchi")


def wrap(events: list[EventData]) -> list[Event[Any]]:
    return [
        Event.of(Envelope.wrap(e, source="test", subject="c", correlation_id=uuid.uuid4().hex), e)
        for e in events
    ]


def case_events() -> list[EventData]:
    """0412: three cases, two answered (2 h and 6 h), one rated satisfied; one declined."""
    made: list[EventData] = []
    for i, hours in enumerate((2, 6, None)):
        case = f"c{i}"
        common: dict[str, Any] = {"case_id": case, "station_id": "xijie"}
        made += [
            CaseSubmitted(
                case_id=case, category="parking", text="停车难", channel="qr", submitted_at=T0
            ),
            CaseAssigned(
                **common,
                category="parking",
                station_name="西街",
                representative_code="0412",
                reason="qr",
                assigned_at=T0,
            ),
        ]
        if hours is None:
            made.append(
                CaseDeclined(
                    **common,
                    actor_role="representative",
                    representative_code="0412",
                    reason="不在辖区",
                    at=T0,
                )
            )
            continue
        made += [
            CaseAccepted(**common, actor_role="representative", representative_code="0412", at=T0),
            CaseResponded(
                **common, actor_role="staff", response="已协调", at=T0 + timedelta(hours=hours)
            ),
        ]
    made.append(
        CaseRated(
            case_id="c0",
            station_id="xijie",
            actor_role="resident",
            rating="satisfied",
            at=T0 + timedelta(days=1),
        )
    )
    return made


def suggestion(case: str) -> CaseSuggestionLinked:
    return CaseSuggestionLinked(
        case_id=case,
        station_id="xijie",
        actor_role="representative",
        at=T0 + timedelta(days=2),
        suggestion_id="s-2025-001",
        number="2025-001",
        title="增设充电桩",
        lead_representative="0412",
        cosigners=["0415"],
        department_id="transport",
        department_name="交通局",
        answer_due=date(2025, 8, 1),
        linked_cases=2,
    )


def meeting(meeting_id: str, kind: MeetingKind, representatives: list[str]) -> MeetingRecorded:
    return MeetingRecorded(
        meeting_id=meeting_id,
        kind=kind,
        station_id="xijie",
        held_on=date(2025, 5, 20),
        topic="停车议事会",
        attendance=25,
        representatives=representatives,
        outcome="议定改建停车场",
        recorded_by="xijie-staff",
        recorded_at=T0 + timedelta(days=14),
    )


async def test_the_duty_record_is_built_once_from_events_and_read_by_whom_it_may(
    reporting: tuple[httpx.AsyncClient, ReadModels],
) -> None:
    client, read_models = reporting
    await read_models.save_names(
        [
            ("representative", "0412", {"name": "王代表", "station": "xijie"}, T0),
            ("representative", "0415", {"name": "李代表", "station": "xijie"}, T0),
        ]
    )
    events = wrap(case_events())
    suggestions = wrap([suggestion("c0"), suggestion("c1")])
    meetings = wrap(
        [
            meeting("m1", "deliberation_meeting", ["0412", "0415"]),
            meeting("m2", "themed_activity", ["0412"]),
        ]
    )
    for _ in range(2):  # redelivered: counted once
        await apply_case_events(events, read_models=read_models)
        await apply_suggestions(suggestions, read_models=read_models)
        await apply_meetings(meetings, read_models=read_models)

    answer = await client.get(RECORD, params=PERIOD)
    assert answer.status_code == 200, answer.text
    record = answer.json()
    assert record["representative_name"] == "王代表"
    assert (record["received"], record["accepted"], record["declined"], record["answered"]) == (
        3,
        2,
        1,
        2,
    )
    assert record["time_to_respond"] == {
        "count": 2,
        "median_seconds": 2 * 3600.0,
        "p90_seconds": 6 * 3600.0,
    }
    assert record["satisfaction_rate"]["rate"] == 1.0
    assert record["satisfaction_rate"]["sample"] == 1
    assert 0.2 < record["satisfaction_rate"]["low"] < 0.21  # Wilson 95% of 1/1: 0.2065
    assert (record["suggestions"], record["cosigned_suggestions"]) == (1, 0)
    assert (record["meetings_attended"], record["activities_attended"]) == (1, 1)
    cosigner = (await client.get("/v1/reports/representatives/0415/record", params=PERIOD)).json()
    assert (cosigner["suggestions"], cosigner["cosigned_suggestions"]) == (0, 1)
    assert (cosigner["meetings_attended"], cosigner["activities_attended"]) == (1, 0)

    # Who may read it: themself, their station's staff, city-wide; 404 for others, 403 by role.
    for headers, status in (
        (bearer("representative", username="rep-0412", representative_code="0412"), 200),
        (XIJIE, 200),
        (bearer("admin"), 200),
        (JIANCHI, 404),
        (bearer("representative", representative_code="0415"), 404),
        (bearer("department", department="transport"), 403),
    ):
        for path in (RECORD, f"{RECORD}.csv"):
            got = await client.get(path, params=PERIOD, headers=headers)
            assert got.status_code == status, (path, headers, got.text)
    unknown = await client.get("/v1/reports/representatives/9999/record")
    assert unknown.status_code == 404

    # The files for the annual report carry the JSON's numbers.
    text = (await client.get(f"{RECORD}.csv", params=PERIOD)).content.decode("utf-8-sig")
    header, row = list(csv.reader(io.StringIO(text)))
    values = dict(zip(header, row, strict=True))
    assert values["收到 (received)"] == "3"
    assert values["满意度下限 (satisfaction low (95% Wilson))"] == repr(
        record["satisfaction_rate"]["low"]
    )
    xlsx = await client.get(f"{RECORD}.xlsx", params=PERIOD)
    assert (
        'filename="minyi-record-0412-2025-05-01-2025-05-31.xlsx"'
        in (xlsx.headers["content-disposition"])
    )
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert dict(zip(rows[0], rows[1], strict=True))["答复 (answered)"] == 2

    # The public part: counts, satisfaction withheld on one rating, nothing else.
    public = await client.get(
        "/v1/public/representatives/0412/record", params=PERIOD, headers={"Authorization": ""}
    )
    assert public.status_code == 200, public.text
    assert public.headers["cache-control"] == "public, max-age=300"
    shown = public.json()
    assert (shown["received"], shown["accepted"], shown["answered"], shown["rated"]) == (3, 2, 2, 1)
    assert shown["satisfaction_rate"] is None and shown["satisfaction_withheld"] is True
    assert (shown["meetings_attended"], shown["activities_attended"]) == (1, 1)  # public office
    assert not {"time_to_respond", "declined", "ratings", "followed_up"} & set(shown)

    # The pages: the staff page with its export links, the public one without them.
    session = {"minyi_session": XIJIE["Authorization"].removeprefix("Bearer ")}
    page = await client.get(
        "/representatives/0412/record",
        params=PERIOD,
        cookies=session,
        headers={"Authorization": ""},
    )
    assert page.status_code == 200, page.text
    assert "王代表" in page.text and "record.xlsx" in page.text
    assert 'data-figure="time-to-respond"' in page.text
    dashboard = await client.get("/dashboard", cookies=session, headers={"Authorization": ""})
    assert 'action="/representatives/record"' in dashboard.text  # the way in from the dashboard
    found = await client.get("/representatives/record", params={"code": "0412"})
    assert (found.status_code, found.headers["location"]) == (303, "/representatives/0412/record")
    other = {"minyi_session": JIANCHI["Authorization"].removeprefix("Bearer ")}
    hidden = await client.get("/representatives/0412/record", cookies=other)
    assert hidden.status_code == 404
    public_page = await client.get("/transparency/representatives/0412", params=PERIOD)
    assert public_page.status_code == 200
    assert "王代表" in public_page.text and "record.csv" not in public_page.text
    assert 'data-figure="time-to-respond"' not in public_page.text
