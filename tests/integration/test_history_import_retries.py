"""The historical import on the real store when the store fails for a moment: a batch whose
answer was lost is inserted again, and nothing is stored twice; a real error still stops it."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from pymongo import AsyncMongoClient
from pymongo.errors import AutoReconnect, OperationFailure

from services.intake.adapters.history_import_repository import HistoryImportRepository, Inserted
from services.intake.handlers import history_import
from services.intake.handlers.history_import import insert_patiently
from services.intake.settings import IntakeSettings
from shared.mongo import Document, service_database
from tests.conftest import PlumbingSettings


class LosesAnswers(HistoryImportRepository):
    """Stores each batch, then fails like a dropped connection the first `lost` times."""

    def __init__(self, *args: object, lost: int, error: Exception, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lost = lost
        self.error = error
        self.calls = 0

    async def insert(self, documents: Sequence[Document]) -> Inserted:
        inserted = await super().insert(documents)
        self.calls += 1
        if self.calls <= self.lost:
            raise self.error
        return inserted


def batch(size: int) -> list[Document]:
    return [{"_id": f"case-{i}", "idempotency_key": f"import:row-{i}"} for i in range(size)]


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(history_import, "FIRST_RETRY_SECONDS", 0.01)


async def test_a_batch_whose_answer_was_lost_is_inserted_again_once(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    db = service_database(mongo, IntakeSettings(namespace=settings.namespace))
    imports = LosesAnswers(db, lost=2, error=AutoReconnect("connection closed"))

    result = await insert_patiently(imports, batch(50))

    assert imports.calls == 3
    # The first attempt stored the batch: the third finds every case there.
    assert result == Inserted(inserted=0, already=50)
    assert await db["cases"].count_documents({}) == 50


async def test_a_store_that_stays_away_or_a_real_error_stops_the_import(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    db = service_database(mongo, IntakeSettings(namespace=settings.namespace))
    away = LosesAnswers(db, lost=100, error=AutoReconnect("connection closed"))
    with pytest.raises(AutoReconnect):
        await insert_patiently(away, batch(5))
    assert away.calls == history_import.STORE_ATTEMPTS

    refused = LosesAnswers(db, lost=100, error=OperationFailure("not authorized", code=13))
    with pytest.raises(OperationFailure):
        await insert_patiently(refused, batch(5))
    assert refused.calls == 1
