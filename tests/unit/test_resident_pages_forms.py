"""The resident's forms mapped onto intake's commands, and refusals back onto form fields."""

from __future__ import annotations

from services.intake.domain.cases import CaseCreate
from services.intake.domain.resident_actions import RateCase, ReopenCase
from services.intake.web.catalog import CATALOG
from services.intake.web.forms import (
    Message,
    Photo,
    SubmissionForm,
    parse_action,
    parse_submission,
)
from services.intake.web.qr import qr_png
from shared.web.i18n import LANGUAGES

PNG = qr_png("https://minyi.example.cn/", scale=2)
GOOD = SubmissionForm(category="parking", text="小区里要增加一些停车位")


def test_a_qr_form_becomes_a_qr_case_for_that_representative() -> None:
    command = parse_submission(
        GOOD, [Photo("a.png", "image/png", PNG)], representative_code="0412", language="zh"
    )
    assert isinstance(command, CaseCreate)
    assert command.channel == "qr"
    assert command.representative_code == "0412"
    assert command.contact is None
    assert [a.raw() for a in command.attachments] == [PNG]


def test_the_plain_form_is_a_web_case() -> None:
    command = parse_submission(GOOD, [], representative_code=None, language="zh")
    assert isinstance(command, CaseCreate)
    assert (command.channel, command.representative_code) == ("web", None)


def test_the_place_is_appended_to_the_text_and_coordinates_become_a_location() -> None:
    form = SubmissionForm(
        category="drainage",
        text="桥洞下雨天积水",
        place=" 河星村桥洞 ",
        lat="28.069",
        lon="119.1297",
    )
    command = parse_submission(form, [], representative_code=None, language="zh")
    assert isinstance(command, CaseCreate)
    assert command.text == "桥洞下雨天积水\n\n地点：河星村桥洞"
    assert command.location is not None
    assert (command.location.lat, command.location.lon) == (28.069, 119.1297)


def test_publishing_is_off_unless_the_box_is_ticked() -> None:
    unticked = parse_submission(GOOD, [], representative_code=None, language="zh")
    ticked = parse_submission(
        SubmissionForm(category="parking", text="小区里要增加一些停车位", may_publish=True),
        [],
        representative_code=None,
        language="zh",
    )
    assert isinstance(unticked, CaseCreate) and isinstance(ticked, CaseCreate)
    assert (unticked.may_publish, ticked.may_publish) == (False, True)


def test_a_place_spread_over_lines_is_appended_as_one_line() -> None:
    form = SubmissionForm(category="drainage", text="桥洞下雨天积水", place="河星村\n\n桥洞 旁")
    command = parse_submission(form, [], representative_code=None, language="zh")
    assert isinstance(command, CaseCreate)
    assert command.text == "桥洞下雨天积水\n\n地点：河星村 桥洞 旁"


def test_a_place_cannot_make_up_for_a_missing_text() -> None:
    form = SubmissionForm(category="drainage", text="", place="河星村桥洞旁边的小路")
    assert parse_submission(form, [], representative_code=None, language="zh") == {
        "text": Message("error.text.missing")
    }


def test_every_problem_lands_on_its_own_field() -> None:
    form = SubmissionForm(
        category="",
        text="短",
        lat="north",
        lon="",
        contact_phone="call me",
        contact_email="not-an-email",
    )
    errors = parse_submission(
        form, [Photo("b.png", "image/png", b"not a png")], representative_code=None, language="zh"
    )
    assert errors == {
        "category": Message("error.category"),
        "text": Message("error.text.string_too_short"),
        "photos": Message("error.photos.one", {"n": 1}),
        "location": Message("error.location"),
        "contact_phone": Message("error.contact_phone"),
        "contact_email": Message("error.contact_email"),
        "consent": Message("error.consent"),
    }


def test_contact_needs_consent_and_a_way_to_reach_the_resident() -> None:
    named_only = SubmissionForm(category="parking", text=GOOD.text, contact_name="王阿姨")
    assert parse_submission(named_only, [], representative_code=None, language="zh") == {
        "consent": Message("error.consent"),
        "contact_phone": Message("error.contact_phone.reachable"),
    }
    agreed = SubmissionForm(
        category="parking", text=GOOD.text, contact_phone="138 0000 1234", consent=True
    )
    command = parse_submission(agreed, [], representative_code=None, language="zh")
    assert isinstance(command, CaseCreate)
    assert command.contact is not None and command.contact.phone == "138 0000 1234"
    assert command.contact.email is None


def test_the_contact_carries_the_language_of_the_page_the_resident_used() -> None:
    form = SubmissionForm(
        category="parking", text=GOOD.text, contact_email="wang@example.cn", consent=True
    )
    for language in LANGUAGES:
        command = parse_submission(form, [], representative_code=None, language=language)
        assert isinstance(command, CaseCreate) and command.contact is not None
        assert command.contact.language == language


def test_a_fourth_photo_is_one_message_on_the_photo_field() -> None:
    photos = [Photo(f"{n}.png", "image/png", PNG) for n in range(4)]
    assert parse_submission(GOOD, photos, representative_code=None, language="zh") == {
        "photos": Message("error.photos.too_long")
    }


def test_only_keys_the_form_made_are_used_for_double_submissions() -> None:
    assert SubmissionForm(submission_id="page:" + "a" * 32).idempotency_key() == "page:" + "a" * 32
    assert SubmissionForm(submission_id="anything-else").idempotency_key() is None


def test_action_errors_use_the_form_field_names() -> None:
    assert parse_action(
        RateCase,
        {"rating": None, "comment": "x" * 501},
        fields={"rating": "rating", "comment": "comment"},
    ) == {"rating": Message("error.rating"), "comment": Message("error.comment")}
    assert parse_action(ReopenCase, {"reason": "太短"}, fields={"reason": "reason"}) == {
        "reason": Message("error.reason")
    }
    rated = parse_action(RateCase, {"rating": "dissatisfied", "comment": None}, fields={})
    assert rated == RateCase(rating="dissatisfied")


def test_every_message_a_form_can_produce_exists_in_both_languages() -> None:
    for key in (
        "error.category",
        "error.category.unknown_reference",
        "error.text.missing",
        "error.text.string_too_short",
        "error.text.string_too_long",
        "error.photos",
        "error.photos.too_long",
        "error.place",
        "error.location",
        "error.contact_name",
        "error.contact_phone.reachable",
        "error.consent",
        "error.form.resubmitted",
        "error.reply",
    ):
        for language in LANGUAGES:
            assert CATALOG.text(key, language)
    assert CATALOG.text("error.photos.one", "en", n=2).startswith("Photo 2 ")
