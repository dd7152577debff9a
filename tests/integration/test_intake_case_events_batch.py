"""intake folds a polled batch of case events into the residents' view, on the real store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from pymongo import AsyncMongoClient

from services.intake.adapters.case_repository import CaseRepository
from services.intake.domain.cases import CaseCreate, CaseSnapshot, open_case
from services.intake.domain.timeline import TimelineChange
from services.intake.handlers.case_events import on_case_events
from shared.dispatch import Event
from shared.events.case_events import CaseAccepted, CaseAssigned, CaseResponded
from shared.events.envelope import Envelope, EventData
from shared.mongo import Document
from tests.conftest import PlumbingSettings

AT = datetime.now(UTC)


def consumed(data: EventData, case_id: str) -> Event[EventData]:
    envelope = Envelope.wrap(data, source="test", subject=case_id, correlation_id="c-" + case_id)
    return Event.of(envelope, data)


def lifecycle(case_id: str) -> list[Event[EventData]]:
    common = {"case_id": case_id, "station_id": "xijie", "actor_id": "0412"}
    return [
        consumed(
            CaseAssigned(
                case_id=case_id,
                category="parking",
                station_id="xijie",
                station_name="西街联络站",
                representative_code="0412",
                representative_name="张献平",
                reason="qr",
                assigned_at=AT,
            ),
            case_id,
        ),
        consumed(
            CaseAccepted(
                **common,
                actor_role="representative",
                representative_code="0412",
                at=AT + timedelta(minutes=1),
            ),
            case_id,
        ),
        consumed(
            CaseResponded(
                **common, actor_role="staff", response="已增加车位", at=AT + timedelta(days=2)
            ),
            case_id,
        ),
    ]


async def stored_case(cases: CaseRepository) -> str:
    new = open_case(CaseCreate(category="parking", text="小区停车位不够用", channel="web"), now=AT)
    submitted = Envelope.wrap(new.submitted, source="test", subject=new.case_id, correlation_id="c")
    await cases.add(new, submitted, idempotency_key=None, fingerprint="f")
    return new.case_id


async def test_a_batch_of_several_cases_lands_in_order_once_even_when_redelivered(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    cases = CaseRepository(mongo[settings.database_name])
    await cases.ensure_indexes()
    first, second = await stored_case(cases), await stored_case(cases)
    batch = [e for pair in zip(lifecycle(first), lifecycle(second), strict=True) for e in pair]

    await on_case_events(batch, cases=cases)
    await on_case_events(batch[2:], cases=cases)  # redelivered after a crash

    for case_id in (first, second):
        stored = await cases.collection.find_one({"_id": case_id})
        assert stored is not None
        assert stored["status"] == "responded" and stored["response"] == "已增加车位"
        assert [s["status"] for s in stored["timeline"]] == [
            "submitted",
            "assigned",
            "accepted",
            "responded",
        ]
        assert stored["representative"] == {"code": "0412", "name": "张献平"}


async def test_a_case_a_resident_changed_meanwhile_is_applied_event_by_event(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    cases = CaseRepository(mongo[settings.database_name])
    await cases.ensure_indexes()
    case_id = await stored_case(cases)
    events = lifecycle(case_id)
    await on_case_events(events[:1], cases=cases)

    class RacingRepository(CaseRepository):
        """The real repository; a resident's write lands between the read and the write."""

        async def apply_changes(
            self, batch: Sequence[tuple[CaseSnapshot, Sequence[tuple[str, TimelineChange]]]]
        ) -> bool:
            await self.collection.update_one(
                {"_id": case_id}, {"$set": {"awaiting_reply": False}, "$inc": {"version": 1}}
            )
            return await super().apply_changes(batch)

    await on_case_events(events, cases=RacingRepository(mongo[settings.database_name]))

    stored = await cases.collection.find_one({"_id": case_id})
    assert stored is not None
    assert [s["status"] for s in stored["timeline"]] == [
        "submitted",
        "assigned",
        "accepted",
        "responded",
    ]
