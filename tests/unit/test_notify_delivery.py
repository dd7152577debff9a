"""Push delivery's pure parts: notification ids, backoff with jitter, what an HTTP status
means, and the gateway signature."""

from __future__ import annotations

import json

import pytest

from services.notify.adapters.deliveries import Delivery
from services.notify.adapters.gateway_sender import gateway_body
from services.notify.domain.delivery import backoff_seconds, http_outcome, notification_id
from services.notify.domain.gateway_signature import sign, verify
from services.notify.settings import NotifySettings

SECRET = b"gateway-secret-for-tests-only-32+chars"


def test_the_same_event_recipient_and_channel_always_give_the_same_id() -> None:
    first = notification_id(cause_event_id="e1", recipient="case:c1", channel="sms")
    again = notification_id(cause_event_id="e1", recipient="case:c1", channel="sms")
    other = notification_id(cause_event_id="e1", recipient="case:c1", channel="email")

    assert first == again == "e1:case:c1:sms"
    assert other != first


def test_backoff_doubles_from_the_base_up_to_the_cap() -> None:
    steps = [backoff_seconds(n, base_s=1, cap_s=10, jitter=0.999999) for n in range(1, 7)]
    assert [round(s) for s in steps] == [1, 2, 4, 8, 10, 10]


@pytest.mark.parametrize("attempt", [1, 3, 8])
def test_jitter_spreads_a_delay_over_the_upper_half_of_its_step(attempt: int) -> None:
    step = min(60.0, 2.0 * 2 ** (attempt - 1))
    low = backoff_seconds(attempt, base_s=2, cap_s=60, jitter=0.0)
    high = backoff_seconds(attempt, base_s=2, cap_s=60, jitter=0.99)

    assert low == step / 2
    assert step / 2 < high < step


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, "sent"),
        (202, "sent"),
        (204, "sent"),
        (400, "permanent"),
        (401, "permanent"),
        (404, "permanent"),
        (422, "permanent"),
        (408, "transient"),
        (429, "transient"),
        (500, "transient"),
        (502, "transient"),
        (503, "transient"),
        (301, "permanent"),
    ],
)
def test_what_a_gateway_status_means(status: int, outcome: str) -> None:
    assert http_outcome(status) == outcome


def test_a_signature_verifies_only_for_the_same_secret_body_and_a_recent_timestamp() -> None:
    body = b'{"to":"+86 138 0000 0000","text":"\xe5\x8f\x97\xe7\x90\x86"}'
    signature = sign(SECRET, 1_700_000_000, body)

    assert signature.startswith("sha256=") and len(signature) == 7 + 64

    def check(
        *,
        secret: bytes = SECRET,
        timestamp: str = "1700000000",
        extra: bytes = b"",
        now: float = 1_700_000_100,
    ) -> bool:
        return verify(secret, signature=signature, timestamp=timestamp, body=body + extra, now=now)

    assert check()
    assert not check(secret=b"another-secret")
    assert not check(extra=b" ")
    assert not check(timestamp="1700000001")
    assert not check(now=1_700_000_000 + 301)  # a replay, too late
    assert not check(timestamp="soon")


def test_the_gateway_gets_the_words_and_the_address_but_nothing_else_about_the_case() -> None:
    delivery = Delivery(
        id="e1:case:c1:sms",
        channel="sms",
        recipient="case:c1",
        address="+86 138 0000 0000",
        title="您的意见建议已受理",
        body="人大代表已受理您的意见建议。",
        language="zh",
        urgent=False,
        case_id="c1",
        cause_event_id="e1",
        correlation_id="corr",
        attempts=1,
        lease="t",
    )
    sent = json.loads(gateway_body(delivery))

    assert sent == {
        "notification_id": "e1:case:c1:sms",
        "channel": "sms",
        "to": "+86 138 0000 0000",
        "title": "您的意见建议已受理",
        "text": "人大代表已受理您的意见建议。",
        "language": "zh",
        "urgent": False,
    }


def test_a_gateway_url_needs_a_secret_and_the_lease_must_outlast_a_send() -> None:
    with pytest.raises(ValueError, match="MINYI_GATEWAY_SECRET is required"):
        NotifySettings(sms_gateway_url="http://127.0.0.1:9/sms")
    with pytest.raises(ValueError, match="must exceed"):
        NotifySettings(delivery_lease_s=5, smtp_timeout_s=10)
    with pytest.raises(ValueError, match="32\\+ characters"):
        NotifySettings(
            environment="prod",
            jwt_secret="j" * 40,
            sms_gateway_url="http://127.0.0.1:9/sms",
            gateway_secret="short",
        )
    configured = NotifySettings(
        sms_gateway_url="http://127.0.0.1:9/sms",
        gateway_secret="s",
    )
    assert str(configured.sms_gateway_url) == "http://127.0.0.1:9/sms"
    assert configured.im_gateway_url is None
