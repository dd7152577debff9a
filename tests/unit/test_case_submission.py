"""What a resident may submit, and the `case.submitted` event it becomes (with no personal data)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from services.intake.domain.cases import CaseCreate, assignment_note, open_case
from services.intake.domain.tracking import TRACKING_CODE_PATTERN
from shared.events.case_events import CaseAssigned, CaseSubmitted
from shared.events.envelope import Envelope

NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
PHONE = "+86 138 0013 8000"
EMAIL = "lin.ying@example.cn"
NAME = "林莹"


def submission(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"category": "parking", "text": "小区停车位太少，晚上没地方停车。"}
    data.update(changes)
    return data


def error_locations(caught: pytest.ExceptionInfo[ValidationError]) -> list[tuple[str | int, ...]]:
    return [tuple(err["loc"]) for err in caught.value.errors()]


def test_a_minimal_web_submission_is_accepted() -> None:
    command = CaseCreate.model_validate(submission())

    assert command.channel == "web"
    assert command.contact is None
    assert command.representative_code is None


def test_surrounding_whitespace_is_stripped() -> None:
    command = CaseCreate.model_validate(
        submission(category="  parking ", text="  路灯坏了很久了  ")
    )

    assert command.category == "parking"
    assert command.text == "路灯坏了很久了"


@pytest.mark.parametrize("category", ["", "park ing", "停车", "a.b", "x" * 65, "$where"])
def test_category_must_be_a_code(category: str) -> None:
    with pytest.raises(ValidationError) as caught:
        CaseCreate.model_validate(submission(category=category))

    assert error_locations(caught) == [("category",)]


@pytest.mark.parametrize("text", ["", "四个字儿", "  abc  ", "x" * 5001])
def test_text_must_be_between_5_and_5000_characters(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        CaseCreate.model_validate(submission(text=text))

    assert error_locations(caught) == [("text",)]


@pytest.mark.parametrize("text", ["五个字儿啊", "x" * 5000])
def test_text_at_the_length_limits_is_accepted(text: str) -> None:
    assert CaseCreate.model_validate(submission(text=text)).text == text


def test_unknown_fields_are_forbidden() -> None:
    with pytest.raises(ValidationError) as caught:
        CaseCreate.model_validate(submission(priority="urgent"))

    assert error_locations(caught) == [("priority",)]


def test_unknown_contact_fields_are_forbidden() -> None:
    with pytest.raises(ValidationError) as caught:
        CaseCreate.model_validate(submission(contact={"phone": PHONE, "id_card": "1101"}))

    assert error_locations(caught) == [("contact", "id_card")]


def test_channel_must_be_one_a_resident_can_use() -> None:
    with pytest.raises(ValidationError) as caught:
        CaseCreate.model_validate(submission(channel="meeting"))

    assert error_locations(caught) == [("channel",)]


def test_qr_submission_requires_the_representative_code() -> None:
    with pytest.raises(ValidationError, match="representative_code"):
        CaseCreate.model_validate(submission(channel="qr"))


def test_qr_submission_with_a_representative_code_is_accepted() -> None:
    command = CaseCreate.model_validate(submission(channel="qr", representative_code="0412"))

    assert command.representative_code == "0412"


@pytest.mark.parametrize("field", ["representative_code", "liaison_point_id"])
def test_representative_and_point_references_must_be_codes(field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        CaseCreate.model_validate(submission(**{field: "0412; drop"}))

    assert error_locations(caught) == [(field,)]


def test_contact_needs_a_phone_or_an_email() -> None:
    with pytest.raises(ValidationError, match="phone or an email") as caught:
        CaseCreate.model_validate(submission(contact={"name": NAME}))

    assert error_locations(caught) == [("contact",)]


@pytest.mark.parametrize("contact", [{"phone": PHONE}, {"email": EMAIL}, {"phone": "13800138000"}])
def test_contact_with_a_phone_or_an_email_is_accepted(contact: dict[str, str]) -> None:
    assert CaseCreate.model_validate(submission(contact=contact)).contact is not None


def test_the_resident_is_written_to_in_chinese_unless_the_contact_says_english() -> None:
    default = CaseCreate.model_validate(submission(contact={"phone": PHONE}))
    english = CaseCreate.model_validate(submission(contact={"phone": PHONE, "language": "en"}))

    assert default.contact is not None and default.contact.language == "zh"
    assert english.contact is not None and english.contact.language == "en"


def test_a_language_without_templates_is_rejected_on_the_language_field() -> None:
    with pytest.raises(ValidationError) as caught:
        CaseCreate.model_validate(submission(contact={"phone": PHONE, "language": "fr"}))

    assert error_locations(caught) == [("contact", "language")]
    assert "'zh' or 'en'" in caught.value.errors()[0]["msg"]


@pytest.mark.parametrize("phone", ["12345", "call me", "138-abc-0000", "+", "1" * 21, "--1234567"])
def test_bad_phone_is_rejected_on_the_phone_field(phone: str) -> None:
    with pytest.raises(ValidationError) as caught:
        CaseCreate.model_validate(submission(contact={"phone": phone}))

    assert ("contact", "phone") in error_locations(caught)


@pytest.mark.parametrize(
    "email", ["lin", "lin@", "@example.cn", "lin@example", "lin ying@example.cn", "a@b@c.cn"]
)
def test_bad_email_is_rejected_on_the_email_field(email: str) -> None:
    with pytest.raises(ValidationError) as caught:
        CaseCreate.model_validate(submission(contact={"email": email}))

    assert ("contact", "email") in error_locations(caught)


@pytest.mark.parametrize(
    ("location", "field"),
    [
        ({"lat": 90.1, "lon": 0}, "lat"),
        ({"lat": -90.1, "lon": 0}, "lat"),
        ({"lat": 0, "lon": 180.1}, "lon"),
        ({"lat": 0, "lon": -180.1}, "lon"),
    ],
)
def test_location_out_of_bounds_is_rejected(location: dict[str, float], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        CaseCreate.model_validate(submission(location=location))

    assert error_locations(caught) == [("location", field)]


def test_location_on_the_bounds_is_accepted() -> None:
    command = CaseCreate.model_validate(submission(location={"lat": -90, "lon": 180}))

    assert command.location is not None
    assert (command.location.lat, command.location.lon) == (-90, 180)


def test_open_case_builds_the_submitted_event_from_the_command() -> None:
    command = CaseCreate.model_validate(
        submission(
            channel="qr",
            representative_code="0412",
            liaison_point_id="baiyun",
            location={"lat": 28.07, "lon": 119.13},
        )
    )

    new = open_case(command, now=NOW)

    event = new.submitted
    assert isinstance(event, CaseSubmitted)
    assert event.case_id == new.case_id
    assert event.category == "parking"
    assert event.text == command.text
    assert event.channel == "qr"
    assert event.representative_code == "0412"
    assert event.liaison_point_id == "baiyun"
    assert event.location == command.location
    assert event.submitted_at == NOW
    assert event.has_contact is False
    assert new.contact is None
    assert TRACKING_CODE_PATTERN.match(new.tracking_code)


def test_open_case_keeps_contact_out_of_the_event() -> None:
    command = CaseCreate.model_validate(
        submission(contact={"name": NAME, "phone": PHONE, "email": EMAIL})
    )

    new = open_case(command, now=NOW)

    assert new.submitted.has_contact is True
    assert new.contact is not None and new.contact.phone == PHONE
    published = new.submitted.model_dump_json()
    wrapped = Envelope.wrap(
        new.submitted, source="intake", subject=new.case_id, correlation_id="r1"
    ).to_bytes()
    for secret in (PHONE, EMAIL, NAME, "lin.ying", "0013 8000"):
        assert secret not in published
        assert secret.encode() not in wrapped


def test_publishing_is_off_unless_the_resident_says_true() -> None:
    assert CaseCreate.model_validate(submission()).may_publish is False
    consented = CaseCreate.model_validate(submission(may_publish=True))
    new = open_case(consented, now=NOW)

    assert new.may_publish is True
    # The consent stays in intake: the event downstream systems read does not carry it.
    assert "may_publish" not in new.submitted.model_dump()


@pytest.mark.parametrize("value", ["true", "yes", 1, None])
def test_publishing_consent_is_a_json_boolean_only(value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        CaseCreate.model_validate(submission(may_publish=value))
    assert [e["loc"] for e in caught.value.errors()] == [("may_publish",)]


def test_every_opened_case_gets_its_own_id_and_tracking_code() -> None:
    command = CaseCreate.model_validate(submission())

    opened = [open_case(command, now=NOW) for _ in range(50)]

    assert len({c.case_id for c in opened}) == 50
    assert len({c.tracking_code for c in opened}) == 50


def test_assignment_note_names_the_station_and_the_representative() -> None:
    held = CaseAssigned(
        case_id="c1",
        category="parking",
        station_id="xijie",
        station_name="西街联络站",
        representative_code="0412",
        representative_name="张献平",
        reason="qr: representative 0412",
        assigned_at=NOW,
    )
    queued = held.model_copy(update={"representative_code": None, "representative_name": None})

    assert assignment_note(held) == "西街联络站 · 张献平"
    assert assignment_note(queued) == "西街联络站"
