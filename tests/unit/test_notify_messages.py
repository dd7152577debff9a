"""Who hears about a new case, and what they read."""

from __future__ import annotations

from datetime import UTC, datetime

from services.notify.domain.messages import new_case_message, recipient_for
from shared.events.case_events import CaseAssigned


def assigned(
    representative_code: str | None, reason: str = "qr: representative 0412"
) -> CaseAssigned:
    return CaseAssigned(
        case_id="case-1",
        category="parking",
        station_id="xijie",
        station_name="西街联络站",
        representative_code=representative_code,
        representative_name="张献平" if representative_code else None,
        reason=reason,
        assigned_at=datetime(2025, 3, 14, tzinfo=UTC),
    )


def test_a_case_held_by_a_representative_goes_to_that_representative() -> None:
    assert recipient_for(assigned("0412")) == "representative:0412"


def test_a_queued_case_goes_to_the_station_queue() -> None:
    assert recipient_for(assigned(None)) == "station:xijie"


def test_the_representatives_message_addresses_them_and_gives_the_reason() -> None:
    message = new_case_message(assigned("0412", reason="point 白云, least load 2 of 5"))

    assert message.recipient == "representative:0412"
    assert "parking" in message.title
    assert "分派给您" in message.body
    assert message.body.endswith("分派原因：point 白云, least load 2 of 5")


def test_the_station_queue_message_names_the_station_and_gives_the_reason() -> None:
    reason = "point 河星 has no active representative; station queue of 西街联络站"

    message = new_case_message(assigned(None, reason=reason))

    assert message.recipient == "station:xijie"
    assert "分派给西街联络站" in message.body
    assert reason in message.body
