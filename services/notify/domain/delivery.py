"""How a notification is delivered on a push channel (email, SMS, IM): its id, when to try
again, and which failures are worth retrying. Pure."""

from __future__ import annotations

from typing import Literal

PushChannel = Literal["email", "sms", "im"]
PUSH_CHANNELS: tuple[PushChannel, ...] = ("email", "sms", "im")

Outcome = Literal["sent", "transient", "permanent"]


class PermanentDeliveryError(Exception):
    """The channel refused the message for good: retrying will not help."""


def notification_id(*, cause_event_id: str, recipient: str, channel: str) -> str:
    """The same event, recipient and channel always give the same id: it is the key of the
    inbox message or delivery document (so a redelivered event finds it) and the
    `Idempotency-Key` a gateway dedupes on (so a resend after a lost answer is recognised)."""
    return f"{cause_event_id}:{recipient}:{channel}"


def backoff_seconds(attempt: int, *, base_s: float, cap_s: float, jitter: float) -> float:
    """Delay before attempt `attempt + 1`: doubling from `base_s`, capped at `cap_s`, then
    jittered into its upper half (`jitter` in [0, 1)), so deliveries failed together by one
    outage do not all come back at the same instant, yet each waits at least half its step."""
    step = min(cap_s, base_s * 2.0 ** max(attempt - 1, 0))
    return step * (0.5 + jitter / 2)


def http_outcome(status: int) -> Outcome:
    """What a gateway's HTTP status means for this delivery.

    408 (it timed out reading us) and 429 (slow down) are the gateway's own transient states;
    every other 4xx says the request itself is wrong (bad number, bad signature, unknown
    account) and will be refused again. 5xx is the gateway's trouble: try again later.
    """
    if 200 <= status < 300:
        return "sent"
    if status in (408, 429) or status >= 500:
        return "transient"
    return "permanent"
