"""From opinion to formal suggestion (代表建议), through the four services as processes: two
residents' cases → their representative opens the form from a case page's button and submits a
suggestion linking both, with a co-signer → both residents are told (notify's inbox and intake's
tracking page) → the department answers on the suggestion's page → the residents read the
answer → the representative evaluates on the page → the list's filters, the list page and the
CSV and XLSX exports show it, and another station's staff do not see it."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from tests.e2e.platform import Platform, eventually, sign_in
from tests.e2e.test_case_flow import QR_CASE, assigned, resident_view, submit
from tests.e2e.test_followup_and_supervision import csrf_of, workbench

TITLE = "关于老城区增设公共停车位的建议"


@pytest.fixture(scope="module")
def platform(_module_platform: Platform) -> Platform:
    """The four services, started once for the module."""
    return _module_platform


def call(
    platform: Platform, method: str, path: str, headers: dict[str, str], **kwargs: Any
) -> httpx.Response:
    return httpx.request(
        method, platform.url("routing", path), headers=headers, timeout=10, **kwargs
    )


def steps(platform: Platform, tracking_code: str) -> list[str]:
    return [step["note"] or "" for step in resident_view(platform, tracking_code)["timeline"]]


def told(platform: Platform, case_id: str, title: str) -> bool:
    inbox = platform.get("notify", f"/v1/inbox/case:{case_id}").json()
    return any(m["title"] == title for m in inbox["messages"])


def test_a_representative_turns_two_cases_into_an_answered_and_evaluated_suggestion(
    platform: Platform,
) -> None:
    receipts = [
        submit(platform, {**QR_CASE, "text": text})
        for text in ("老城区晚上停车位不够", "西街菜市场附近乱停车严重")
    ]
    for receipt in receipts:
        eventually(lambda r=receipt: assigned(platform, r["tracking_code"]))
    case_ids = [r["case_id"] for r in receipts]

    lead = sign_in(platform, "rep-0412")
    # On the workbench: the case page's button opens the form with that case linked.
    with workbench(platform, "rep-0412") as pages:
        case_page = pages.get(f"/staff/cases/{case_ids[0]}")
        button = f"/staff/suggestions/new?case_id={case_ids[0]}"
        assert button in case_page.text
        form = pages.get(button)
        assert case_ids[0] in form.text
        posted = pages.post(
            "/staff/suggestions",
            data={
                "csrf": csrf_of(form),
                "title": TITLE,
                "body": "老城区停车位缺口大，建议利用闲置地块建设立体停车场。",
                "case_ids": "\n".join(case_ids),
                "cosigners": "0413",
                "department_id": "housing",
                "answer_due": "",
            },
        )
        assert posted.status_code == 303, posted.text
        shown = pages.get(posted.headers["location"])
        assert TITLE in shown.text and "代表建议已提交" in shown.text
    suggestion_id = posted.headers["location"].split("/")[-1].split("?")[0]
    suggestion = call(platform, "GET", f"/v1/suggestions/{suggestion_id}", lead).json()
    assert suggestion["status"] == "submitted"
    assert suggestion["number"].endswith("-001")
    assert suggestion["cosigners"] == ["0413"]
    assert suggestion["case_ids"] == case_ids
    path = f"/v1/suggestions/{suggestion['suggestion_id']}"

    # Both residents are told, in their inbox and on the tracking page.
    for receipt in receipts:
        code, case_id = receipt["tracking_code"], receipt["case_id"]
        eventually(lambda c=code: f"已形成代表建议：{TITLE}" in steps(platform, c))
        eventually(lambda c=case_id: told(platform, c, "您的意见建议已形成代表建议"))

    # The co-signer reads it; another station's staff are told it does not exist.
    assert call(platform, "GET", path, sign_in(platform, "rep-0413")).status_code == 200
    assert call(platform, "GET", path, sign_in(platform, "jianchi-staff")).status_code == 404

    department = sign_in(platform, "housing-handler")
    reply = "已列入明年城建计划，新增立体停车位300个。"
    # The department answers on the suggestion's page.
    with workbench(platform, "housing-handler") as pages:
        page = pages.get(f"/staff/suggestions/{suggestion_id}")
        assert f'action="/staff/suggestions/{suggestion_id}/answer"' in page.text
        sent = pages.post(
            f"/staff/suggestions/{suggestion_id}/answer",
            data={"csrf": csrf_of(page), "answer": reply},
        )
        assert sent.status_code == 303, sent.text
    answered = call(platform, "GET", path, department)
    assert answered.json()["status"] == "answered"
    assert answered.json()["allowed_actions"] == []
    assert (
        call(platform, "POST", path + "/answer", department, json={"answer": reply}).status_code
        == 409
    )
    for receipt in receipts:
        code, case_id = receipt["tracking_code"], receipt["case_id"]
        eventually(lambda c=code: any(reply in s for s in steps(platform, c)))
        eventually(lambda c=case_id: told(platform, c, "代表建议已获答复"))

    with workbench(platform, "rep-0412") as pages:
        page = pages.get(f"/staff/suggestions/{suggestion_id}")
        assert reply in page.text
        rated = pages.post(
            f"/staff/suggestions/{suggestion_id}/evaluation",
            data={
                "csrf": csrf_of(page),
                "rating": "basically_satisfied",
                "comment": "请公布建设时间表",
            },
        )
        assert rated.status_code == 303, rated.text
    assert call(platform, "GET", path, lead).json()["status"] == "evaluated"

    supervisor = sign_in(platform, "city-supervisor")
    listed = call(
        platform,
        "GET",
        "/v1/suggestions",
        supervisor,
        params={"status": "evaluated", "department": "housing"},
    )
    assert [s["suggestion_id"] for s in listed.json()] == [suggestion["suggestion_id"]]
    none = call(platform, "GET", "/v1/suggestions", supervisor, params={"overdue": "true"})
    assert none.json() == []
    mine = call(platform, "GET", "/v1/suggestions", sign_in(platform, "rep-0413"))
    assert [s["number"] for s in mine.json()] == [suggestion["number"]]

    with workbench(platform, "city-supervisor") as pages:
        listed_page = pages.get("/staff/suggestions", params={"status": "evaluated"})
        assert suggestion["number"] in listed_page.text and TITLE in listed_page.text
        empty_page = pages.get("/staff/suggestions", params={"status": "submitted"})
        assert TITLE not in empty_page.text

    export = call(
        platform, "GET", "/v1/suggestions/export.csv", supervisor, params={"status": "evaluated"}
    )
    assert export.status_code == 200
    rows = list(csv.DictReader(io.StringIO(export.text.lstrip("\ufeff"))))
    workbook = call(platform, "GET", "/v1/suggestions/export.xlsx", supervisor)
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    assert sheet is not None and sheet["A2"].value == suggestion["number"]
    assert [(r["number"], r["title"], r["rating"]) for r in rows] == [
        (suggestion["number"], TITLE, "basically_satisfied")
    ]
