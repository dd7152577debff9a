"""The signature on every request notify POSTs to an SMS/IM gateway. Pure.

`X-Minyi-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" under the shared
secret>`, with the Unix `timestamp` in `X-Minyi-Timestamp`. Signing the timestamp with the
body lets a gateway refuse replays of an old request (docs/notifications.md has the recipe).
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Minyi-Signature"
TIMESTAMP_HEADER = "X-Minyi-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
SCHEME = "sha256="


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256)
    return SCHEME + mac.hexdigest()


def verify(
    secret: bytes,
    *,
    signature: str,
    timestamp: str,
    body: bytes,
    now: float,
    tolerance_s: float = 300,
) -> bool:
    """What a gateway does: the signature matches and the timestamp is recent."""
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent_at) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, sent_at, body), signature)
