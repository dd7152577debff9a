"""A deliberation meeting (议事会) that closes the loop, through the four services as processes:
three residents raise parking at 白云社区 → the station's proposed agenda clusters them into one
item → staff plan the meeting on the workbench from that proposal, with a representative and a
residents' deliberator → record it as held → record the item's decision → every resident reads
the decision on their tracking page and in notify's inbox, once; the decision travels sealed,
the activity event carries counts and no names, and another station sees nothing."""

from __future__ import annotations

import re
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from shared.sealing import is_sealed
from shared.topics import CASE_EVENTS, STATION_ACTIVITIES
from tests.e2e.platform import Platform, eventually, sign_in
from tests.e2e.test_case_flow import QR_CASE, assigned, submit
from tests.e2e.test_followup_and_supervision import csrf_of, workbench
from tests.e2e.test_formal_suggestions import call, steps
from tests.e2e.test_house_repair_and_meetings import events_on, opened, routing_case

DECISION = "东门闲置空地改建为居民停车场，年底前完工，夜间向居民开放。"
DELIBERATOR = "王秀英"
TOLD = "议事会已对您的意见建议作出决定"


@pytest.fixture(scope="module")
def platform(_module_platform: Platform) -> Platform:
    """The four services, started once for the module."""
    return _module_platform


def told(platform: Platform, case_id: str) -> int:
    inbox = platform.get("notify", f"/v1/inbox/case:{case_id}").json()
    return sum(1 for m in inbox["messages"] if m["title"] == TOLD)


def item_of(page: str, case_id: str) -> str:
    """The proposal's item (its form number) that takes up the case."""
    for number, cases in re.findall(r'name="cases-(\d+)" value="([^"]*)"', page):
        if case_id in cases.split():
            return str(number)
    raise AssertionError(f"case {case_id} is in no proposed item")


