"""A case across the four services as processes: intake → routing → notify → reporting."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tests.e2e.platform import Platform, eventually, sign_in, staff_case

QR_CASE = {
    "category": "parking",
    "text": "小区里要增加一些停车位，晚上车停不下",
    "channel": "qr",
    "representative_code": "0412",
}


def submit(platform: Platform, body: dict[str, Any], **headers: str) -> dict[str, Any]:
    response = platform.post("intake", "/v1/cases", json=body, headers=headers)
    assert response.status_code == 202, response.text
    receipt: dict[str, Any] = response.json()
    return receipt


def resident_view(platform: Platform, tracking_code: str) -> dict[str, Any]:
    response = platform.get("intake", f"/v1/cases/{tracking_code}")
    assert response.status_code == 200, response.text
    view: dict[str, Any] = response.json()
    return view


def assigned(platform: Platform, tracking_code: str) -> dict[str, Any] | None:
    view = resident_view(platform, tracking_code)
    return view if view["status"] == "assigned" else None


def station_figures(platform: Platform, station_id: str) -> dict[str, Any] | None:
    report = platform.get("reporting", "/v1/reports/stations").json()
    return next((s for s in report["stations"] if s["station_id"] == station_id), None)


@pytest.fixture
def platform(shared_platform: Platform) -> Platform:
    """The module's tests share one platform: what they count, they count from before."""
    return shared_platform


def city_figures(platform: Platform) -> dict[str, Any]:
    city: dict[str, Any] = platform.get("reporting", "/v1/reports/city").json()["city"]
    return city


def inbox_of(platform: Platform, recipient: str, case_ids: set[str]) -> list[dict[str, Any]]:
    """The recipient's messages about these cases."""
    inbox = platform.get("notify", f"/v1/inbox/{recipient}", limit=200).json()
    return [m for m in inbox["messages"] if m["case_id"] in case_ids]


def test_a_qr_submission_is_assigned_notified_and_counted(platform: Platform) -> None:
    xijie_before = station_figures(platform, "xijie") or {"assigned": 0, "by_category": {}}
    city_before = city_figures(platform)
    receipt = submit(platform, QR_CASE, **{"X-Request-ID": "e2e-qr-1"})
    assert receipt["status"] == "submitted"

    view = eventually(lambda: assigned(platform, receipt["tracking_code"]), timeout_s=15)
    assert view["station"] == {"id": "xijie", "name": "西街街道人大代表联络站"}
    assert view["representative"] == {"code": "0412", "name": "张献平"}
    assert [step["status"] for step in view["timeline"]] == ["submitted", "assigned"]

    staff = sign_in(platform, "xijie-staff")
    routed = staff_case(platform, staff, receipt["case_id"]).json()
    assert routed["reason"] == "qr: representative 0412"
    assert routed["representative_code"] == "0412"
    assert routed["text"] == QR_CASE["text"]

    inbox = eventually(
        lambda: inbox_of(platform, "representative:0412", {receipt["case_id"]}), timeout_s=30
    )
    assert [m["case_id"] for m in inbox] == [receipt["case_id"]]
    assert "qr: representative 0412" in inbox[0]["body"]

    figures = eventually(
        lambda: (
            ((f := station_figures(platform, "xijie")) and f["assigned"] > xijie_before["assigned"])
            and f
        )
    )
    assert figures["assigned"] == xijie_before["assigned"] + 1
    assert figures["by_category"] == dict(
        Counter(xijie_before["by_category"]) + Counter({"parking": 1})
    )
    city = city_figures(platform)
    assert city["received"] == city_before["received"] + 1
    assert city["by_channel"] == dict(Counter(city_before["by_channel"]) + Counter({"qr": 1}))

    # The request id travelled with the events into every service's log.
    for service in ("intake", "routing", "notify"):
        assert _logged(platform, service, "e2e-qr-1"), service


def _logged(platform: Platform, service: str, text: str) -> bool:
    with open(platform.logs[service].name, "rb") as log:
        return text.encode() in log.read()


def test_a_case_for_a_liaison_point_goes_to_its_service_group(platform: Platform) -> None:
    receipt = submit(
        platform,
        {
            "category": "drainage",
            "text": "河星村下雨天排水不畅，路面积水",
            "liaison_point_id": "hexing",
        },
    )
    view = eventually(lambda: assigned(platform, receipt["tracking_code"]), timeout_s=15)
    # 周建国 (0415) is the drainage specialist of 河星村's group.
    assert view["representative"]["code"] == "0415"
    routed = staff_case(platform, sign_in(platform, "xijie-staff"), receipt["case_id"]).json()
    assert routed["reason"].startswith("point 河星村人大联络点, drainage specialist")


