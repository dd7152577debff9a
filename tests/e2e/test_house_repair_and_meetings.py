"""Dilapidated-house repair stages and a deliberation meeting, across the services as processes."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from pymongo import AsyncMongoClient, MongoClient

from shared.case_keys import CaseKeys
from shared.events.envelope import Envelope
from shared.mongo import Document
from shared.sealing import cases_of, is_sealed, open_envelope
from shared.topics import CASE_EVENTS, STATION_ACTIVITIES
from tests.e2e.platform import Platform, act, eventually, sign_in, staff_case
from tests.e2e.test_case_flow import assigned, submit
from tests.kafka_tools import read_topic

HOUSE_CASE = {
    "category": "house_repair",
    "text": "西新社区老房子墙体开裂，下雨漏水，存在安全隐患",
    "liaison_point_id": "xixin",
}


def ok(response: httpx.Response, code: int = 200) -> Any:
    assert response.status_code == code, response.text
    return response.json()


def move(
    platform: Platform, headers: dict[str, str], case_id: str, stage: str, **extra: Any
) -> httpx.Response:
    return platform.post(
        "routing",
        f"/v1/staff/cases/{case_id}/stage",
        json={"stage": stage, **extra},
        headers=headers,
    )


def get(platform: Platform, path: str, headers: dict[str, str], **params: Any) -> httpx.Response:
    return httpx.get(platform.url("routing", path), headers=headers, params=params, timeout=10)


def events_on(platform: Platform, topic: str, key: str, expect: int) -> list[Envelope]:
    records = asyncio.run(
        read_topic(platform.infra.kafka_bootstrap, f"{platform.namespace}.{topic}", expect=expect)
    )
    return [Envelope.from_bytes(r.value) for r in records if r.key == key.encode()]


def opened(platform: Platform, envelope: Envelope) -> Envelope:
    """The event with its sealed fields opened by intake's copy of the case keys."""

    async def keys() -> dict[str, bytes | None]:
        client: AsyncMongoClient[Document] = AsyncMongoClient(platform.infra.mongo_url)
        try:
            ring = CaseKeys(client[f"{platform.namespace}_minyi_intake"])
            return await ring.lookup(cases_of([envelope]))
        finally:
            await client.close()

    return open_envelope(envelope, asyncio.run(keys()))


def routing_case(platform: Platform, case_id: str) -> Document:
    client: MongoClient[Document] = MongoClient(platform.infra.mongo_url, tz_aware=True)
    try:
        found = client[f"{platform.namespace}_minyi_routing"]["cases"].find_one({"_id": case_id})
        assert found is not None
        return found
    finally:
        client.close()


