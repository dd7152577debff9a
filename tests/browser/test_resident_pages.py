"""The resident's pages on a phone, against intake and routing running as processes: the QR
landing form, the confirmation, the tracking page, rating and reopening, and their errors."""

from __future__ import annotations

import os
import re
import struct
import uuid
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from playwright.async_api import FilePayload, Page

from services.intake.domain.attachments import MAX_ATTACHMENT_BYTES
from services.intake.web.qr import qr_png
from tests.browser.browser import capture
from tests.browser.site import running_platform, until
from tests.e2e.platform import Platform, act, sign_in
from tests.infra import Infra

pytestmark = pytest.mark.e2e

REP = "0412"  # 张献平, municipal deputy at 西街 (services/routing/demo_directory.yaml)
PHOTO = qr_png("https://minyi.example.cn/photo", scale=4)  # any real PNG will do


@pytest.fixture(scope="module")
async def site(infra: Infra) -> AsyncIterator[Platform]:
    """intake and routing only: the resident's pages need nothing else, and two processes
    start faster than four."""
    async with running_platform(infra, ("intake", "routing")) as running:
        # The form needs intake's copy of the directory, which routing publishes on start.
        await until(lambda: _ok(running.get("intake", f"/r/{REP}")), timeout_s=30)
        yield running


def noisy_png(width: int, height: int) -> bytes:
    """A PNG of random pixels: it does not compress, so it is as big as a camera photo."""
    rows = b"".join(b"\x00" + os.urandom(width * 3) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 1))
        + chunk(b"IEND", b"")
    )


def _ok(response: httpx.Response) -> bool:
    return response.status_code == 200