def test_a_meeting_planned_from_the_proposed_agenda_decides_and_tells_every_resident(
    platform: Platform,
) -> None:
    receipts = [
        submit(platform, {**QR_CASE, "liaison_point_id": "baiyun", "text": text})
        for text in (
            "白云社区晚上停车位不够，车只能停到马路上",
            "东门附近乱停车，消防通道被堵",
            "希望把东门空地改成停车场",
        )
    ]
    for receipt in receipts:
        eventually(lambda r=receipt: assigned(platform, r["tracking_code"]))
    case_ids = [r["case_id"] for r in receipts]
    staff = sign_in(platform, "xijie-staff")

    # The API's proposal: one parking item at 白云社区 takes up all three cases.
    proposal = call(
        platform,
        "GET",
        "/v1/staff/meetings/agenda-proposal",
        staff,
        params={"liaison_point_id": "baiyun"},
    )
    assert proposal.status_code == 200, proposal.text
    item = next(i for i in proposal.json() if case_ids[0] in i["case_ids"])
    assert set(case_ids) <= set(item["case_ids"])
    assert item["category"] == "parking" and "baiyun" in item["point_ids"]
    assert item["count"] == len(item["case_ids"]) >= 3
    rep = sign_in(platform, "rep-0412")
    refused = call(platform, "GET", "/v1/staff/meetings/agenda-proposal", rep)
    assert refused.status_code == 403

    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    with workbench(platform, "xijie-staff") as pages:
        assert 'href="/staff/meetings"' in pages.get("/staff").text
        new = pages.get("/staff/meetings/new", params={"liaison_point_id": "baiyun"})
        assert new.status_code == 200, new.text
        number = item_of(new.text, case_ids[0])
        form: dict[str, Any] = {
            "csrf": csrf_of(new),
            "topic": "白云社区停车难议事会",
            "planned_on": today,
            "liaison_point_id": "baiyun",
            "representatives": "0412",
            "deliberators": f"{DELIBERATOR}，居民议事员",
            "pick": number,
            f"title-{number}": "白云社区停车难",
            f"cases-{number}": " ".join(item["case_ids"]),
            f"category-{number}": "parking",
        }
        # Nothing ticked: the form says so at the agenda, nothing is planned.
        empty = pages.post("/staff/meetings", data={**form, "pick": []})
        assert empty.status_code == 422 and 'id="agenda-error"' in empty.text
        planned = pages.post("/staff/meetings", data=form)
        assert planned.status_code == 303, planned.text
        location = planned.headers["location"]
        meeting_id = location.split("/")[-1].split("?")[0]
        page = pages.get(location)
        assert "议事会已安排" in page.text and DELIBERATOR in page.text and "张献平" in page.text
        assert f'action="/staff/meetings/{meeting_id}/held"' in page.text

        path = f"/v1/staff/meetings/{meeting_id}"
        meeting = call(platform, "GET", path, staff).json()
        assert meeting["status"] == "planned"
        assert [i["item_id"] for i in meeting["agenda"]] == ["1"]
        too_soon = platform.post(
            "routing", f"{path}/items/1/decision", json={"decision": DECISION}, headers=staff
        )
        assert too_soon.status_code == 409

        held = pages.post(
            f"/staff/meetings/{meeting_id}/held",
            data={
                "csrf": csrf_of(page),
                "attendance": "27",
                "minutes": f"{DELIBERATOR}：东门空地闲置多年，可以改建。",
                "outcome": "议定东门空地改建停车场。",
            },
        )
        assert held.status_code == 303, held.text
        page = pages.get(held.headers["location"])
        assert f'action="/staff/meetings/{meeting_id}/items/1/decision"' in page.text
        decided = pages.post(
            f"/staff/meetings/{meeting_id}/items/1/decision",
            data={"csrf": csrf_of(page), "decision": DECISION},
        )
        assert decided.status_code == 303, decided.text
        assert DECISION in pages.get(decided.headers["location"]).text
        listed = pages.get("/staff/meetings")
        assert f"/staff/meetings/{meeting_id}" in listed.text

    meeting = call(platform, "GET", path, staff).json()
    assert meeting["status"] == "held" and meeting["attendance"] == 27
    assert meeting["agenda"][0]["decision"]["case_ids"] == item["case_ids"]
    # The same decision again changes nothing; another one for the decided item is refused.
    again = platform.post(
        "routing", f"{path}/items/1/decision", json={"decision": DECISION}, headers=staff
    )
    assert again.status_code == 200 and again.json() == meeting
    other = platform.post(
        "routing", f"{path}/items/1/decision", json={"decision": "改为别的"}, headers=staff
    )
    assert other.status_code == 409
    jianchi = sign_in(platform, "jianchi-staff")
    assert call(platform, "GET", path, jianchi).status_code == 404
    assert (
        platform.post(
            "routing", f"{path}/items/1/decision", json={"decision": DECISION}, headers=jianchi
        ).status_code
        == 404
    )

    # Every resident reads the decision on their tracking page and hears it, once.
    for receipt in receipts:
        code, case_id = receipt["tracking_code"], receipt["case_id"]
        eventually(lambda c=code: any(DECISION in s for s in steps(platform, c)))
        eventually(lambda c=case_id: told(platform, c) >= 1)
    time.sleep(1.0)  # a repeated decision would have reached notify by now
    assert [told(platform, c) for c in case_ids] == [1, 1, 1]
    # Routing's record of each case: linked to the meeting, the decision in its audit trail.
    for case_id in case_ids:
        case = routing_case(platform, case_id)
        assert meeting_id in case["meetings"]
        entry = case["audit"][-1]
        assert entry["action"] == "meeting_decision" and DECISION in entry["note"]

    # On the topics: one sealed decision per case; the activity carries counts, no names.
    decisions = [
        e
        for e in events_on(platform, CASE_EVENTS, case_ids[0], expect=1)
        if e.type == "case.meeting_decided"
    ]
    assert len(decisions) == 1
    assert is_sealed(decisions[0].data["decision"])
    assert opened(platform, decisions[0]).data["decision"] == DECISION
    recorded = events_on(platform, STATION_ACTIVITIES, meeting_id, expect=1)
    assert [e.type for e in recorded] == ["meeting.recorded"]
    assert recorded[0].data["attendance"] == 27
    assert DELIBERATOR not in recorded[0].to_bytes().decode()
