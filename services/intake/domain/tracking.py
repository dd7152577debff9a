"""Tracking codes: what a resident holds instead of an account.

128 random bits in Crockford base32 (no I, L, O, U: nothing to misread on a phone), with a
`MY-` prefix. Unguessable, so the code alone grants the resident's view of their case.
"""

from __future__ import annotations

import re
import secrets

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_BODY_LENGTH = 26  # 26 * 5 bits >= 128 bits
PREFIX = "MY-"
TRACKING_CODE_PATTERN = re.compile(rf"^{PREFIX}[{_ALPHABET}]{{{_BODY_LENGTH}}}$")
_CONFUSABLE = str.maketrans({"I": "1", "L": "1", "O": "0"})


def new_tracking_code() -> str:
    value = secrets.randbits(_BODY_LENGTH * 5)
    chars = []
    for _ in range(_BODY_LENGTH):
        value, digit = divmod(value, 32)
        chars.append(_ALPHABET[digit])
    return PREFIX + "".join(chars)


def normalize_tracking_code(raw: str) -> str | None:
    """The canonical form of what a resident typed, or None when it cannot be a code."""
    cleaned = raw.strip().upper().replace(" ", "")
    if not cleaned.startswith(PREFIX):
        cleaned = PREFIX + cleaned
    body = cleaned[len(PREFIX) :].replace("-", "").translate(_CONFUSABLE)
    code = PREFIX + body
    return code if TRACKING_CODE_PATTERN.match(code) else None
