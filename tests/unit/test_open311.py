"""Open311 GeoReport v2 as intake speaks it: statuses, the POST form, GET filters, XML bodies."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any, get_args

import pytest

from services.intake.open311 import address, errors, from_case, rendering, schemas, to_case
from services.intake.open311.errors import Open311Error
from shared.events.case_events import CaseStatus

NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
FORM = {
    "api_key": "k",
    "service_code": "parking",
    "description": "小区停车位太少，晚上没地方停车。",
    "lat": "28.0752",
    "long": "119.1381",
}


def case_document(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "_id": "c-1",
        "status": "submitted",
        "category": "parking",
        "text": "小区停车位太少。",
        "channel": "web",
        "location": {"lat": 28.0752, "lon": 119.1381},
        "submitted_at": NOW,
        "updated_at": NOW,
        "station": None,
        "representative": None,
        "response": None,
        "timeline": [{"status": "submitted", "at": NOW, "note": None}],
    }
    document.update(changes)
    return document


def descriptions(caught: pytest.ExceptionInfo[Open311Error]) -> list[str]:
    return [e.description for e in caught.value.errors]


# --- statuses ----------------------------------------------------------------------------


@pytest.mark.parametrize("status", get_args(CaseStatus))
def test_only_closed_rejected_and_merged_cases_are_closed(status: CaseStatus) -> None:
    expected = "closed" if status in ("closed", "rejected", "merged") else "open"
    assert from_case.open311_status(status) == expected


def test_the_open_filter_selects_every_status_but_the_closed_ones() -> None:
    assert set(from_case.case_statuses({"closed"})) == {"closed", "rejected", "merged"}
    assert set(from_case.case_statuses({"open"})) | {"closed", "rejected", "merged"} == set(
        get_args(CaseStatus)
    )


def test_status_notes_give_the_answer_once_there_is_one() -> None:
    notes = from_case.status_notes(status="closed", timeline=[], response="已增设 20 个车位")
    assert notes == "已增设 20 个车位"


def test_status_notes_give_the_latest_public_note_else_the_status_label() -> None:
    timeline = [
        {"status": "submitted", "at": NOW, "note": None},
        {"status": "rejected", "at": NOW, "note": "不予受理：不属于联络站职责"},
    ]
    assert from_case.status_notes(status="rejected", timeline=timeline, response=None) == (
        "不予受理：不属于联络站职责"
    )
    assert (
        from_case.status_notes(status="submitted", timeline=timeline[:1], response=None)
        == (from_case.STATUS_LABELS["submitted"])
    )


# --- errors and checks --------------------------------------------------------------------


def test_an_unknown_format_suffix_is_not_found() -> None:
    assert errors.parse_format("json") == "json"
    with pytest.raises(Open311Error) as caught:
        errors.parse_format("csv")
    assert caught.value.status == 404


def test_a_missing_or_wrong_api_key_is_forbidden() -> None:
    errors.check_api_key("good", keys=["other", "good"])
    for given in (None, "", "bad"):
        with pytest.raises(Open311Error) as caught:
            errors.check_api_key(given, keys=["good"])
        assert caught.value.status == 403


def test_jurisdiction_is_optional_but_another_one_is_not_found() -> None:
    errors.check_jurisdiction(None, expected="longquan.minyi")
    errors.check_jurisdiction("longquan.minyi", expected="longquan.minyi")
    with pytest.raises(Open311Error) as caught:
        errors.check_jurisdiction("chicago.il", expected="longquan.minyi")
    assert caught.value.status == 404


def test_errors_render_as_the_specs_errors_body_in_xml_and_json() -> None:
    error = Open311Error(400, "service_code is required", "description is required")
    body = rendering.errors_body(error)

    assert body.data == [
        {"code": 400, "description": "service_code is required"},
        {"code": 400, "description": "description is required"},
    ]
    xml = rendering.to_xml(body)
    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(xml)
    assert root.tag == "errors"
    assert [(e.findtext("code"), e.findtext("description")) for e in root.findall("error")] == [
        ("400", "service_code is required"),
        ("400", "description is required"),
    ]


# --- POST requests ------------------------------------------------------------------------


def test_a_posted_form_becomes_an_open311_submission() -> None:
    command = to_case.command_from_form(
        {
            **FORM,
            "attribute[liaison_point]": "baiyun",
            "attribute[representative_code]": "0412",
            "attribute[colour]": "red",
            "media_url": "http://example.cn/p.jpg",
        }
    )
    assert command.channel == "open311"
    assert command.category == "parking"
    assert command.text == FORM["description"]
    assert command.location is not None
    assert (command.location.lat, command.location.lon) == (28.0752, 119.1381)
    assert command.liaison_point_id == "baiyun"
    assert command.representative_code == "0412"
    assert command.contact is None


def test_publishing_is_off_unless_the_partner_sends_may_publish_true() -> None:
    assert to_case.command_from_form(FORM).may_publish is False
    assert to_case.command_from_form({**FORM, "attribute[may_publish]": "false"}).may_publish is (
        False
    )
    for given in ("true", "TRUE", " true "):
        command = to_case.command_from_form({**FORM, "attribute[may_publish]": given})
        assert command.may_publish is True


def test_a_may_publish_other_than_true_or_false_is_refused() -> None:
    with pytest.raises(Open311Error) as caught:
        to_case.command_from_form({**FORM, "attribute[may_publish]": "yes"})
    assert caught.value.status == 400
    assert descriptions(caught) == ["attribute[may_publish] must be true or false"]


def test_contact_is_kept_only_when_a_phone_or_email_is_given() -> None:
    named = to_case.command_from_form({**FORM, "first_name": "Ying", "last_name": "Lin"})
    assert named.contact is None

    reachable = to_case.command_from_form(
        {**FORM, "first_name": "Ying", "last_name": "Lin", "email": "lin@example.cn"}
    )
    assert reachable.contact is not None
    assert (reachable.contact.name, reachable.contact.email) == ("Ying Lin", "lin@example.cn")


def test_the_address_travels_in_the_text_and_comes_back_apart() -> None:
    form = {k: v for k, v in FORM.items() if k not in ("lat", "long")}
    command = to_case.command_from_form(
        {**form, "address_string": "白云路\n1 号", "address_id": "A-17"}
    )
    assert command.location is None
    assert command.text.startswith(FORM["description"])
    assert address.split_text(command.text) == (FORM["description"], "白云路 1 号", "A-17")


def test_a_text_without_an_address_paragraph_is_all_description() -> None:
    text = "第一段。\n\n第二段，没有地址。"
    assert address.split_text(text) == (text, None, None)


def test_missing_required_fields_are_all_reported() -> None:
    with pytest.raises(Open311Error) as caught:
        to_case.command_from_form({"api_key": "k"})
    assert caught.value.status == 400
    assert descriptions(caught) == [
        "service_code is required",
        "description is required",
        "a location is required: lat and long, address_string or address_id",
    ]


def test_lat_without_long_is_refused() -> None:
    form = {k: v for k, v in FORM.items() if k != "long"}
    with pytest.raises(Open311Error) as caught:
        to_case.command_from_form(form)
    assert descriptions(caught) == ["lat and long must be given together"]


def test_invalid_fields_are_reported_by_their_open311_names() -> None:
    with pytest.raises(Open311Error) as caught:
        to_case.command_from_form(
            {**FORM, "service_code": "no such!", "description": "短", "lat": "north"}
        )
    assert caught.value.status == 400
    named = [d.split(":")[0] for d in descriptions(caught)]
    assert named == ["service_code", "description", "lat"]


def test_a_short_description_is_refused_even_with_an_address() -> None:
    with pytest.raises(Open311Error) as caught:
        to_case.command_from_form({**FORM, "description": "短", "address_string": "白云路 1 号"})
    assert [d.split(":")[0] for d in descriptions(caught)] == ["description"]


def test_an_unknown_reference_names_the_open311_field() -> None:
    error = to_case.unknown_reference("liaison_point_id", "nowhere")
    assert error.status == 400
    assert error.errors[0].description == "attribute[liaison_point] 'nowhere' was not found"
    assert to_case.unknown_reference("category", "x").errors[0].description == (
        "service_code 'x' was not found"
    )


# --- GET requests ------------------------------------------------------------------------


def test_without_dates_the_window_is_the_last_90_days() -> None:
    assert to_case.request_window(start=None, end=None, now=NOW) == (
        NOW - timedelta(days=90),
        NOW,
    )


def test_one_date_opens_a_90_day_window_from_it() -> None:
    assert to_case.request_window(start=NOW, end=None, now=NOW) == (
        NOW,
        NOW + timedelta(days=90),
    )
    assert to_case.request_window(start=None, end=NOW, now=NOW) == (
        NOW - timedelta(days=90),
        NOW,
    )


def test_a_window_longer_than_90_days_or_backwards_is_refused() -> None:
    with pytest.raises(Open311Error) as caught:
        to_case.request_window(start=NOW - timedelta(days=91), end=NOW, now=NOW)
    assert caught.value.status == 400
    with pytest.raises(Open311Error):
        to_case.request_window(start=NOW, end=NOW - timedelta(seconds=1), now=NOW)


def test_the_query_parses_comma_lists_dates_and_paging() -> None:
    query = to_case.requests_query(
        {
            "service_code": "parking,drainage",
            "status": "closed",
            "start_date": "2025-03-01T00:00:00Z",
            "end_date": "2025-03-10T08:00:00+08:00",
            "page": "2",
            "page_size": "500",
            "extensions": "true",
        },
        now=NOW,
    )
    assert query.service_codes == ["parking", "drainage"]
    assert set(query.statuses or ()) == {"closed", "rejected", "merged"}
    assert query.start == datetime(2025, 3, 1, tzinfo=UTC)
    assert query.end == datetime(2025, 3, 10, tzinfo=UTC)
    assert (query.page, query.page_size, query.skip) == (2, schemas.MAX_PAGE_SIZE, 200)
    assert query.extensions is True


def test_both_statuses_mean_no_status_filter_and_defaults_apply() -> None:
    query = to_case.requests_query({"status": "open,closed"}, now=NOW)
    assert query.statuses is None
    assert (query.start, query.end) == (NOW - timedelta(days=90), NOW)
    assert (query.page, query.page_size, query.extensions) == (1, 50, False)


def test_service_request_ids_override_every_other_filter() -> None:
    query = to_case.requests_query(
        {"service_request_id": "a,b", "status": "closed", "start_date": "nonsense"}, now=NOW
    )
    assert query.ids == ["a", "b"]
    assert (query.start, query.end, query.statuses) == (None, None, None)


def test_bad_filters_are_all_reported_as_400() -> None:
    with pytest.raises(Open311Error) as caught:
        to_case.requests_query(
            {"status": "pending", "start_date": "yesterday", "page": "0"}, now=NOW
        )
    assert caught.value.status == 400
    assert len(caught.value.errors) == 3


# --- bodies --------------------------------------------------------------------------------


def test_a_case_becomes_a_service_request_without_contact_data() -> None:
    document = case_document(
        status="assigned",
        station={"id": "xijie", "name": "西街街道人大代表联络站"},
        contact={"phone": "13800001111"},
        tracking_code="MY-SECRET",
        timeline=[
            {"status": "submitted", "at": NOW, "note": None},
            {"status": "assigned", "at": NOW, "note": "西街街道人大代表联络站 · 张献平"},
        ],
    )
    request = from_case.service_request(
        document, service_names={"parking": "停车位"}, extensions=False
    )
    body = rendering.requests_body([request]).data
    assert isinstance(body, list)
    data = body[0]

    assert data["service_request_id"] == "c-1"
    assert data["status"] == "open"
    assert data["status_notes"] == "西街街道人大代表联络站 · 张献平"
    assert data["service_name"] == "停车位"
    assert data["agency_responsible"] == "西街街道人大代表联络站"
    assert (data["lat"], data["long"]) == (28.0752, 119.1381)
    assert data["requested_datetime"] == "2025-03-14T09:30:00Z"
    assert data["expected_datetime"] is None
    assert "extended_attributes" not in data
    rendered = repr(data) + rendering.to_xml(rendering.requests_body([request])).decode()
    assert "13800001111" not in rendered
    assert "MY-SECRET" not in rendered


def test_extensions_add_the_case_status_and_timeline() -> None:
    request = from_case.service_request(
        case_document(status="merged", merged_into_case_id="c-0"),
        service_names={},
        extensions=True,
    )
    assert request.status == "closed"
    assert request.service_name == "parking"
    assert request.extended_attributes is not None
    assert request.extended_attributes.case_status == "merged"
    assert request.extended_attributes.merged_into == "c-0"

    root = ET.fromstring(rendering.to_xml(rendering.requests_body([request])))
    step = root.find("request/extended_attributes/timeline/step")
    assert step is not None
    assert step.findtext("status") == "submitted"


def test_service_requests_render_under_service_requests_request() -> None:
    posted = schemas.PostedRequest(service_request_id="c-1")
    root = ET.fromstring(rendering.to_xml(rendering.requests_body([posted])))

    assert root.tag == "service_requests"
    request = root.find("request")
    assert request is not None
    assert request.findtext("service_request_id") == "c-1"
    assert request.findtext("service_notice") == schemas.SERVICE_NOTICE
    account = request.find("account_id")
    assert account is not None and account.text is None


def test_services_list_the_categories_with_their_metadata_flag() -> None:
    service = from_case.service_of(
        {"code": "parking", "name": "停车位", "name_en": "Parking spaces", "active": True}
    )
    root = ET.fromstring(rendering.to_xml(rendering.services_body([service])))

    assert root.tag == "services"
    element = root.find("service")
    assert element is not None
    assert [child.tag for child in element] == [
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    ]
    assert (element.findtext("metadata"), element.findtext("type")) == ("true", "realtime")


def test_a_service_definition_lists_active_points_as_a_single_value_list() -> None:
    points = [
        {"id": "baiyun", "name": "白云社区人大联络点", "active": True},
        {"id": "closed_point", "name": "旧联络点", "active": False},
    ]
    definition = from_case.service_definition("parking", points=points)
    root = ET.fromstring(rendering.to_xml(rendering.definition_body(definition)))

    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "parking"
    attributes = root.findall("attributes/attribute")
    assert [a.findtext("code") for a in attributes] == [
        "liaison_point",
        "representative_code",
        "may_publish",
    ]
    assert attributes[0].findtext("datatype") == "singlevaluelist"
    assert [v.findtext("key") for v in attributes[0].findall("values/value")] == ["baiyun"]
    assert attributes[1].findtext("required") == "false"
    assert [v.findtext("key") for v in attributes[2].findall("values/value")] == ["false", "true"]
    assert attributes[2].findtext("required") == "false"


def test_without_points_the_representative_and_publishing_attributes_are_offered() -> None:
    definition = from_case.service_definition("parking", points=[])
    assert [(a.code, a.order) for a in definition.attributes] == [
        ("representative_code", 1),
        ("may_publish", 2),
    ]


def test_discovery_names_the_spec_url_and_formats() -> None:
    body = rendering.discovery_body(from_case.discovery(url="http://intake/open311/v2/"))
    root = ET.fromstring(rendering.to_xml(body))

    assert root.tag == "discovery"
    endpoint = root.find("endpoints/endpoint")
    assert endpoint is not None
    assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint.findtext("url") == "http://intake/open311/v2/"
    assert endpoint.findtext("type") == "production"
    assert [f.text for f in endpoint.findall("formats/format")] == [
        "text/xml",
        "application/json",
    ]
    assert isinstance(body.data, dict)
    assert body.data["endpoints"][0]["formats"] == ["text/xml", "application/json"]


# --- the public view (no partner key) ------------------------------------------------------

PRIVATE_TEXT = (
    "白云社区3号楼门口，川A12345长期占用消防通道。"
    "电话13800138000，身份证330181199001011234，邮箱 resident@example.cn"
)


def public_document(**changes: Any) -> dict[str, Any]:
    return case_document(**{"may_publish": True, "text": PRIVATE_TEXT, **changes})


def public(document: dict[str, Any], *, extensions: bool = False) -> schemas.ServiceRequest:
    found = from_case.public_service_request(
        document, service_names={"parking": "停车位"}, extensions=extensions
    )
    assert found is not None
    return found


def test_the_public_sees_the_text_scrubbed_and_the_location_rounded() -> None:
    request = public(public_document(location={"lat": 28.07526, "lon": 119.13814}))

    assert request.description == (
        "白云社区3号楼门口，[车牌]长期占用消防通道。电话[电话]，身份证[身份证]，邮箱 [邮箱]"
    )
    assert (request.lat, request.long) == (28.075, 119.138)
    assert request.service_name == "停车位"


def test_the_place_the_form_appends_is_not_shown_to_the_public() -> None:
    text = "小区门口晚上乱停车\n\n地点：白云路18号 王大爷家门口"
    assert public(public_document(text=text)).description == "小区门口晚上乱停车"


def test_an_open311_address_is_split_off_and_scrubbed() -> None:
    text = address.compose_text(
        "路灯坏了很久", address="白云路18号 联系人电话13800138000", address_id="A-17"
    )
    request = public(public_document(text=text, channel="open311", location=None))

    assert request.description == "路灯坏了很久"
    assert request.address == "白云路18号 联系人电话[电话]"
    assert request.address_id == "A-17"
    assert (request.lat, request.long) == (None, None)


@pytest.mark.parametrize(
    "changes",
    [
        {"may_publish": False},
        {"may_publish": None},
        {"may_publish": "true"},  # only a stored True is consent
        {"channel": "in_person"},
        {"channel": "meeting"},
    ],
)
def test_a_case_without_consent_or_entered_by_staff_is_not_public(changes: dict[str, Any]) -> None:
    document = public_document(**changes)
    assert from_case.public_service_request(document, service_names={}, extensions=True) is None
    assert from_case.public_service_requests([document], service_names={}, extensions=True) == []


def test_a_document_without_the_flag_is_private() -> None:
    document = case_document()  # stored before consent existed
    assert "may_publish" not in document
    assert from_case.public_service_request(document, service_names={}, extensions=False) is None


def test_every_resident_channel_may_be_public() -> None:
    for channel in ("qr", "web", "api", "open311"):
        assert public(public_document(channel=channel)).service_request_id == "c-1"


def test_status_notes_never_show_a_timeline_note_to_the_public() -> None:
    timeline = [
        {"status": "submitted", "at": NOW, "note": None},
        {"status": "assigned", "at": NOW, "note": "西街街道人大代表联络站 · 张献平"},
    ]
    request = public(public_document(status="assigned", timeline=timeline))
    assert request.status_notes == from_case.STATUS_LABELS["assigned"]

    reopened = [*timeline, {"status": "reopened", "at": NOW, "note": "我是张三，还是没人管"}]
    request = public(public_document(status="reopened", timeline=reopened))
    assert request.status_notes == from_case.STATUS_LABELS["reopened"]


def test_the_public_reads_the_stations_answer_scrubbed() -> None:
    request = public(
        public_document(status="closed", response="已电话联系业主（13800138000），划定12个车位。")
    )
    assert request.status_notes == "已电话联系业主（[电话]），划定12个车位。"


def test_extensions_for_the_public_keep_statuses_and_times_only() -> None:
    document = public_document(
        status="reopened",
        representative={"code": "0412", "name": "张献平"},
        merged_into_case_id=None,
        timeline=[
            {"status": "submitted", "at": NOW, "note": None},
            {"status": "assigned", "at": NOW, "note": "西街街道人大代表联络站 · 张献平"},
            {"status": "reopened", "at": NOW, "note": "重新办理：我是张三，13800138000"},
        ],
    )
    extended = public(document, extensions=True).extended_attributes
    assert extended is not None
    assert extended.representative is None
    assert [(s.status, s.note) for s in extended.timeline] == [
        ("submitted", None),
        ("assigned", None),
        ("reopened", None),
    ]
    body = rendering.requests_body([public(document, extensions=True)])
    rendered = repr(body.data) + rendering.to_xml(body).decode()
    for secret in ("张献平", "张三", "13800138000", "川A12345", "resident@example.cn"):
        assert secret not in rendered


def test_a_partner_still_reads_the_case_in_full() -> None:
    document = public_document(representative={"code": "0412", "name": "张献平"})
    full = from_case.service_request(document, service_names={}, extensions=True)
    assert full.description == PRIVATE_TEXT
    assert (full.lat, full.long) == (28.0752, 119.1381)
    assert full.extended_attributes is not None
    assert full.extended_attributes.representative == "张献平"
