"""A representative's duty record (履职档案) end to end: the four services as processes, a case
for representative 0412 submitted on their QR code, accepted, answered and rated; the record
then counts it for them (received 1, accepted 1, answered 1, satisfaction 1/1 with its Wilson
interval), their own page shows it with the export links, and the public page — reached from
the QR page's "履职档案" link — shows the counts without the satisfaction rate (one rating is
too few to publish) or the times. Both pages pass the axe check."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import Page

from tests.browser.browser import capture
from tests.browser.site import running_platform
from tests.e2e.platform import Platform, act, eventually, sign_in
from tests.e2e.test_case_flow import QR_CASE, assigned, submit
from tests.infra import Infra

RECORD = "/v1/reports/representatives/0412/record"


@pytest.fixture(scope="module")
async def platform(infra: Infra) -> AsyncIterator[Platform]:
    async with running_platform(infra) as running:
        yield running


def _answered_and_rated(platform: Platform) -> dict[str, Any]:
    """The case through its loop; returns 0412's record once reporting counted the rating."""
    rep = sign_in(platform, "rep-0412")
    staff = sign_in(platform, "xijie-staff")
    receipt = submit(platform, {**QR_CASE, "text": "小区门口路灯坏了，晚上看不清路"})
    eventually(lambda: assigned(platform, receipt["tracking_code"]), timeout_s=20)
    case_id, code = receipt["case_id"], receipt["tracking_code"]
    for action, body in (
        ("accept", {}),
        ("approve", {}),
        ("respond", {"response": "已联系物业修复路灯。"}),
        ("close", {}),
    ):
        answer = act(platform, rep if action == "accept" else staff, case_id, action, **body)
        assert answer.status_code == 200, answer.text
    eventually(lambda: platform.get("intake", f"/v1/cases/{code}").json()["status"] == "closed")
    rated = platform.post("intake", f"/v1/cases/{code}/rating", json={"rating": "satisfied"})
    assert rated.status_code == 202, rated.text

    def counted() -> dict[str, Any] | None:
        record: dict[str, Any] = platform.get("reporting", RECORD, headers=rep).json()
        return record if record.get("rated") == 1 else None

    found: dict[str, Any] = eventually(counted, timeout_s=30)
    return found


async def test_a_representatives_record_counts_their_case_and_the_public_sees_only_counts(
    platform: Platform, desktop: Page
) -> None:
    record = await asyncio.to_thread(_answered_and_rated, platform)

    assert (record["received"], record["accepted"], record["answered"]) == (1, 1, 1)
    satisfaction = record["satisfaction_rate"]
    assert (satisfaction["successes"], satisfaction["sample"], satisfaction["rate"]) == (1, 1, 1.0)
    assert satisfaction["low"] == pytest.approx(0.2065, abs=1e-4)  # Wilson 95% of 1/1
    assert satisfaction["high"] == 1.0
    assert record["time_to_respond"]["count"] == 1
    public = platform.get("reporting", "/v1/public/representatives/0412/record").json()
    assert (public["received"], public["accepted"], public["answered"], public["rated"]) == (
        1,
        1,
        1,
        1,
    )
    assert public["satisfaction_rate"] is None and public["satisfaction_withheld"] is True
    assert not {"time_to_respond", "declined", "ratings", "followed_up"} & set(public)

    # The resident's QR page links to the public record.
    await desktop.goto(platform.url("intake", "/r/0412"))
    await desktop.click("#duty-record-link")
    await desktop.wait_for_url("**/transparency/representatives/0412")
    assert await desktop.locator("tr[data-figure='received'] td").inner_text() == "1"
    assert (
        "评价少于 5 件" in await desktop.locator("tr[data-figure='satisfaction'] td").inner_text()
    )
    assert await desktop.locator("tr[data-figure='time-to-respond']").count() == 0
    assert await desktop.locator("#exports").count() == 0
    await capture(desktop, "duty-record-public")

    # The representative's own page: the whole record, and the files for the annual report.
    token = sign_in(platform, "rep-0412")["Authorization"].removeprefix("Bearer ")
    await desktop.context.add_cookies(
        [{"name": "minyi_session", "value": token, "url": platform.url("reporting", "/")}]
    )
    await desktop.goto(platform.url("reporting", "/representatives/0412/record"))
    assert await desktop.locator("tr[data-figure='answered'] td").inner_text() == "1"
    assert "样本 1" in await desktop.locator("tr[data-figure='satisfaction'] td").inner_text()
    links = await desktop.locator("#exports a").evaluate_all("as => as.map(a => a.href)")
    assert [link.split("?")[0].rsplit(".", 1)[1] for link in links] == ["csv", "xlsx"]
    await capture(desktop, "duty-record-staff")