def case_view(site: Platform, code: str) -> dict[str, Any]:
    response = site.get("intake", f"/v1/cases/{code}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def with_status(site: Platform, code: str, status: str) -> dict[str, Any] | None:
    view = case_view(site, code)
    return view if view["status"] == status else None


async def posted(page: Page, submit: Callable[[], Awaitable[None]]) -> int:
    """The status of the form POST that `submit` causes (before any redirect is followed)."""
    # The form's own POST: the page's script also POSTs drafts to /v1/cases/similar.
    async with page.expect_response(
        lambda r: r.request.method == "POST" and "/v1/" not in r.url
    ) as info:
        await submit()
    response = await info.value
    await page.wait_for_load_state()
    return response.status


async def test_a_resident_scans_a_qr_code_submits_with_a_photo_and_follows_the_case(
    site: Platform, phone: Page
) -> None:
    response = await phone.goto(site.url("intake", f"/r/{REP}"))
    assert response is not None and response.status == 200
    addressee = await phone.inner_text(".addressee")
    assert "张献平" in addressee
    assert "市人大代表" in addressee
    assert "西街街道人大代表联络站" in addressee
    await capture(phone, "resident-form")

    await phone.get_by_label("停车位").check()
    await phone.get_by_label("您的意见建议", exact=True).fill(
        "小区东门外晚上乱停车，消防通道经常被堵。"
    )
    await phone.locator("#photos").set_input_files(
        FilePayload(name="east-gate.png", mimeType="image/png", buffer=PHOTO)
    )
    await phone.locator("#photo-previews img").first.wait_for()
    await phone.get_by_label("地点（可选）").fill("白云社区东门")
    await phone.get_by_label("称呼").fill("王阿姨")
    await phone.get_by_label("手机号码").fill("+86 138 0000 1234")
    await phone.get_by_label(re.compile("我同意联络站")).check()
    status = await posted(phone, phone.get_by_role("button", name="提交").click)
    assert status == 303

    assert re.search(r"/t/MY-[0-9A-Z]{26}\?new=1$", phone.url), phone.url
    assert await phone.inner_text("h1") == "提交成功"
    code = await phone.get_attribute("#tracking-code", "data-code")
    assert code is not None
    assert (await phone.inner_text("#tracking-code")).replace(" ", "") == code
    qr = phone.get_by_role("img", name=re.compile("二维码"))
    assert (await qr.get_attribute("src") or "").startswith("data:image/svg+xml;base64,")
    await capture(phone, "resident-confirmation")

    # What was stored is what the resident typed, through the same handler as the JSON API.
    view = case_view(site, code)
    assert view["channel"] == "qr"
    assert view["representative"] is None or view["representative"]["code"] == REP
    assert view["text"] == "小区东门外晚上乱停车，消防通道经常被堵。\n\n地点：白云社区东门"
    assert [a["content_type"] for a in view["attachments"]] == ["image/png"]
    assert "王阿姨" not in str(view)

    assigned = await until(lambda: with_status(site, code, "assigned"))
    assert assigned["representative"] == {"code": REP, "name": "张献平"}
    await phone.goto(site.url("intake", f"/t/{code}"))
    assert await phone.inner_text("h1") == "办理进度"
    assert await phone.inner_text("#case-status") == "已分派"
    timeline = await phone.inner_text("#timeline")
    assert "已提交" in timeline
    assert "西街街道人大代表联络站 · 张献平" in timeline
    photo = phone.get_by_role("img", name="照片 1")
    assert await photo.evaluate("(img) => img.complete && img.naturalWidth > 0")
    await capture(phone, "resident-tracking")

    await phone.get_by_role("link", name="Switch to English").click()
    await phone.wait_for_load_state()
    assert await phone.inner_text("h1") == "Progress"
    assert await phone.inner_text("#case-status") == "Assigned"
    assert "Xijie Subdistrict Representative Liaison Station" in await phone.inner_text(".facts")
    assert await phone.get_attribute("html", "lang") == "en"
    await capture(phone, "resident-tracking-en")


async def test_a_refused_form_comes_back_with_messages_next_to_the_fields(
    site: Platform, phone: Page
) -> None:
    await phone.goto(site.url("intake", f"/r/{REP}"))
    status = await posted(phone, phone.get_by_role("button", name="提交").click)
    assert status == 422
    assert await phone.inner_text("#text-error") == "请写下您的意见建议"
    assert await phone.get_attribute("#text", "aria-invalid") == "true"
    assert "text-error" in (await phone.get_attribute("#text", "aria-describedby") or "")
    assert await phone.inner_text("#category-error") == "请选择一个类别"
    summary = await phone.inner_text("#error-summary")
    assert "请修改以下问题" in summary and "请写下您的意见建议" in summary
    assert await phone.evaluate("document.activeElement.id") == "error-summary"
    await capture(phone, "resident-form-errors")

    # Contact details without consent: refused, and everything typed is still there.
    await phone.get_by_label("排水防涝").check()
    await phone.get_by_label("您的意见建议", exact=True).fill("下大雨时桥洞积水很深")
    await phone.get_by_label("手机号码").fill("138-0000-1234")
    status = await posted(phone, phone.get_by_role("button", name="提交").click)
    assert status == 422
    assert await phone.inner_text("#consent-error") == "留下联系方式时，请勾选同意"
    assert await phone.input_value("#text") == "下大雨时桥洞积水很深"
    assert await phone.input_value("#contact_phone") == "138-0000-1234"
    assert await phone.is_checked("#category-drainage")
    assert await phone.locator("#text-error").count() == 0


async def test_unknown_codes_get_a_friendly_not_found_page(site: Platform, phone: Page) -> None:
    response = await phone.goto(site.url("intake", "/r/9999"))
    assert response is not None and response.status == 404
    assert await phone.inner_text("h1") == "页面不存在"
    assert await phone.get_by_role("link", name="填写意见建议").is_visible()
    await capture(phone, "resident-not-found")

    response = await phone.goto(site.url("intake", "/t/MY-00000000000000000000000000"))
    assert response is not None and response.status == 404
    assert await phone.inner_text("h1") == "没有找到这件意见建议"
    await phone.get_by_label(re.compile("^查询码")).fill("not a code")
    await phone.get_by_role("button", name="查询").click()
    await phone.wait_for_load_state()
    assert await phone.inner_text("#code-error") == (
        "查询码格式不对：以 MY- 开头，后面是 26 个字母或数字"
    )
    await capture(phone, "resident-lookup-error")


async def test_the_resident_rates_the_answer_and_asks_for_the_case_to_be_handled_again(
    site: Platform, phone: Page
) -> None:
    receipt = site.post(
        "intake",
        "/v1/cases",
        json={
            "category": "parking",
            "text": "小区里要增加一些停车位",
            "channel": "qr",
            "representative_code": REP,
        },
    ).json()
    code, case_id = receipt["tracking_code"], receipt["case_id"]
    await until(lambda: with_status(site, code, "assigned"))
    staff = sign_in(site, "xijie-staff")
    assert act(site, sign_in(site, f"rep-{REP}"), case_id, "accept").status_code == 200
    await until(lambda: with_status(site, code, "accepted"))
    assert act(site, staff, case_id, "approve").status_code == 200
    await until(lambda: with_status(site, code, "handling"))
    answer = "经协调，小区东侧将增设20个停车位，预计下月完工。"
    assert act(site, staff, case_id, "respond", response=answer).status_code == 200
    await until(lambda: with_status(site, code, "responded"))

    # A lower-case code with spaces, as typed, finds the case.
    await phone.goto(site.url("intake", "/t"))
    await phone.get_by_label(re.compile("^查询码")).fill(" " + code.lower()[:10] + " " + code[10:])
    await phone.get_by_role("button", name="查询").click()
    await phone.wait_for_url(re.compile(f"/t/{code}$"))
    assert answer in await phone.inner_text(".answer")
    assert await phone.locator("#reason").count() == 0  # reopening needs a rating first

    status = await posted(phone, phone.get_by_role("button", name="提交评价").click)
    assert status == 422
    assert await phone.inner_text("#rating-error") == "请选择满意程度"
    await phone.get_by_label("不满意").check()
    await phone.get_by_label(re.compile("^补充说明")).fill("车位太少")
    status = await posted(phone, phone.get_by_role("button", name="提交评价").click)
    assert status == 303
    assert await phone.inner_text(".notice") == "感谢您的评价。"
    assert case_view(site, code)["rating"] == "dissatisfied"
    await capture(phone, "resident-rated")

    await phone.get_by_label(re.compile("^重新办理的理由")).fill("太短")
    status = await posted(phone, phone.get_by_role("button", name="申请重新办理").click)
    assert status == 422
    assert await phone.inner_text("#reason-error") == "请写明原因，5 到 1000 字"
    await capture(phone, "resident-reopen-errors")
    await phone.get_by_label(re.compile("^重新办理的理由")).fill("只增加20个车位远远不够，请再协调")
    status = await posted(phone, phone.get_by_role("button", name="申请重新办理").click)
    assert status == 303
    assert await phone.inner_text("#case-status") == "重新办理中"
    assert "申请重新办理：只增加20个车位远远不够，请再协调" in await phone.inner_text("#timeline")
    assert await phone.locator("#reason").count() == 0  # only once
    assert case_view(site, code)["reopen_count"] == 1


async def test_pages_answer_bad_posts_with_pages_not_json(site: Platform) -> None:
    not_an_image = {"photos": ("photo.png", b"this is text, not a picture", "image/png")}
    refused = site.post(
        "intake",
        f"/r/{REP}",
        data={"category": "parking", "text": "路灯坏了很久了"},
        files=not_an_image,
    )
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("text/html")
    assert 'id="photos-error"' in refused.text
    assert "第 1 张照片不能使用" in refused.text
    assert "路灯坏了很久了" in refused.text

    receipt = site.post(
        "intake", "/v1/cases", json={"category": "parking", "text": "还没有答复的意见"}
    ).json()
    too_early = site.post(
        "intake", f"/t/{receipt['tracking_code']}/rating", data={"rating": "satisfied"}
    )
    assert too_early.status_code == 409
    assert "这项操作现在不能进行" in too_early.text

    assert site.get("intake", "/t", code="MY-123").status_code == 422
    missing = site.post("intake", "/t/MY-00000000000000000000000000/reopen", data={"reason": "x"})
    assert missing.status_code == 404
    assert "没有找到这件意见建议" in missing.text


async def test_a_double_submitted_form_stores_one_case(site: Platform) -> None:
    form = {
        "category": "ev_charging",
        "text": "楼下需要电瓶车充电桩",
        "submission_id": "page:" + uuid.uuid4().hex,
    }
    first = site.post("intake", "/new", data=form)
    second = site.post("intake", "/new", data=form)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    code = first.headers["location"].removeprefix("/t/").removesuffix("?new=1")
    assert case_view(site, code)["channel"] == "web"


async def test_a_photo_over_the_limit_is_shrunk_on_the_phone_before_it_is_sent(
    site: Platform, phone: Page
) -> None:
    big = noisy_png(1100, 1000)
    assert len(big) > MAX_ATTACHMENT_BYTES
    await phone.goto(site.url("intake", "/new?lang=en"))
    assert await phone.inner_text("h1") == "Send a suggestion"
    await capture(phone, "resident-form-en")

    await phone.get_by_label("Parking spaces").check()
    await phone.get_by_label("Your suggestion", exact=True).fill("Cars block the fire lane.")
    await phone.locator("#photos").set_input_files(
        FilePayload(name="camera.png", mimeType="image/png", buffer=big)
    )
    await phone.get_by_role("img", name="Photo preview 1").wait_for()
    status = await posted(phone, phone.get_by_role("button", name="Submit").click)
    assert status == 303
    code = await phone.get_attribute("#tracking-code", "data-code")
    assert code is not None
    (photo,) = case_view(site, code)["attachments"]
    assert photo["content_type"] == "image/jpeg"
    assert photo["filename"] == "camera.jpg"
    assert photo["size"] <= MAX_ATTACHMENT_BYTES
    assert case_view(site, code)["channel"] == "web"


async def test_the_resident_answers_the_stations_question_from_the_tracking_page(
    site: Platform,
) -> None:
    receipt = site.post(
        "intake", "/v1/cases", json={"category": "drainage", "text": "下雨时路口积水很深"}
    ).json()
    code, case_id = receipt["tracking_code"], receipt["case_id"]
    await until(lambda: with_status(site, code, "assigned"))
    asked = site.post(
        "routing",
        f"/v1/staff/cases/{case_id}/messages",
        json={"text": "请问是哪个路口？"},
        headers=sign_in(site, "xijie-staff"),
    )
    assert asked.status_code == 200, asked.text
    await until(lambda: "reply" in case_view(site, code)["allowed_actions"])
    page = site.get("intake", f"/t/{code}")
    assert "请问是哪个路口？" in page.text and 'name="reply"' in page.text

    empty = site.post("intake", f"/t/{code}/reply", data={"reply": "  "})
    assert empty.status_code == 422
    assert 'id="reply-error"' in empty.text
    sent = site.post("intake", f"/t/{code}/reply", data={"reply": "龙渊路和剑池路的路口"})
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/t/{code}?done=replied"
    messages = case_view(site, code)["messages"]
    assert [(m["from"], m["text"]) for m in messages] == [
        ("station", "请问是哪个路口？"),
        ("resident", "龙渊路和剑池路的路口"),
    ]
