"""The words each audience reads, in Chinese and English, from the template table."""

from __future__ import annotations

import pytest

from services.notify.domain.messages import InboxMessage, inbox_messages
from services.notify.domain.rules import RULES, recipients
from services.notify.domain.templates import (
    LANGUAGES,
    TEMPLATES,
    Language,
    MissingTemplateData,
    UnknownTemplate,
    render,
)
from tests.unit.test_notify_rules import SAMPLES, assigned


def test_every_rule_has_a_template_in_every_language() -> None:
    assert {(rule.template_key, lang) for rule in RULES for lang in LANGUAGES} == set(TEMPLATES)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_template_renders_from_its_sample_event(name: str, language: Language) -> None:
    event = SAMPLES[name]
    for recipient in recipients(event):
        title, body = render(recipient.template_key, event.model_dump(mode="json"), language)
        assert title.strip() and body.strip()
        assert "$" not in title + body


def test_chinese_is_the_default_language() -> None:
    data = assigned().model_dump(mode="json")
    assert render("case.assigned:representative", data) == render(
        "case.assigned:representative", data, "zh"
    )


def test_the_representative_is_addressed_and_given_the_reason() -> None:
    [message] = inbox_messages(assigned("0412"))

    assert message == InboxMessage(
        recipient="representative:0412",
        title="新的意见建议（parking）",
        body="一件新的意见建议已分派给您，请及时受理。分派原因：qr: representative 0412",
    )


def test_the_station_queue_message_names_the_station() -> None:
    [message] = inbox_messages(assigned(None))

    assert message.recipient == "station:xijie"
    assert "分派给西街联络站" in message.body


def test_the_english_message_carries_the_same_facts() -> None:
    resident, department = inbox_messages(SAMPLES["transferred"], language="en")

    assert resident.title == "Your opinion has been passed on"
    assert "市交通局" in resident.body
    assert department.title == "A case transferred to 市交通局"


def test_an_escalation_names_the_missed_deadline_in_words_and_is_urgent() -> None:
    [zh] = inbox_messages(SAMPLES["escalated"])
    [en] = inbox_messages(SAMPLES["escalated"], language="en")

    assert zh.urgent and en.urgent
    assert zh.title == "【督办】意见建议超时未受理"
    assert en.title == "[Urgent] Case overdue to be accepted"


def test_the_resident_reads_the_answer_verbatim() -> None:
    [message] = inbox_messages(SAMPLES["responded"])

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
