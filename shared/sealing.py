"""Sealing the personal fields of events with their case's key (crypto-shredding).

The immutable topics (`case-events`, `notification-events`, the dead-letter topics) keep every
record for as long as they keep records; an erasure cannot rewrite them. So what a resident
wrote, or what quotes them, travels encrypted with a key of its own case, and erasing the case
deletes the key (`shared.case_keys`): every copy of the text on every topic becomes unreadable
at once, while counts, ids, categories, stations, dates and statuses stay clear for the KPIs.

A sealed field's JSON value is replaced by `{"sealed": "v1.<base64url(nonce + ciphertext)>"}`:
AES-256-GCM over the value's JSON, with the event id and the field name as associated data, so
a ciphertext moved to another event or field does not open. Pure: no I/O.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.events.envelope import Envelope, EventDecodeError

ERASED = "[erased]"
"""What an erased free-text field reads: the placeholder the stores already use."""

KEY_BYTES = 32  # AES-256
_NONCE_BYTES = 12
_PREFIX = "v1."
SEALED = "sealed"


@dataclass(frozen=True)
class PersonalField:
    """A field of an event's `data` that carries personal data, and what it reads once its
    case's key is gone."""

    name: str
    placeholder: Any = ERASED


# Every event type with personal fields; what is not here travels clear. Decided field by
# field: free text the resident wrote or that answers, quotes or judges them is sealed; ids,
# categories, stations, holders, counts, dates, statuses and ratings are not (the KPIs need
# them after an erasure). `case.assigned`'s reason is the routing rule's, not the resident's;
# notifications name recipients by pseudonym (`case:<id>`, a station), never by address.
PERSONAL_FIELDS: Mapping[str, tuple[PersonalField, ...]] = {
    "case.submitted": (PersonalField("text"), PersonalField("location", None)),
    "case.declined": (PersonalField("reason"),),
    "case.rejected": (PersonalField("reason"),),
    "case.transferred": (PersonalField("note"),),
    "case.progressed": (PersonalField("note"),),
    "case.responded": (PersonalField("response"),),
    "case.rated": (PersonalField("comment"),),
    "case.reopened": (PersonalField("reason"),),
    "case.reassigned": (PersonalField("reason"),),
    "case.stage_changed": (PersonalField("note"),),
    "case.message_sent": (PersonalField("text"),),
    "case.followed_up": (PersonalField("comment"),),
    "case.supervised": (PersonalField("reason"),),
    "case.returned": (PersonalField("reason"),),
    "case.meeting_decided": (PersonalField("item_title"), PersonalField("decision")),
    # A gateway's or mail server's refusal may quote the address it refused.
    "notification.failed": (PersonalField("error"),),
    # The contact topic is compacted, but a contact stays readable behind its tombstone until
    # the cleaner runs: sealed, it is unreadable from the erasure on.
    "resident.contact_given": (PersonalField("phone", None), PersonalField("email", None)),
}
CASE_FIELD = "case_id"
"""Every event type above names its case here: the case whose key seals it."""


class SealError(EventDecodeError):
    """A sealed field that does not open with its case's key: changed, or moved from another
    event or field. The record is the consumer's to dead-letter, as any undecodable one."""


class KeyNotHere(Exception):
    """A sealed event whose case's key has not reached this service yet: wait for it (the key
    consumer brings it), never dead-letter the event."""

    def __init__(self, case_id: str) -> None:
        super().__init__(f"the key of case {case_id} has not arrived yet")
        self.case_id = case_id


class KeyLookup(Protocol):
    """Where the keys of cases are read (shared.case_keys.CaseKeys)."""

    async def lookup(self, case_ids: set[str]) -> dict[str, bytes | None]:
        """Each known case's key; None when it was shredded; absent when not known (yet)."""
        ...


def new_key() -> bytes:
    return os.urandom(KEY_BYTES)


def is_sealed(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get(SEALED), str)


def personal_fields(event_type: str) -> tuple[PersonalField, ...]:
    return PERSONAL_FIELDS.get(event_type, ())


def case_of(event_type: str, data: Mapping[str, Any]) -> str | None:
    """The case whose key this event's personal fields need; None when it carries none."""
    fields = personal_fields(event_type)
    if not any(data.get(f.name) is not None for f in fields):
        return None
    case_id = data.get(CASE_FIELD)
    return case_id if isinstance(case_id, str) and case_id else None


