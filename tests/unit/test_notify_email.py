"""The email channel's pure parts: message building, error classification, who gets email."""

from __future__ import annotations

import email
import email.message
import email.policy

import aiosmtplib
import pytest

from services.notify.adapters.email_sender import (
    NOTIFICATION_ID_HEADER,
    build_message,
    classify,
    message_id_header,
    render_html,
)
from services.notify.domain.delivery import PermanentDeliveryError
from services.notify.settings import NotifySettings
from shared.errors import TransientError, is_transient

KEY = "0b6f2a1e-6d7c-4d3e-9a1b-2c3d4e5f6a7b:station_head:xijie:email"


def test_the_message_id_is_derived_from_the_notification_id() -> None:
    assert message_id_header(KEY, "minyi.example") == (
        "<0b6f2a1e-6d7c-4d3e-9a1b-2c3d4e5f6a7b.station_head.xijie.email@minyi.example>"
    )
    assert message_id_header(KEY, "x") == message_id_header(KEY, "x")


def test_a_chinese_message_survives_the_round_trip_as_utf8() -> None:
    built = build_message(
        sender="minyi@minyi.example",
        to="head@xijie.example",
        subject="【督办】意见建议超时未受理",
        body="意见建议（编号 c1）已超过受理时限，请督办。",
        notification_id=KEY,
    )
    parsed = email.message_from_bytes(built.as_bytes(), policy=email.policy.default)

    assert parsed["Subject"] == "【督办】意见建议超时未受理"
    assert parsed["To"] == "head@xijie.example"
    # Long enough to be folded onto its own line; the folding whitespace is not part of it.
    assert parsed["Message-ID"].strip() == message_id_header(KEY, "minyi.example")
    assert parsed[NOTIFICATION_ID_HEADER].strip() == KEY
    assert parsed.get_content_charset() == "utf-8"
    assert parsed.get_content().strip() == "意见建议（编号 c1）已超过受理时限，请督办。"


@pytest.mark.parametrize(
    "error",
    [
        aiosmtplib.SMTPConnectError("refused"),
        aiosmtplib.SMTPServerDisconnected("gone"),
        aiosmtplib.SMTPReadTimeoutError("slow"),
        aiosmtplib.SMTPConnectTimeoutError("slow"),
        ConnectionRefusedError(111, "refused"),
        TimeoutError(),
        aiosmtplib.SMTPResponseException(421, "try later"),
        aiosmtplib.SMTPDataError(451, "local error"),
        aiosmtplib.SMTPConnectResponseError(421, "busy"),
        aiosmtplib.SMTPRecipientsRefused([aiosmtplib.SMTPRecipientRefused(450, "full", "a@b")]),
    ],
)
def test_outages_timeouts_and_4xx_are_transient(error: Exception) -> None:
    classified = classify(error)
    assert isinstance(classified, TransientError)
    assert is_transient(classified)


@pytest.mark.parametrize(
    "error",
    [
        aiosmtplib.SMTPRecipientsRefused([aiosmtplib.SMTPRecipientRefused(550, "no such", "a@b")]),
        aiosmtplib.SMTPRecipientRefused(550, "no such user", "a@b"),
        aiosmtplib.SMTPSenderRefused(553, "bad sender", "minyi@localhost"),
        aiosmtplib.SMTPDataError(554, "rejected"),
        aiosmtplib.SMTPConnectResponseError(554, "go away"),
    ],
)
def test_5xx_refusals_are_permanent(error: Exception) -> None:
    classified = classify(error)
    assert isinstance(classified, PermanentDeliveryError)
    assert not is_transient(classified)


def test_the_html_alternative_carries_the_same_words_escaped() -> None:
    built = build_message(
        sender="minyi@minyi.example",
        to="resident@example.com",
        subject="您的意见建议已有答复",
        body="已在东侧增设20个车位<东门>。",
        notification_id=KEY,
        html=render_html("您的意见建议已有答复", "已在东侧增设20个车位<东门>。", "zh"),
    )
    parsed = email.message_from_bytes(built.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, email.message.EmailMessage)

    plain = parsed.get_body(("plain",))
    html = parsed.get_body(("html",))
    assert plain is not None and html is not None
    assert plain.get_content().strip() == "已在东侧增设20个车位<东门>。"
    assert "已在东侧增设20个车位&lt;东门&gt;。" in html.get_content()


def test_email_is_off_by_default_and_addresses_come_as_json(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert NotifySettings().smtp_host is None
    monkeypatch.setenv("MINYI_EMAIL_ADDRESSES", '{"station_head:xijie": "head@xijie.example"}')
    monkeypatch.setenv("MINYI_SMTP_HOST", "mail.example")
    settings = NotifySettings()
    assert settings.email_addresses == {"station_head:xijie": "head@xijie.example"}
    assert (settings.smtp_host, settings.smtp_port) == ("mail.example", 25)
