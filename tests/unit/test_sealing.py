"""Sealing personal fields with their case's key (shared.sealing): what a resident wrote never
travels clear, a changed or moved ciphertext does not open, and a shredded key leaves the
placeholders the stores use after an erasure while every count-bearing field stays."""

from __future__ import annotations

import types
import typing
import uuid
from datetime import UTC, datetime
from typing import Any, get_args, get_origin

import orjson
import pytest

from shared.asyncapi import all_event_models
from shared.events.case_events import (
    CASE_EVENT_TYPES,
    CaseMessageSent,
    CaseRated,
    CaseResponded,
    CaseSubmitted,
    GeoPoint,
)
from shared.events.envelope import Envelope, EventData
from shared.sealing import (
    ERASED,
    PERSONAL_FIELDS,
    KeyNotHere,
    SealError,
    case_of,
    cases_of,
    erase,
    is_sealed,
    new_key,
    open_envelope,
    seal,
    seal_envelope,
    unseal,
)
from tests.unit.test_asyncapi import payload_validator, sample_event

AT = datetime(2026, 11, 25, 21, 29, 8, tzinfo=UTC)
TEXT = "小区东门的停车场晚上停满了，王阿姨说电动车没地方充电"


def submitted(case_id: str = "c-1") -> Envelope:
    return Envelope.wrap(
        CaseSubmitted(
            case_id=case_id,
            category="parking",
            text=TEXT,
            channel="qr",
            representative_code="0412",
            location=GeoPoint(lat=28.0731927, lon=119.1362841),
            has_contact=True,
            submitted_at=AT,
        ),
        source="minyi/intake",
        subject=case_id,
        correlation_id="corr-1",
    )


def responded(case_id: str = "c-1") -> Envelope:
    return Envelope.wrap(
        CaseResponded(
            case_id=case_id,
            station_id="xijie",
            actor_role="staff",
            actor_id="xijie-staff",
            at=AT,
            response="已联系物业，下周在东门加装四个充电桩",
        ),
        source="minyi/routing",
        subject=case_id,
        correlation_id="corr-2",
    )


def test_a_sealed_event_shows_no_personal_text_and_keeps_what_counts() -> None:
    event = submitted()
    key = new_key()
    sealed = seal(event.type, event.id, event.data, key)
    raw = orjson.dumps(sealed).decode()
    assert TEXT not in raw and "28.07" not in raw and "119.13" not in raw
    assert is_sealed(sealed["text"]) and is_sealed(sealed["location"])
    assert sealed["text"]["sealed"].startswith("v1.")
    # Ids, category, channel, holder, dates and flags stay clear: the KPIs survive erasure.
    kept = ("case_id", "category", "channel", "representative_code", "has_contact", "submitted_at")
    assert {k: sealed[k] for k in kept} == {k: event.data[k] for k in kept}
    assert unseal(event.type, event.id, sealed, key) == event.data


def test_sealing_twice_gives_different_ciphertexts_that_both_open() -> None:
    event = responded()
    key = new_key()
    first = seal(event.type, event.id, event.data, key)
    second = seal(event.type, event.id, event.data, key)
    assert first["response"] != second["response"]  # a fresh nonce each time
    assert unseal(event.type, event.id, first, key) == unseal(event.type, event.id, second, key)


def test_sealing_an_already_sealed_event_changes_nothing() -> None:
    event = responded()
    key = new_key()
    once = seal(event.type, event.id, event.data, key)
    assert seal(event.type, event.id, once, key) == once


def test_a_changed_byte_does_not_open() -> None:
    event = submitted()
    key = new_key()
    sealed = seal(event.type, event.id, event.data, key)
    token = sealed["text"]["sealed"]
    flipped = token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]
    with pytest.raises(SealError, match=r"text of event .* does not open"):
        unseal(event.type, event.id, {**sealed, "text": {"sealed": flipped}}, key)


def test_a_ciphertext_moved_to_another_event_or_field_does_not_open() -> None:
    key = new_key()
    one, other = responded(), responded()
    sealed_one = seal(one.type, one.id, one.data, key)
    sealed_other = seal(other.type, other.id, other.data, key)
    # Same case, same key, same field: only the event id differs.
    with pytest.raises(SealError, match="moved from another event or field"):
        unseal(other.type, other.id, {**sealed_other, "response": sealed_one["response"]}, key)
    event = submitted()
    sealed = seal(event.type, event.id, event.data, key)
    with pytest.raises(SealError):
        unseal(event.type, event.id, {**sealed, "text": sealed["location"]}, key)


def test_another_cases_key_does_not_open_and_garbage_is_refused_clearly() -> None:
    event = submitted()
    sealed = seal(event.type, event.id, event.data, new_key())
    with pytest.raises(SealError):
        unseal(event.type, event.id, sealed, new_key())
    with pytest.raises(SealError, match="unknown sealing version"):
        unseal(event.type, event.id, {**sealed, "text": {"sealed": "v9.AAAA"}}, new_key())
    with pytest.raises(SealError, match="not base64url"):
        unseal(event.type, event.id, {**sealed, "text": {"sealed": "v1.%%%"}}, new_key())


def test_a_shredded_key_leaves_the_placeholders_the_stores_use() -> None:
    event = submitted()
    sealed = seal(event.type, event.id, event.data, new_key())
    erased = unseal(event.type, event.id, sealed, None)
    assert erased["text"] == ERASED and erased["location"] is None
    assert erased["category"] == "parking" and erased["case_id"] == "c-1"
    # The placeholders still make a valid event: handlers need no change.
    assert CaseSubmitted.model_validate(erased).text == "[erased]"
    # A clear event of an erased case (published before keys existed) reads the same.
    assert erase(event.type, event.data) == erased