def test_a_house_repair_case_moves_through_its_stages_and_a_meeting_links_back_to_it(
    platform: Platform,
) -> None:
    parking = submit(
        platform, {"category": "parking", "text": "小区停车位不够用", "liaison_point_id": "baiyun"}
    )
    receipt = submit(platform, HOUSE_CASE)
    case_id = receipt["case_id"]
    holder = eventually(lambda: assigned(platform, receipt["tracking_code"]), timeout_s=15)
    rep_code = holder["representative"]["code"]
    assert rep_code in {"0416", "0417"}  # the house-repair specialists at 西新

    rep = sign_in(platform, f"rep-{rep_code}")
    staff = sign_in(platform, "xijie-staff")
    head = sign_in(platform, "xijie-head")
    jianchi = sign_in(platform, "jianchi-staff")
    supervisor = sign_in(platform, "city-supervisor")

    # Before approval there is no stage to move.
    early = move(platform, staff, case_id, "design")
    assert early.status_code == 409
    assert early.json()["stage"] is None and early.json()["allowed_stages"] == []

    ok(act(platform, rep, case_id, "accept"))
    ok(act(platform, staff, case_id, "approve"))

    # Approved: under governance. A skipped stage is refused with what is allowed.
    skipped = move(platform, staff, case_id, "repairing")
    assert skipped.status_code == 409
    assert skipped.json()["stage"] == "under_governance"
    assert skipped.json()["allowed_stages"] == ["design", "expropriated"]

    # Other stations' staff do not find it; the representative may not move it.
    assert move(platform, jianchi, case_id, "design").status_code == 404
    assert move(platform, rep, case_id, "design").status_code == 403
    assert move(platform, staff, case_id, "demolished").status_code == 422
    eventually(lambda: assigned(platform, parking["tracking_code"]), timeout_s=15)
    other_category = move(platform, staff, parking["case_id"], "design")
    assert other_category.status_code == 422
    assert "parking" in other_category.json()["detail"][0]["msg"]

    version = ok(staff_case(platform, staff, case_id))["version"]
    ok(move(platform, staff, case_id, "design"))  # no If-Match: no version check
    stale = platform.post(
        "routing",
        f"/v1/staff/cases/{case_id}/stage",
        json={"stage": "repairing"},
        headers={**staff, "If-Match": f'"{version}"'},  # the quoted ETag form
    )
    assert stale.status_code == 412  # Precondition Failed: the case moved past that version
    assert stale.json()["stage"] == "design"

    view = ok(move(platform, head, case_id, "repairing", note="施工队已进场"))
    assert view["stage"] == "repairing"
    assert view["allowed_stages"] == ["repaired", "expropriated"]
    skip_to_end = move(platform, staff, case_id, "acceptance_passed")
    assert skip_to_end.status_code == 409
    assert skip_to_end.json()["allowed_stages"] == ["repaired", "expropriated"]
    ok(move(platform, staff, case_id, "repaired"))
    done = ok(move(platform, staff, case_id, "acceptance_passed", note="住建局验收合格"))
    assert done["stage"] == "acceptance_passed" and done["allowed_stages"] == []
    assert [(h["from"], h["to"]) for h in done["history"]] == [
        ("under_governance", "design"),
        ("design", "repairing"),
        ("repairing", "repaired"),
        ("repaired", "acceptance_passed"),
    ]
    assert done["history"][-1]["note"] == "住建局验收合格"

    detail = ok(staff_case(platform, staff, case_id))
    assert detail["status"] == "handling"  # stages do not move the handling status
    assert [a["action"] for a in detail["audit"]][-4:] == ["change_stage"] * 4
    last = detail["audit"][-1]
    assert last["detail"] == {"from_stage": "repaired", "to_stage": "acceptance_passed"}
    assert last["note"] == "住建局验收合格"

    # The figures count houses (tests/e2e/test_houses.py): a case not linked to a house is
    # not one, whatever its own stage.
    figures = ok(get(platform, "/v1/staff/house-repair/stages", staff))
    assert figures["station_id"] == "xijie" and figures["total"] == 0
    assert figures["counts"] == {
        "under_governance": 0,
        "design": 0,
        "repairing": 0,
        "repaired": 0,
        "acceptance_passed": 0,
        "expropriated": 0,
    }
    assert ok(get(platform, "/v1/staff/house-repair/stages", jianchi))["total"] == 0
    city = ok(get(platform, "/v1/staff/house-repair/stages", supervisor))
    assert city["station_id"] is None and city["total"] == 0
    assert (
        ok(get(platform, "/v1/staff/house-repair/stages", supervisor, station="jianchi"))["total"]
        == 0
    )
    assert get(platform, "/v1/staff/house-repair/stages", rep).status_code == 403
    assert (
        get(platform, "/v1/staff/house-repair/stages", jianchi, station="xijie").status_code == 403
    )

    # Every stage change is a case event, in order, for downstream systems.
    stage_events = [
        e
        for e in events_on(platform, CASE_EVENTS, case_id, expect=9)
        if e.type == "case.stage_changed"
    ]
    assert [(e.data["from_stage"], e.data["to_stage"]) for e in stage_events] == [
        ("under_governance", "design"),
        ("design", "repairing"),
        ("repairing", "repaired"),
        ("repaired", "acceptance_passed"),
    ]
    # Staff's notes travel sealed with the case's key (shared.sealing) and open with it.
    assert is_sealed(stage_events[1].data["note"])
    assert opened(platform, stage_events[1]).data["note"] == "施工队已进场"
    assert {e.data["actor_id"] for e in stage_events} == {"xijie-staff", "xijie-head"}

    # A deliberation meeting at 西新 that discussed the case.
    held_on = (datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(days=1)).date().isoformat()
    meeting_body = {
        "kind": "deliberation_meeting",
        "liaison_point_id": "xixin",
        "held_on": held_on,
        "topic": "西新社区危旧房治理议事会",
        "attendance": 23,
        "case_ids": [case_id],
        "outcome": "修缮已完成并通过验收，居民代表表示满意。",
    }
    wrong_point = platform.post(
        "routing",
        "/v1/staff/meetings",
        json={**meeting_body, "liaison_point_id": "jianchi_centre"},
        headers=staff,
    )
    assert wrong_point.status_code == 422
    foreign_case = platform.post(
        "routing",
        "/v1/staff/meetings",
        json={**meeting_body, "liaison_point_id": None},
        headers=jianchi,
    )
    assert foreign_case.status_code == 422  # the case is not jianchi's
    assert (
        platform.post("routing", "/v1/staff/meetings", json=meeting_body, headers=rep).status_code
        == 403
    )

    meeting = ok(
        platform.post("routing", "/v1/staff/meetings", json=meeting_body, headers=staff), 201
    )
    meeting_id = meeting["meeting_id"]
    assert meeting["station_id"] == "xijie" and meeting["recorded_by"] == "xijie-staff"
    assert ok(get(platform, f"/v1/staff/meetings/{meeting_id}", staff)) == meeting
    assert ok(get(platform, f"/v1/staff/meetings/{meeting_id}", supervisor)) == meeting
    assert get(platform, f"/v1/staff/meetings/{meeting_id}", jianchi).status_code == 404
    listed = ok(get(platform, "/v1/staff/meetings", staff, since=held_on, until=held_on))
    assert [m["meeting_id"] for m in listed] == [meeting_id]
    assert ok(get(platform, "/v1/staff/meetings", staff, until="2000-01-01")) == []
    assert ok(get(platform, "/v1/staff/meetings", jianchi)) == []

    # The case links back to the meeting (routing's own record of the case).
    assert routing_case(platform, case_id)["meetings"] == [meeting_id]

    recorded = events_on(platform, STATION_ACTIVITIES, meeting_id, expect=1)
    assert [e.type for e in recorded] == ["meeting.recorded"]
    assert recorded[0].data["case_ids"] == [case_id]
    assert recorded[0].data["attendance"] == 23
