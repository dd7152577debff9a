"""Follow-up calls (回访) and supervision (督办), end to end through the four services as
processes, one platform for both stories:

- a case is answered; station staff record the resident's rating from a phone call on the
  workbench's case page (the API refuses it before the answer and a second time); the case
  page, the resident's tracking page and the figures show it as a follow-up, apart from the
  residents' own ratings;
- another case is urged by the city supervisor twice (on the workbench page with a date, by
  the API with a deadline seconds away); the station head's and the representative's inboxes
  get both; the near deadline passes and routing's scheduler escalates it once, notified again;
  the case is answered, sent back for redo by the supervisor on the case page, and the
  figures and the export count it all.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from shared.topics import delete_namespace_topics, ensure_topics
from tests.conftest import PlumbingSettings, drop_namespace_databases
from tests.e2e.platform import DEMO_PASSWORD, Platform, act, eventually, sign_in, staff_case
from tests.e2e.test_case_flow import QR_CASE, assigned, resident_view, submit
from tests.infra import Infra

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def platform(infra: Infra) -> Iterator[Platform]:
    # The SLA scheduler (which also escalates supervisions) looks every second, not every 30.
    namespace = "t" + uuid.uuid4().hex[:12]
    plumbing = PlumbingSettings(
        kafka_bootstrap=infra.kafka_bootstrap, mongo_url=infra.mongo_url, namespace=namespace
    )
    asyncio.run(ensure_topics(plumbing))
    running = Platform(infra=infra, namespace=namespace, extra_env={"MINYI_SLA_CHECK_SECONDS": "1"})
    try:
        running.start_all()
        yield running
    finally:
        running.stop_all()
        asyncio.run(delete_namespace_topics(plumbing))
        asyncio.run(drop_namespace_databases(plumbing))


def handled_case(platform: Platform, text: str) -> tuple[str, str]:
    """A QR case for representative 0412, accepted and approved: (case id, tracking code)."""
    receipt = submit(platform, {**QR_CASE, "text": text})
    eventually(lambda: assigned(platform, receipt["tracking_code"]), timeout_s=20)
    case_id = receipt["case_id"]
    rep, staff = sign_in(platform, "rep-0412"), sign_in(platform, "xijie-staff")
    assert act(platform, rep, case_id, "accept").status_code == 200
    assert act(platform, staff, case_id, "approve").status_code == 200
    return case_id, receipt["tracking_code"]


def inbox_titles(platform: Platform, recipient: str, case_id: str) -> list[str]:
    messages = platform.get("notify", f"/v1/inbox/{recipient}").json()["messages"]
    return sorted(m["title"] for m in messages if m["case_id"] == case_id)


def inbox_has(
    platform: Platform, recipient: str, case_id: str, expected: list[str]
) -> Callable[[], list[str] | None]:
    """A check that the recipient's inbox holds (at least) these titles for the case."""

    def check() -> list[str] | None:
        titles = inbox_titles(platform, recipient, case_id)
        return titles if all(titles.count(t) >= expected.count(t) for t in expected) else None

    return check


def station_figures(platform: Platform) -> dict[str, Any]:
    report = platform.get("reporting", "/v1/reports/stations").json()
    found: dict[str, Any] = next(s for s in report["stations"] if s["station_id"] == "xijie")
    return found


def figures_reach(platform: Platform, **wanted: int) -> Callable[[], dict[str, Any] | None]:
    def check() -> dict[str, Any] | None:
        figures = station_figures(platform)
        return figures if all(figures[k] == v for k, v in wanted.items()) else None

    return check


@contextmanager
def workbench(platform: Platform, username: str) -> Iterator[httpx.Client]:
    """A client signed in to the workbench pages (the session cookie)."""
    with httpx.Client(base_url=platform.url("routing", ""), timeout=10) as client:
        signed = client.post(
            "/staff/sign-in", data={"username": username, "password": DEMO_PASSWORD}
        )
        assert signed.status_code == 303, signed.text
        yield client


def csrf_of(page: httpx.Response) -> str:
    return page.text.split('name="csrf" value="')[1].split('"')[0]