def test_optional_fields_left_empty_stay_empty_and_unkeyed_types_pass_through() -> None:
    rated = Envelope.wrap(
        CaseRated(
            case_id="c-1", station_id="xijie", actor_role="resident", at=AT, rating="satisfied"
        ),
        source="minyi/intake",
        subject="c-1",
        correlation_id="corr",
    )
    assert case_of(rated.type, rated.data) is None  # no comment: nothing to seal
    assert seal(rated.type, rated.id, rated.data, new_key()) == rated.data
    assert unseal(rated.type, rated.id, rated.data, None)["comment"] is None
    assert seal("case.closed", "e-1", {"case_id": "c-1"}, new_key()) == {"case_id": "c-1"}


def test_envelopes_are_sealed_and_opened_by_their_cases_key() -> None:
    a, b = submitted("c-a"), responded("c-b")
    keys: dict[str, bytes | None] = {"c-a": new_key(), "c-b": new_key()}
    assert cases_of([a, b]) == {"c-a", "c-b"}
    sealed_a, sealed_b = seal_envelope(a, keys), seal_envelope(b, keys)
    assert TEXT not in sealed_a.to_bytes().decode()
    assert (sealed_a.id, sealed_a.subject, sealed_a.type) == (a.id, a.subject, a.type)
    assert open_envelope(sealed_a, keys).data == a.data
    assert open_envelope(sealed_b, keys).data == b.data
    # Not here yet: wait for it; shredded: placeholders; a clear event needs no key.
    with pytest.raises(KeyNotHere) as awaited:
        open_envelope(sealed_a, {})
    assert awaited.value.case_id == "c-a"
    assert open_envelope(sealed_b, {"c-b": None}).data["response"] == ERASED
    assert open_envelope(a, {}) is a
    # A case without a key goes out as it is; one shredded goes out with placeholders.
    assert seal_envelope(a, {}) is a
    assert seal_envelope(b, {"c-b": None}).data["response"] == ERASED


def test_a_message_between_station_and_resident_is_sealed() -> None:
    message = Envelope.wrap(
        CaseMessageSent(
            case_id="c-1",
            station_id="xijie",
            actor_role="resident",
            at=AT,
            message_id=str(uuid.uuid4()),
            direction="to_station",
            text="是东门，靠近3号楼",
        ),
        source="minyi/intake",
        subject="c-1",
        correlation_id="corr",
    )
    sealed = seal_envelope(message, {"c-1": new_key()})
    assert "3号楼" not in sealed.to_bytes().decode()
    assert sealed.data["direction"] == "to_station"


def _is_text(annotation: Any) -> bool:
    if annotation is str:
        return True
    if get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_is_text(a) for a in get_args(annotation))
    return False


# Text fields of case events that are not personal: ids, names of staff and places, the
# routing rule that chose a holder. A new free-text field must be sealed or named here.
CLEAR_TEXT = {
    "case_id",
    "category",
    "station_id",
    "station_name",
    "liaison_point_id",
    "representative_code",
    "representative_name",
    "actor_id",
    "meeting_id",
    "into_case_id",
    "department_id",
    "department_name",
    "from_representative",
    "to_representative",
    "from_stage",
    "to_stage",
    "message_id",
    "supervision_id",
    "case.assigned:reason",
    # Formal suggestions: the representative's and the department's public-facing work, never
    # copied from a case (docs/suggestions.md).
    "suggestion_id",
    "number",
    "lead_representative",
    "case.suggestion_linked:title",
    "case.suggestion_answered:title",
    "case.suggestion_answered:answer",
    "case.suggestion_evaluated:comment",
    # "Me too" and merged cases: opaque ids (the supporter's contact travels only on the
    # private resident-contacts topic), and the surviving case a merged case's resident rated.
    "supporter_id",
    "answer_of",
    # A deliberation meeting's agenda item: its number within the meeting (the title and the
    # decision are sealed).
    "case.meeting_decided:item_id",
}


@pytest.mark.parametrize("model", list(CASE_EVENT_TYPES.values()), ids=lambda m: m.TYPE)
def test_every_text_field_of_a_case_event_is_sealed_or_known_to_be_clear(
    model: type[EventData],
) -> None:
    sealed = {f.name for f in PERSONAL_FIELDS.get(model.TYPE, ())}
    for name, field in model.model_fields.items():
        if not _is_text(field.annotation) or name in sealed:
            continue
        assert name in CLEAR_TEXT or f"{model.TYPE}:{name}" in CLEAR_TEXT, (
            f"{model.TYPE}.{name} is text: seal it (shared.sealing) or list it as clear"
        )
    for name in sealed:
        assert name in model.model_fields, f"{model.TYPE} has no field {name}"


@pytest.mark.parametrize(
    "model",
    [m for m in all_event_models() if m.TYPE in PERSONAL_FIELDS],
    ids=lambda m: m.TYPE,
)
def test_a_sealed_event_fits_the_payload_the_asyncapi_document_declares(
    model: type[EventData],
) -> None:
    event = sample_event(model)
    envelope = Envelope.model_validate(event)
    sealed = orjson.loads(seal_envelope(envelope, {event["data"]["case_id"]: new_key()}).to_bytes())
    assert any(is_sealed(sealed["data"][f.name]) for f in PERSONAL_FIELDS[model.TYPE])
    validator = payload_validator(model)
    validator.validate(sealed)
    validator.validate(event)
    broken = {f.name: {"sealed": "not a token"} for f in PERSONAL_FIELDS[model.TYPE]}
    assert not validator.is_valid({**sealed, "data": {**sealed["data"], **broken}})
