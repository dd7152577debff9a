"""The plain form's liaison point (`/new`), across the four services as processes: a resident
without the page's script says where the problem is by choosing a point, so "check for similar
cases first" finds the open cases there, and the case is stored and routed with that point; a
point the directory lacks is a field message, not an error page."""

from __future__ import annotations

import html
import uuid
from typing import Any

import httpx
import pytest

from tests.e2e.platform import Platform, eventually, sign_in, staff_case
from tests.e2e.test_case_flow import assigned, submit

OPEN_TEXT = "河星村桥洞下雨天积水很深，电动车推不过去"
DRAFT = "河星村桥洞一下雨就积水很深，电动车过不去"
UNKNOWN_POINT = "本联络点不存在"  # in Chinese: not even a well-formed id


@pytest.fixture
def platform(shared_platform: Platform) -> Platform:
    return shared_platform


def form(**fields: str) -> dict[str, str]:
    return {
        "category": "drainage",
        "text": DRAFT,
        "submission_id": f"page:{uuid.uuid4().hex}",
        **fields,
    }


def page_text(response: httpx.Response) -> str:
    return html.unescape(response.text)


def staff_case_with_text(
    platform: Platform, staff: dict[str, str], text: str
) -> dict[str, Any] | None:
    """The station's case with this text, as staff read it (the resident's view has no id)."""
    listed = httpx.get(
        platform.url("routing", "/v1/staff/cases"),
        params={"station": "xijie", "limit": 500},
        headers=staff,
        timeout=10,
    )
    assert listed.status_code == 200, listed.text
    for summary in listed.json():
        detail: dict[str, Any] = staff_case(platform, staff, summary["case_id"]).json()
        if detail["text"] == text:
            return detail
    return None


def test_the_plain_form_offers_the_points_by_station_and_the_qr_form_does_not(
    platform: Platform,
) -> None:
    page = platform.get("intake", "/new")
    assert page.status_code == 200
    text = page_text(page)
    assert '<select id="liaison_point_id" name="liaison_point_id"' in text
    assert 'aria-describedby="liaison_point_id-hint"' in text
    assert '<option value="">不确定，由平台分派</option>' in text
    assert '<optgroup label="西街街道人大代表联络站">' in text
    assert '<option value="hexing">河星村人大联络点</option>' in text
    assert text.index('label="剑池街道人大代表联络站"') < text.index(
        'label="西街街道人大代表联络站"'
    )
    qr = platform.get("intake", "/r/0412")
    assert qr.status_code == 200 and 'name="liaison_point_id"' not in qr.text


def test_without_the_script_a_chosen_point_finds_the_open_case_there(
    platform: Platform,
) -> None:
    case = submit(
        platform, {"category": "drainage", "text": OPEN_TEXT, "liaison_point_id": "hexing"}
    )
    eventually(lambda: assigned(platform, case["tracking_code"]), timeout_s=15)

    typed = form(liaison_point_id="hexing", place="桥洞")
    checked = platform.post("intake", "/new/similar", data=typed)

    assert checked.status_code == 200, checked.text
    text = page_text(checked)
    assert f'id="similar-{case["case_id"]}"' in text
    assert "河星村人大联络点 · " in text  # the suggestion names the point
    assert f'formaction="/new/similar/{case["case_id"]}"' in text
    assert '<option value="hexing" selected>' in text  # the choice is kept
    assert f">{DRAFT}</textarea>" in text and 'value="桥洞"' in text
    # Without a point (and without the script's location) the draft says nowhere.
    nowhere = platform.post("intake", "/new/similar", data=form())
    assert nowhere.status_code == 200 and 'id="similar-none"' in nowhere.text


def test_a_case_sent_from_the_plain_form_keeps_its_chosen_point(platform: Platform) -> None:
    text = f"河星村村口路灯坏了一个星期，晚上很黑 {uuid.uuid4().hex[:6]}"
    sent = platform.post(
        "intake", "/new", data=form(category="other", text=text, liaison_point_id="hexing")
    )

    assert sent.status_code == 303, sent.text
    code = sent.headers["location"].removeprefix("/t/").removesuffix("?new=1")
    view = eventually(lambda: assigned(platform, code), timeout_s=15)
    assert view["station"]["id"] == "xijie"  # the point's station
    staff = sign_in(platform, "xijie-staff")
    routed = eventually(lambda: staff_case_with_text(platform, staff, text))
    assert routed["liaison_point_id"] == "hexing"
    assert routed["channel"] == "web"


def test_an_unknown_point_is_a_message_on_the_point_field(platform: Platform) -> None:
    for path, point in (
        ("/new", UNKNOWN_POINT),
        ("/new", "closed_point"),
        ("/new/similar", UNKNOWN_POINT),
        ("/new/similar", "closed_point"),
    ):
        refused = platform.post("intake", path, data=form(liaison_point_id=point))

        assert refused.status_code == 422, (path, point, refused.text)
        text = page_text(refused)
        assert 'id="liaison_point_id-error"' in text
        assert 'aria-describedby="liaison_point_id-hint liaison_point_id-error"' in text
        assert '<a href="#liaison_point_id">' in text  # in the summary, linking to the field
        message = "这个联络点不存在或已停用" if point == "closed_point" else "请从列表中选择联络点"
        assert message in text
        assert f">{DRAFT}</textarea>" in text  # the rest is kept as typed
