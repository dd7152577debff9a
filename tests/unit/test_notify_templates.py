"""The words each audience reads, in Chinese and English, from the template table."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from jinja2.exceptions import SecurityError

from services.notify.adapters.email_sender import render_html
from services.notify.domain.messages import Notification, notifications
from services.notify.domain.rules import RULES, recipients
from services.notify.domain.templates import (
    LANGUAGES,
    TEMPLATES,
    Language,
    MissingTemplateData,
    UnknownTemplate,
    render,
    sandbox,
)
from tests.unit.test_notify_rules import SAMPLES, assigned

CITY = ZoneInfo("Asia/Shanghai")


def test_every_rule_has_a_template_in_every_language() -> None:
    assert {(rule.template_key, lang) for rule in RULES for lang in LANGUAGES} == set(TEMPLATES)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_template_renders_from_its_sample_event(name: str, language: Language) -> None:
    event = SAMPLES[name]
    for recipient in recipients(event):
        title, body = render(recipient.template_key, event.model_dump(mode="json"), language)
        assert title.strip() and body.strip()
        assert "{{" not in title + body and "{%" not in title + body


def test_chinese_is_the_default_language() -> None:
    data = assigned().model_dump(mode="json")
    assert render("case.assigned:representative", data) == render(
        "case.assigned:representative", data, "zh"
    )


def test_the_representative_is_addressed_and_given_the_reason() -> None:
    [message] = notifications(assigned("0412"), zone=CITY)

    assert message == Notification(
        recipient="representative:0412",
        title="新的意见建议（parking）",
        body="一件新的意见建议已分派给您，请及时受理。分派原因：qr: representative 0412",
        push=("im", "email"),
    )


def test_the_station_queue_message_names_the_station() -> None:
    [message] = notifications(assigned(None), zone=CITY)

    assert message.recipient == "station:xijie"
    assert "分派给西街联络站" in message.body


def test_the_english_message_carries_the_same_facts() -> None:
    resident, department = notifications(
        SAMPLES["transferred"],
        zone=CITY,
        languages={"case:case-1": "en", "department:transport": "en"},
    )

    assert resident.title == "Your opinion has been passed on"
    assert "市交通局" in resident.body
    assert department.title == "A case transferred to 市交通局"


def test_an_escalation_names_the_missed_deadline_in_words_and_is_urgent() -> None:
    [zh] = notifications(SAMPLES["escalated"], zone=CITY)
    [en] = notifications(SAMPLES["escalated"], zone=CITY, languages={"station_head:xijie": "en"})

    assert zh.urgent and en.urgent
    assert zh.title == "【督办】意见建议超时未受理"
    assert en.title == "[Urgent] Case overdue to be accepted"


RECIPIENTS = ["station_head:xijie", "representative:0412"]


def test_a_deadline_reads_as_the_citys_clocks_show_it() -> None:
    # Due at 23:59:59 on 20 March in the city: 15:59:59 UTC, which the event carries.
    supervised = SAMPLES["supervised"].model_copy(
        update={"due_at": datetime(2025, 3, 20, 15, 59, 59, tzinfo=UTC)}
    )

    zh = notifications(supervised, zone=CITY)
    en = notifications(supervised, zone=CITY, languages=dict.fromkeys(RECIPIENTS, "en"))

    assert [m.recipient for m in zh] == RECIPIENTS
    for message in zh:
        assert "请于 2025-03-20 23:59 前答复" in message.body, message.body
    for message in en:
        assert "by 2025-03-20 23:59" in message.body, message.body


def test_the_resident_reads_the_answer_verbatim() -> None:
    [message] = notifications(SAMPLES["responded"], zone=CITY)

    assert message.recipient == "case:case-1"
    assert message.body.startswith("已在东侧增设20个车位。\n")


def test_missing_data_is_an_error_naming_every_missing_field() -> None:
    with pytest.raises(MissingTemplateData) as caught:
        render("case.assigned:station", {"category": "parking"}, "en")

    assert caught.value.missing == ("station_name", "reason")
    assert "station_name, reason" in str(caught.value)


def test_an_unknown_template_or_language_is_an_error() -> None:
    with pytest.raises(UnknownTemplate):
        render("case.submitted:case", {}, "zh")
    with pytest.raises(UnknownTemplate):
        render("case.closed:case", {}, "fr")  # type: ignore[arg-type]


def test_template_text_is_not_code() -> None:
    _, body = render("case.message_sent:case", {"text": "${case_id} {{ 7*7 }} $$"}, "zh")

    assert body == "${case_id} {{ 7*7 }} $$"


def test_each_recipient_reads_their_own_language() -> None:
    resident, department = notifications(
        SAMPLES["transferred"], zone=CITY, languages={"department:transport": "en"}
    )

    assert (resident.language, resident.title) == ("zh", "您的意见建议已转交办理")
    assert (department.language, department.title) == ("en", "A case transferred to 市交通局")


def test_a_template_that_tries_to_reach_python_internals_is_stopped_by_the_sandbox() -> None:
    hostile = "{{ text.__class__.__mro__[1].__subclasses__() }}"
    with pytest.raises(SecurityError):
        sandbox(html=False).from_string(hostile).render(text="x")


def test_the_html_part_escapes_what_residents_and_staff_wrote() -> None:
    html = render_html("答复", '<script>alert("x")</script>\n第二行', "zh")

    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "<p>第二行</p>" in html
    assert '<html lang="zh">' in html
