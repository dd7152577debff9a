"""Email over SMTP: build a UTF-8 message and hand it to the relay, classifying failures.

Failures worth retrying (relay unreachable, timeouts, 4xx replies) become `TransientError`; a
permanent 5xx refusal becomes `PermanentDeliveryError`, which the worker records as failed.
The message has a plain-text part and an HTML part (the same words, escaped: `EMAIL_HTML`,
rendered in the templates' sandbox with autoescaping, so resident-written text is inert).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate
from typing import Literal

import aiosmtplib

from services.notify.adapters.deliveries import Delivery
from services.notify.domain.delivery import PermanentDeliveryError
from services.notify.domain.templates import DEFAULT_LANGUAGE, Language, sandbox
from shared.errors import TransientError

NOTIFICATION_ID_HEADER = "X-Minyi-Notification-Id"

EMAIL_HTML = """<!doctype html>
<html lang="{{ language }}"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body>
<h1 style="font-size:18px">{{ title }}</h1>
{% for line in body.splitlines() if line %}<p>{{ line }}</p>
{% endfor %}<p style="color:#666;font-size:12px">{{ footer }}</p>
</body></html>
"""

FOOTERS: Mapping[Language, str] = {
    "zh": "人大代表联络站民意平台",
    "en": "Minyi, the people's congress representative liaison stations",
}


def render_html(title: str, body: str, language: Language = DEFAULT_LANGUAGE) -> str:
    """The HTML part of an email: the plain text, escaped, one paragraph per line."""
    template = sandbox(html=True).from_string(EMAIL_HTML)
    return template.render(title=title, body=body, language=language, footer=FOOTERS[language])


def message_id_header(notification_id: str, domain: str) -> str:
    """A Message-ID derived from the notification id, so a resend is recognisable as one.

    `:` (and anything else not allowed in a dot-atom) becomes `.`; runs of dots collapse.
    """
    local = re.sub(r"[^A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+", ".", notification_id).strip(".")
    return f"<{local or 'notification'}@{domain or 'localhost'}>"


def build_message(
    *, sender: str, to: str, subject: str, body: str, notification_id: str, html: str | None = None
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = message_id_header(notification_id, sender.rpartition("@")[2])
    message[NOTIFICATION_ID_HEADER] = notification_id
    message.set_content(body, charset="utf-8")
    if html is not None:
        message.add_alternative(html, subtype="html", charset="utf-8")
    return message


def _code_error(code: int, text: str) -> Exception:
    if 400 <= code < 500:
        return TransientError(f"smtp {code}: {text}")
    return PermanentDeliveryError(f"smtp {code}: {text}")


def classify(exc: BaseException) -> Exception:
    """The error the handler should see for a failure from aiosmtplib or the network."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        # One recipient per message here: any temporary refusal means try again later.
        codes = [r.code for r in exc.recipients] or [550]
        code = min(codes)
        return _code_error(code, str(exc))
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return _code_error(exc.code, exc.message)
    if isinstance(exc, aiosmtplib.SMTPServerDisconnected | aiosmtplib.SMTPConnectError):
        return TransientError(f"smtp unavailable: {exc}")
    if isinstance(exc, TimeoutError | OSError):
        return TransientError(f"smtp unavailable: {exc!r}")
    return PermanentDeliveryError(f"smtp: {exc!r}")


SmtpTls = Literal["auto", "starttls", "implicit"]


class EmailSender:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        timeout_s: float,
        tls: SmtpTls = "auto",
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.timeout_s = timeout_s
        self.tls = tls
        self.username = username
        self.password = password

    async def send(self, delivery: Delivery) -> None:
        message = build_message(
            sender=self.sender,
            to=delivery.address,
            subject=delivery.title,
            body=delivery.body,
            notification_id=delivery.id,
            html=render_html(delivery.title, delivery.body, delivery.language),
        )
        try:
            await aiosmtplib.send(
                message,
                hostname=self.host,
                port=self.port,
                timeout=self.timeout_s,
                # auto: aiosmtplib upgrades when the relay offers STARTTLS (start_tls=None).
                use_tls=self.tls == "implicit",
                start_tls={"auto": None, "starttls": True, "implicit": False}[self.tls],
                username=self.username,
                password=self.password,
            )
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise classify(exc) from exc
