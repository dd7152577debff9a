"""Addresses taken out of operators' text (error messages, headers) before it leaves the store.

A gateway's or mail server's refusal may quote the phone number or address it refused; such a
message is kept whole only where erasure reaches it (sealed in the event, in the store). Pure.
"""

from __future__ import annotations

import re

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Six or more digits, with the separators people write between them: phone numbers, not HTTP
# statuses or counts.
_NUMBER = re.compile(r"\+?\d(?:[\s\-()]*\d){5,}")


def redact_addresses(text: str) -> str:
    return _NUMBER.sub("[number]", _EMAIL.sub("[email]", text))
