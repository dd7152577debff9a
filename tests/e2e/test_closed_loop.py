"""The closed loop across the four services as processes, as people would drive it."""

from __future__ import annotations

import asyncio
import concurrent.futures
from typing import Any

import httpx
import pytest

from shared.topics import CASE_EVENTS
from tests.e2e.platform import Platform, act, eventually, sign_in, staff_case
from tests.e2e.test_case_flow import QR_CASE, assigned, resident_view, submit
from tests.kafka_tools import read_topic


@pytest.fixture
def platform(shared_platform: Platform) -> Platform:
    """The module's tests share one platform (tests/e2e/conftest.py)."""
    return shared_platform


def status_is(platform: Platform, code: str, expected: str) -> dict[str, Any] | None:
    view = resident_view(platform, code)
    return view if view["status"] == expected else None


def ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def case_event_types(platform: Platform, case_id: str, expect: int) -> list[str]:
    """The case's events on the topic, once there are at least `expect` of them."""

    def types() -> list[str] | None:
        records = asyncio.run(
            read_topic(platform.infra.kafka_bootstrap, f"{platform.namespace}.{CASE_EVENTS}")
        )
        mine = [dict(r.headers)["ce_type"].decode() for r in records if r.key == case_id.encode()]
        return mine if len(mine) >= expect else None

    found: list[str] = eventually(types, timeout_s=20)
    return found


def test_a_qr_case_goes_through_review_transfer_response_close_and_rating(
    platform: Platform,
) -> None:
    receipt = submit(platform, QR_CASE)
    code, case_id = receipt["tracking_code"], receipt["case_id"]
    eventually(lambda: assigned(platform, code), timeout_s=15)

    rep = sign_in(platform, "rep-0412")
    staff = sign_in(platform, "xijie-staff")
    housing = sign_in(platform, "housing-handler")

    detail = ok(staff_case(platform, rep, case_id))
    assert detail["allowed_actions"] == ["accept", "decline"]
    ok(act(platform, rep, case_id, "accept"))
    eventually(lambda: status_is(platform, code, "accepted"))

    ok(act(platform, staff, case_id, "begin_review"))
    eventually(lambda: status_is(platform, code, "in_review"))
    ok(act(platform, staff, case_id, "approve"))
    eventually(lambda: status_is(platform, code, "handling"))

    # Closing now is not allowed: 409 names the state and what is allowed.
    refused = act(platform, staff, case_id, "close")
    assert refused.status_code == 409
    assert refused.json()["status"] == "handling"
    assert refused.json()["allowed_actions"] == ["merge", "transfer", "progress", "respond"]

    ok(act(platform, staff, case_id, "transfer", department_id="housing", note="请住建局核实"))
    eventually(lambda: status_is(platform, code, "transferred"))
    assert ok(staff_case(platform, housing, case_id))["allowed_actions"] == ["progress"]
    ok(act(platform, housing, case_id, "progress", note="已到现场测量，计划增设停车位"))
    answer = "经协调，小区东侧将增设20个停车位，预计下月完工。"
    ok(act(platform, staff, case_id, "respond", response=answer))
    view = eventually(lambda: status_is(platform, code, "responded"))
    assert view["response"] == answer
    assert "rate" in view["allowed_actions"]

    ok(act(platform, staff, case_id, "close"))
    eventually(lambda: status_is(platform, code, "closed"))
    rated = platform.post("intake", f"/v1/cases/{code}/rating", json={"rating": "satisfied"})
    assert rated.status_code == 202, rated.text
    assert rated.json()["rating"] == "satisfied"

    steps = [s["status"] for s in resident_view(platform, code)["timeline"]]
    assert steps[:9] == [
        "submitted",
        "assigned",
        "accepted",
        "in_review",
        "handling",
        "transferred",
        "transferred",
        "responded",
        "closed",
    ]
    assert any(
        "已到现场测量" in (s["note"] or "") for s in resident_view(platform, code)["timeline"]
    )

    audit = eventually(
        lambda: (d := ok(staff_case(platform, staff, case_id)))["rating"] == "satisfied" and d
    )["audit"]
    assert [(a["action"], a["actor_id"]) for a in audit] == [
        ("assign", "routing"),
        ("accept", "rep-0412"),
        ("begin_review", "xijie-staff"),
        ("approve", "xijie-staff"),
        ("transfer", "xijie-staff"),
        ("progress", "housing-handler"),
        ("respond", "xijie-staff"),
        ("close", "xijie-staff"),
        ("rate", None),
    ]
    assert [(a["from"], a["to"]) for a in audit[1:4]] == [
        ("assigned", "accepted"),
        ("accepted", "in_review"),
        ("in_review", "handling"),
    ]
    assert case_event_types(platform, case_id, expect=10) == [
        "case.submitted",
        "case.assigned",
        "case.accepted",
        "case.reviewed",
        "case.reviewed",
        "case.transferred",
        "case.progressed",
        "case.responded",
        "case.closed",
        "case.rated",
    ]