def test_cases_submitted_while_routing_is_down_are_assigned_once_it_is_back(
    platform: Platform,
) -> None:
    before = station_figures(platform, "xijie") or {"assigned": 0, "to_representative": 0}
    unread_before = platform.get("notify", "/v1/inbox/representative:0412").json()["unread"]
    platform.stop("routing")
    receipts = [
        submit(platform, {**QR_CASE, "text": f"第{i}个停车问题，请代表关注"}) for i in range(5)
    ]
    assert all(
        resident_view(platform, r["tracking_code"])["status"] == "submitted" for r in receipts
    )

    platform.start("routing")
    for receipt in receipts:
        eventually(lambda r=receipt: assigned(platform, r["tracking_code"]), timeout_s=30)
    figures = eventually(
        lambda: (
            ((f := station_figures(platform, "xijie")) and f["assigned"] == before["assigned"] + 5)
            and f
        )
    )
    assert figures["to_representative"] == before["to_representative"] + 5
    unread = eventually(
        lambda: (
            (
                (n := platform.get("notify", "/v1/inbox/representative:0412").json()["unread"])
                >= unread_before + 5
            )
            and n
        )
    )
    assert unread == unread_before + 5


def test_a_killed_intake_loses_no_accepted_submission_and_duplicates_none(
    platform: Platform,
) -> None:
    xijie_before = station_figures(platform, "xijie") or {"assigned": 0}
    city_before = city_figures(platform)
    receipts = [
        submit(platform, {**QR_CASE, "text": f"第{i}件：车棚需要充电桩"}) for i in range(20)
    ]
    platform.stop("intake", kill=True)  # SIGKILL: no graceful flush of anything
    platform.start("intake")
    for receipt in receipts:
        eventually(lambda r=receipt: assigned(platform, r["tracking_code"]), timeout_s=30)
    figures = eventually(
        lambda: (
            (
                (f := station_figures(platform, "xijie"))
                and f["assigned"] == xijie_before["assigned"] + 20
            )
            and f
        )
    )
    assert figures["assigned"] == xijie_before["assigned"] + 20
    city = eventually(
        lambda: (
            (c := city_figures(platform)) and c["received"] == city_before["received"] + 20 and c
        )
    )
    assert city["assigned"] == city_before["assigned"] + 20
    messages = inbox_of(platform, "representative:0412", {r["case_id"] for r in receipts})
    assert len(messages) == 20
    assert len({m["case_id"] for m in messages}) == 20


def test_intake_validates_against_its_directory_copy_even_while_routing_is_down(
    platform: Platform,
) -> None:
    def refuses_unknown_category() -> bool:
        response = platform.post("intake", "/v1/cases", json={**QR_CASE, "category": "ufo"})
        return response.status_code == 422 and response.json()["detail"][0]["field"] == "category"

    eventually(refuses_unknown_category, timeout_s=20)
    platform.stop("routing")
    assert refuses_unknown_category()
    unknown_rep = platform.post(
        "intake", "/v1/cases", json={**QR_CASE, "representative_code": "9999"}
    )
    assert unknown_rep.status_code == 422
    assert unknown_rep.json()["detail"][0]["field"] == "representative_code"
    assert submit(platform, QR_CASE)["status"] == "submitted"


def test_an_open311_client_posts_a_request_and_follows_it_to_its_station(
    platform: Platform,
) -> None:
    def post() -> Any:
        response = platform.post(
            "intake",
            "/open311/v2/requests.json",
            data={
                "api_key": "demo-open311-key",
                "service_code": "drainage",
                "description": "河星村村口排水沟堵塞，下雨积水",
                "lat": "28.0691",
                "long": "119.1299",
            },
        )
        return response.json() if response.status_code == 200 else None

    created = eventually(post, timeout_s=20)  # once intake's directory copy has categories
    request_id = created[0]["service_request_id"]

    # Posted without attribute[may_publish]: the partner follows it with its key, the public
    # does not see it.
    partner = {"api_key": "demo-open311-key"}

    def followed() -> Any:
        path = f"/open311/v2/requests/{request_id}.json"
        found = platform.get("intake", path, **partner).json()[0]
        return found if found["agency_responsible"] else None

    found = eventually(followed, timeout_s=20)
    assert found["status"] == "open"
    assert found["service_code"] == "drainage"
    assert found["agency_responsible"] == "西街街道人大代表联络站"
    public = platform.get("intake", f"/open311/v2/requests/{request_id}.json")
    assert public.status_code == 404
    xml = platform.get("intake", f"/open311/v2/requests/{request_id}.xml", **partner)
    assert xml.headers["content-type"].startswith("text/xml")
    assert f"<service_request_id>{request_id}</service_request_id>" in xml.text