def test_a_follow_up_call_and_a_supervised_returned_case_through_every_service(
    platform: Platform,
) -> None:
    staff = sign_in(platform, "xijie-staff")
    supervisor = sign_in(platform, "city-supervisor")

    # --- Story 1: a follow-up call for a resident who cannot rate online. ---
    called, called_code = handled_case(platform, "小区门口的路灯坏了好几天，晚上很黑")
    early = platform.post(
        "routing",
        f"/v1/staff/cases/{called}/follow-up",
        json={"rating": "satisfied", "channel": "phone"},
        headers=staff,
    )
    assert early.status_code == 409, early.text  # not answered yet
    assert act(platform, staff, called, "respond", response="路灯已经修好。").status_code == 200
    call = {"rating": "satisfied", "channel": "phone", "comment": "老人电话里说已经亮了"}
    # Recorded on the workbench's case page, as a station does after the call.
    with workbench(platform, "xijie-staff") as pages:
        page = pages.get(f"/staff/cases/{called}")
        assert f'action="/staff/cases/{called}/follow-up"' in page.text
        posted = pages.post(
            f"/staff/cases/{called}/follow-up", data={"csrf": csrf_of(page), **call}
        )
        assert posted.status_code == 303, posted.text
        page = pages.get(posted.headers["location"])
        assert "回访评价（电话回访，xijie-staff 记录）：满意" in page.text
        # The history words the call's codes in the page's language, then the comment.
        assert f"满意（电话回访）：{call['comment']}" in page.text
        assert f'action="/staff/cases/{called}/follow-up"' not in page.text  # one per response
    detail = staff_case(platform, staff, called).json()
    assert [(u["rating"], u["channel"], u["by"], u["comment"]) for u in detail["follow_ups"]] == [
        ("satisfied", "phone", "xijie-staff", call["comment"])
    ]
    entry = detail["audit"][-1]
    assert (entry["action"], entry["note"]) == ("follow_up", call["comment"])
    assert entry["detail"] == {"rating": "satisfied", "channel": "phone"}
    assert detail["rating"] is None  # the resident's own rating stays theirs
    assert detail["can_follow_up"] is False
    again = platform.post(
        "routing", f"/v1/staff/cases/{called}/follow-up", json=call, headers=staff
    )
    assert again.status_code == 409, again.text
    assert again.json()["detail"] == "the latest response has already been followed up"
    view = eventually(
        lambda: (
            (v := resident_view(platform, called_code))
            and any("回访评价" in (s["note"] or "") for s in v["timeline"])
            and v
        )
    )
    assert view["timeline"][-1]["note"] == "回访评价（电话回访，工作人员记录）：满意"
    assert "rate" in view["allowed_actions"]  # the resident may still rate online
    figures = eventually(figures_reach(platform, followed_up=1))
    assert figures["follow_up_ratings"]["satisfied"] == 1
    assert figures["follow_up_satisfaction_rate"]["rate"] == 1.0
    assert figures["rated"] == 0  # never blended into the residents' own ratings

    # --- Story 2: supervision, its escalation, and a return for redo. ---
    urged, urged_code = handled_case(platform, "菜市场旁的排水沟堵了，一下雨就淹")
    refused = platform.post(
        "routing",
        f"/v1/staff/cases/{urged}/supervisions",
        json={"reason": "自己督办自己", "deadline": "2030-01-01"},
        headers=staff,
    )
    assert refused.status_code == 403
    today = datetime.now(SHANGHAI).date().isoformat()
    with workbench(platform, "city-supervisor") as pages:
        page = pages.get(f"/staff/cases/{urged}")
        assert 'action="/staff/cases/' + urged + '/supervisions"' in page.text
        posted = pages.post(
            f"/staff/cases/{urged}/supervisions",
            data={"csrf": csrf_of(page), "reason": "群众反映强烈，请今天内答复", "deadline": today},
        )
        assert posted.status_code == 303, posted.text
        assert "督办中" in pages.get(posted.headers["location"]).text
    soon = datetime.now(UTC) + timedelta(seconds=3)
    second = platform.post(
        "routing",
        f"/v1/staff/cases/{urged}/supervisions",
        json={"reason": "再次督办：请立即处理", "deadline": soon.isoformat()},
        headers=supervisor,
    )
    assert second.status_code == 201, second.text
    assert [s["outcome"] for s in second.json()["supervisions"]] == ["pending", "pending"]
    queue = platform.get("routing", "/v1/staff/cases").json()
    rows = queue["items"] if isinstance(queue, dict) else queue
    assert next(r for r in rows if r["case_id"] == urged)["supervised"] is True

    supervised_title = "【督办】意见建议被督办"
    overdue_title = "【督办超期】意见建议逾期未答复"
    for recipient in ("station_head:xijie", "representative:0412"):
        expected = [supervised_title, supervised_title, overdue_title]
        eventually(inbox_has(platform, recipient, urged, expected), timeout_s=30)
    escalated = staff_case(platform, staff, urged).json()
    assert [s["escalated"] for s in escalated["supervisions"]] == [False, True]
    assert [a["action"] for a in escalated["audit"]].count("escalate_supervision") == 1
    overdue = next(a for a in escalated["audit"] if a["action"] == "escalate_supervision")
    assert overdue["note"] is None and set(overdue["detail"]) == {"due_at"}

    assert act(platform, staff, urged, "respond", response="排水沟已疏通。").status_code == 200
    assert act(platform, staff, urged, "return", reason="我来退回").status_code == 403
    with workbench(platform, "city-supervisor") as pages:  # the return form on the case page
        page = pages.get(f"/staff/cases/{urged}")
        version = staff_case(platform, supervisor, urged).json()["version"]
        back = pages.post(
            f"/staff/cases/{urged}/actions/return",
            data={
                "csrf": csrf_of(page),
                "version": str(version),
                "reason": "答复未说明防汛长效措施",
            },
        )
        assert back.status_code == 303, back.text
    returned = staff_case(platform, supervisor, urged).json()
    assert returned["status"] == "handling"
    assert [s["outcome"] for s in returned["supervisions"]] == ["met", "missed"]
    assert returned["audit"][-1]["note"] == "答复未说明防汛长效措施"
    eventually(inbox_has(platform, "station:xijie", urged, ["【退回重办】答复被退回"]))
    view = eventually(
        lambda: (v := resident_view(platform, urged_code)) and v["status"] == "handling" and v
    )
    assert view["timeline"][-1]["note"] == "答复经督办退回，正在重新办理"
    assert all("督办事由" not in (s["note"] or "") for s in view["timeline"])

    figures = eventually(
        figures_reach(
            platform,
            supervised=2,
            supervised_cases=1,
            supervision_met=1,
            supervision_missed=1,
            returned=1,
        )
    )
    assert figures["followed_up"] == 1
    city = platform.get("reporting", "/v1/reports/city").json()["city"]
    assert (city["supervised"], city["returned"], city["followed_up"]) == (2, 1, 1)
    export = platform.get("reporting", "/v1/reports/stations.csv")
    assert export.status_code == 200
    assert "退回重办 (returned for redo)" in export.text