def test_a_declined_case_is_re_routed_to_another_representative(platform: Platform) -> None:
    receipt = submit(
        platform,
        {
            "category": "other",
            "text": "白云社区路灯不亮，晚上出行不便",
            "liaison_point_id": "baiyun",
        },
    )
    code, case_id = receipt["tracking_code"], receipt["case_id"]
    first = eventually(lambda: assigned(platform, code), timeout_s=15)["representative"]["code"]

    holder = sign_in(platform, f"rep-{first}")
    ok(act(platform, holder, case_id, "decline", reason="不在我的联系片区"))
    second = eventually(
        lambda: (v := assigned(platform, code)) and v["representative"]["code"] != first and v
    )["representative"]["code"]
    assert second in {"0412", "0413", "0414"} - {first}

    assert staff_case(platform, holder, case_id).status_code == 404
    detail = ok(staff_case(platform, sign_in(platform, f"rep-{second}"), case_id))
    assert detail["round"] == 2
    assert detail["reason"].startswith("declined, re-routed: point 白云社区人大联络点")
    # The resident never reads the representative's reason for declining.
    assert all("片区" not in (s["note"] or "") for s in resident_view(platform, code)["timeline"])


def test_reject_merge_and_a_reopened_case_answered_again(platform: Platform) -> None:
    staff = sign_in(platform, "xijie-staff")
    rep = sign_in(platform, "rep-0412")
    out_of_scope, duplicate, main = (
        submit(platform, {**QR_CASE, "text": text})
        for text in ("想咨询个人房贷利率问题", "停车位不够，晚上没处停", "小区停车位严重不足")
    )
    for receipt in (out_of_scope, duplicate, main):
        eventually(lambda r=receipt: assigned(platform, r["tracking_code"]), timeout_s=15)
        ok(act(platform, rep, receipt["case_id"], "accept"))

    reason = "个人金融业务不属于人大代表联络站的受理范围，建议咨询银行。"
    ok(act(platform, staff, out_of_scope["case_id"], "reject", reason=reason))
    view = eventually(lambda: status_is(platform, out_of_scope["tracking_code"], "rejected"))
    assert view["rejection_reason"] == reason

    ok(act(platform, staff, duplicate["case_id"], "merge", into_case_id=main["case_id"]))
    eventually(lambda: status_is(platform, duplicate["tracking_code"], "merged"))
    bad_merge = act(platform, staff, main["case_id"], "merge", into_case_id="no-such-case")
    assert bad_merge.status_code == 422

    ok(act(platform, staff, main["case_id"], "approve"))
    ok(act(platform, staff, main["case_id"], "respond", response="已协调增设车位，请耐心等待。"))
    code = main["tracking_code"]
    eventually(lambda: status_is(platform, code, "responded"))
    early = platform.post("intake", f"/v1/cases/{code}/reopen", json={"reason": "还是没有车位"})
    assert early.status_code == 409  # rate first
    assert early.json()["allowed_actions"] == ["rate"]
    assert (
        platform.post(
            "intake", f"/v1/cases/{code}/rating", json={"rating": "dissatisfied"}
        ).status_code
        == 202
    )
    reopened = platform.post(
        "intake", f"/v1/cases/{code}/reopen", json={"reason": "一个月过去了还是没有新车位"}
    )
    assert reopened.status_code == 202, reopened.text

    detail = eventually(
        lambda: (
            (d := ok(staff_case(platform, staff, main["case_id"])))["status"] == "reopened" and d
        )
    )
    assert detail["reopen_count"] == 1
    assert detail["allowed_actions"] == ["merge", "transfer", "progress", "respond"]
    ok(act(platform, staff, main["case_id"], "respond", response="新车位已划线启用，共20个。"))
    ok(act(platform, staff, main["case_id"], "close"))
    view = eventually(lambda: status_is(platform, code, "closed"))
    assert view["reopen_count"] == 1
    again = platform.post("intake", f"/v1/cases/{code}/reopen", json={"reason": "再次申请重办"})
    assert again.status_code == 409  # once only