def needs_key(event_type: str, data: Mapping[str, Any]) -> bool:
    """Whether some field is sealed: without its key it cannot be read (only erased)."""
    return any(is_sealed(data.get(f.name)) for f in personal_fields(event_type))


def _aad(event_id: str, field: str) -> bytes:
    # The NUL keeps `("ab", "c")` and `("a", "bc")` apart.
    return f"{event_id}\x00{field}".encode()


def seal(event_type: str, event_id: str, data: Mapping[str, Any], key: bytes) -> dict[str, Any]:
    """`data` with each present personal field's value sealed; fields already sealed (an
    event published again) stay as they are."""
    aead = AESGCM(key)
    sealed = dict(data)
    for field in personal_fields(event_type):
        value = data.get(field.name)
        if value is None or is_sealed(value):
            continue
        nonce = os.urandom(_NONCE_BYTES)
        box = nonce + aead.encrypt(nonce, orjson.dumps(value), _aad(event_id, field.name))
        sealed[field.name] = {SEALED: _PREFIX + base64.urlsafe_b64encode(box).decode()}
    return sealed


def unseal(
    event_type: str, event_id: str, data: Mapping[str, Any], key: bytes | None
) -> dict[str, Any]:
    """`data` with its personal fields readable again; with `key` None (shredded: the case was
    erased) each present one reads its placeholder, sealed or not.

    Raises SealError when a sealed value does not open with `key`."""
    opened = dict(data)
    for field in personal_fields(event_type):
        value = data.get(field.name)
        if value is None:
            continue
        if key is None:
            opened[field.name] = field.placeholder
        elif is_sealed(value):
            opened[field.name] = _open(value[SEALED], key, event_id=event_id, field=field.name)
    return opened


def erase(event_type: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """`data` as it reads once its case's key is gone: placeholders in its personal fields."""
    return unseal(event_type, "", data, None)


def _open(token: str, key: bytes, *, event_id: str, field: str) -> Any:
    if not token.startswith(_PREFIX):
        raise SealError(f"{field}: unknown sealing version {token.partition('.')[0]!r}")
    try:
        box = base64.b64decode(token[len(_PREFIX) :], altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SealError(f"{field}: sealed value is not base64url") from exc
    nonce, ciphertext = box[:_NONCE_BYTES], box[_NONCE_BYTES:]
    try:
        plain = AESGCM(key).decrypt(nonce, ciphertext, _aad(event_id, field))
    except (InvalidTag, ValueError) as exc:
        raise SealError(
            f"{field} of event {event_id} does not open with its case's key: changed, or "
            "moved from another event or field"
        ) from exc
    return orjson.loads(plain)


def cases_of(envelopes: Iterable[Envelope]) -> set[str]:
    """The cases whose keys these events need (one lookup for a whole batch)."""
    return {case for e in envelopes if (case := case_of(e.type, e.data)) is not None}


def seal_envelope(envelope: Envelope, keys: Mapping[str, bytes | None]) -> Envelope:
    """The envelope as it may leave: sealed with its case's key; with placeholders when the
    key is shredded (an event still queued when its case was erased); as it is when its case
    has no key (born before keys existed) or it carries nothing personal."""
    case = case_of(envelope.type, envelope.data)
    if case is None or case not in keys:
        return envelope
    key = keys[case]
    data = (
        erase(envelope.type, envelope.data)
        if key is None
        else seal(envelope.type, envelope.id, envelope.data, key)
    )
    return envelope.model_copy(update={"data": data})


def open_envelope(envelope: Envelope, keys: Mapping[str, bytes | None]) -> Envelope:
    """The envelope readable again, or with placeholders when its case's key is shredded.

    Raises KeyNotHere for a sealed event whose key is not in `keys`, SealError for a sealed
    value that does not open."""
    case = case_of(envelope.type, envelope.data)
    if case is None:
        return envelope
    if case not in keys:
        if needs_key(envelope.type, envelope.data):
            raise KeyNotHere(case)
        return envelope  # clear: published before its case had a key
    data = unseal(envelope.type, envelope.id, envelope.data, keys[case])
    return envelope.model_copy(update={"data": data})
