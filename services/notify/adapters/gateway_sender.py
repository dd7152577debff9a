"""SMS and IM through an HTTP gateway: a signed JSON POST per message.

Headers: `Idempotency-Key` (the notification id: a resend after a lost answer is the same
key), `X-Minyi-Timestamp` and `X-Minyi-Signature` (HMAC-SHA256, `domain/gateway_signature.py`).
Connection errors, timeouts, 5xx, 408 and 429 become `TransientError` (try later); any other
status but 2xx becomes `PermanentDeliveryError`.
"""

from __future__ import annotations

import json
import time

import httpx

from services.notify.adapters.deliveries import Delivery
from services.notify.domain.delivery import PermanentDeliveryError, http_outcome
from services.notify.domain.gateway_signature import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
)
from shared.errors import TransientError


def gateway_body(delivery: Delivery) -> bytes:
    """What the gateway receives: who, on which channel, the words; nothing else about the case."""
    return json.dumps(
        {
            "notification_id": delivery.id,
            "channel": delivery.channel,
            "to": delivery.address,
            "title": delivery.title,
            "text": delivery.body,
            "language": delivery.language,
            "urgent": delivery.urgent,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


class GatewaySender:
    def __init__(self, *, client: httpx.AsyncClient, url: str, secret: bytes) -> None:
        self._client = client
        self._url = url
        self._secret = secret

    async def send(self, delivery: Delivery) -> None:
        body = gateway_body(delivery)
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            IDEMPOTENCY_HEADER: delivery.id,
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(self._secret, timestamp, body),
        }
        try:
            response = await self._client.post(self._url, content=body, headers=headers)
        except httpx.TransportError as exc:
            # Connect errors, read/write timeouts, a dropped connection: the gateway may or may
            # not have the message; the resend carries the same Idempotency-Key.
            raise TransientError(f"gateway unavailable: {exc!r}") from exc
        outcome = http_outcome(response.status_code)
        if outcome == "sent":
            return
        detail = f"gateway {response.status_code}: {response.text[:200]}"
        if outcome == "transient":
            raise TransientError(detail)
        raise PermanentDeliveryError(detail)