def test_two_concurrent_actions_on_one_case_cannot_both_win(platform: Platform) -> None:
    receipt = submit(platform, QR_CASE)
    eventually(lambda: assigned(platform, receipt["tracking_code"]), timeout_s=15)
    case_id = receipt["case_id"]
    ok(act(platform, sign_in(platform, "rep-0412"), case_id, "accept"))
    staff = sign_in(platform, "xijie-staff")
    head = sign_in(platform, "xijie-head")
    read = staff_case(platform, staff, case_id)
    etag = read.headers["ETag"]
    assert etag == f'W/"{ok(read)["version"]}"'

    def approve(headers: dict[str, str]) -> int:
        return platform.post(
            "routing",
            f"/v1/staff/cases/{case_id}/actions",
            json={"action": "approve"},
            headers={**headers, "If-Match": etag},
        ).status_code

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        codes = sorted(pool.map(approve, [staff, head]))
    assert codes == [200, 412]  # the loser's If-Match names a version that is gone
    audit = ok(staff_case(platform, staff, case_id))["audit"]
    assert [a["action"] for a in audit].count("approve") == 1


def test_the_station_asks_the_resident_a_question_and_reads_the_answer(
    platform: Platform,
) -> None:
    receipt = submit(platform, QR_CASE)
    code, case_id = receipt["tracking_code"], receipt["case_id"]
    eventually(lambda: assigned(platform, code), timeout_s=15)
    assert (
        platform.post("intake", f"/v1/cases/{code}/messages", json={"text": "没人问我"}).status_code
        == 409
    )

    staff = sign_in(platform, "xijie-staff")
    asked = platform.post(
        "routing",
        f"/v1/staff/cases/{case_id}/messages",
        json={"text": "请问具体是哪栋楼附近缺车位？"},
        headers=staff,
    )
    assert asked.status_code == 200, asked.text
    view = eventually(
        lambda: (
            (v := resident_view(platform, code))["messages"]
            and "reply" in v["allowed_actions"]
            and v
        )
    )
    assert [(m["from"], m["text"]) for m in view["messages"]] == [
        ("station", "请问具体是哪栋楼附近缺车位？")
    ]

    answered = platform.post(
        "intake", f"/v1/cases/{code}/messages", json={"text": "3号楼和5号楼之间"}
    )
    assert answered.status_code == 202, answered.text
    assert "reply" not in answered.json()["allowed_actions"]
    detail = eventually(
        lambda: len((d := ok(staff_case(platform, staff, case_id)))["messages"]) == 2 and d
    )
    assert [(m["from"], m["text"]) for m in detail["messages"]] == [
        ("station", "请问具体是哪栋楼附近缺车位？"),
        ("resident", "3号楼和5号楼之间"),
    ]
    assert [a["action"] for a in detail["audit"]][-2:] == ["ask_resident", "answer"]
    other = sign_in(platform, "jianchi-staff")
    assert (
        platform.post(
            "routing",
            f"/v1/staff/cases/{case_id}/messages",
            json={"text": "越权提问"},
            headers=other,
        ).status_code
        == 404
    )


def test_staff_answer_from_a_response_template_of_the_case_s_category(
    platform: Platform,
) -> None:
    head = sign_in(platform, "xijie-head")
    staff = sign_in(platform, "xijie-staff")
    template = {
        "category": "parking",
        "title": "停车位增设答复",
        "text": "您好，关于停车位不足的问题，联络站已协调物业和街道增设车位。",
    }
    assert (
        platform.post("routing", "/v1/staff/templates", json=template, headers=staff).status_code
        == 403
    )
    created = platform.post("routing", "/v1/staff/templates", json=template, headers=head)
    assert created.status_code == 201, created.text
    template_id = created.json()["id"]
    listed = httpx.get(
        platform.url("routing", "/v1/staff/templates"),
        params={"category": "parking"},
        headers=staff,
        timeout=10,
    ).json()
    assert [t["id"] for t in listed] == [template_id]
    other_station = httpx.get(
        platform.url("routing", "/v1/staff/templates"),
        headers=sign_in(platform, "jianchi-staff"),
        timeout=10,
    ).json()
    assert other_station == []

    receipt = submit(platform, QR_CASE)
    code, case_id = receipt["tracking_code"], receipt["case_id"]
    eventually(lambda: assigned(platform, code), timeout_s=15)
    ok(act(platform, sign_in(platform, "rep-0412"), case_id, "accept"))
    ok(act(platform, staff, case_id, "approve"))
    ok(act(platform, staff, case_id, "respond", template_id=template_id, response="预计月底完工。"))
    view = eventually(lambda: status_is(platform, code, "responded"))
    assert view["response"] == template["text"] + "\n预计月底完工。"
    unknown = act(platform, staff, case_id, "respond", template_id="t-none")
    assert unknown.status_code in (409, 422)
