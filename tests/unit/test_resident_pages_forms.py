"""The resident's forms mapped onto intake's commands, and refusals back onto form fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.intake.domain.cases import CaseCreate
from services.intake.domain.errors import UnknownReference
from services.intake.domain.resident_actions import RateCase, ReopenCase
from services.intake.domain.similar_cases import SimilarDraft
from services.intake.web.catalog import CATALOG
from services.intake.web.forms import (
    Message,
    Photo,
    PointGroup,
    SubmissionForm,
    parse_action,
    parse_similar_draft,
    parse_submission,
    point_groups,
    unknown_reference_errors,
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
        "error.liaison_point_id",
        "error.liaison_point_id.unknown_reference",
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


def test_the_plain_forms_chosen_point_goes_with_the_case_and_the_similar_check() -> None:
    form = SubmissionForm(category="drainage", text="桥洞下雨天积水", liaison_point_id=" hexing ")
    command = parse_submission(form, [], representative_code=None, language="zh")
    draft = parse_similar_draft(form, representative_code=None)
    assert isinstance(command, CaseCreate) and isinstance(draft, SimilarDraft)
    assert (command.liaison_point_id, draft.liaison_point_id) == ("hexing", "hexing")
    unsure = parse_submission(GOOD, [], representative_code=None, language="zh")
    assert isinstance(unsure, CaseCreate) and unsure.liaison_point_id is None


def test_on_the_qr_form_the_representative_gives_the_place_not_a_posted_point() -> None:
    form = SubmissionForm(category="parking", text=GOOD.text, liaison_point_id="hexing")
    command = parse_submission(form, [], representative_code="0412", language="zh")
    draft = parse_similar_draft(form, representative_code="0412")
    assert isinstance(command, CaseCreate) and isinstance(draft, SimilarDraft)
    assert (command.liaison_point_id, draft.liaison_point_id) == (None, None)
    assert draft.representative_code == "0412"


def test_a_point_that_is_no_point_or_unknown_is_the_point_fields_message() -> None:
    forged = SubmissionForm(category="parking", text=GOOD.text, liaison_point_id="no such")
    expected = {"liaison_point_id": Message("error.liaison_point_id")}
    assert parse_submission(forged, [], representative_code=None, language="zh") == expected
    assert parse_similar_draft(forged, representative_code=None) == expected
    unknown = UnknownReference("liaison_point_id", "no active liaison point 'gone'")
    assert unknown_reference_errors(unknown) == {
        "liaison_point_id": Message("error.liaison_point_id.unknown_reference")
    }


def _name(entry: Mapping[str, Any]) -> str:
    return str(entry.get("name", ""))


def test_active_points_are_offered_by_station_in_the_pinyin_order_of_their_ids() -> None:
    stations: list[dict[str, Any]] = [
        {"id": "xijie", "name": "西街联络站"},
        {"id": "jianchi", "name": "剑池联络站"},
        {"id": "closed", "name": "已撤并联络站", "active": False},
    ]
    points: list[dict[str, Any]] = [
        {"id": "xixin", "station": "xijie", "name": "西新社区"},
        {"id": "baiyun", "station": "xijie", "name": "白云社区"},
        {"id": "shangcheng", "station": "xijie", "name": "上城·邻里微中心"},
        {"id": "gone", "station": "xijie", "name": "旧联络点", "active": False},
        {"id": "jianchi_centre", "station": "jianchi", "name": "剑池社区"},
        {"id": "orphan", "station": "closed", "name": "已撤并社区"},
        {"id": "lost", "station": "nowhere", "name": "无站联络点"},
    ]
    assert point_groups(points, stations, name=_name) == [
        PointGroup(station="剑池联络站", points=[("jianchi_centre", "剑池社区")]),
        PointGroup(
            station="西街联络站",
            # 白 (bai), 上 (shang), 西 (xi): pinyin, not the characters' code points (上 < 白)
            points=[
                ("baiyun", "白云社区"),
                ("shangcheng", "上城·邻里微中心"),
                ("xixin", "西新社区"),
            ],
        ),
    ]
    assert point_groups([], stations, name=_name) == []
