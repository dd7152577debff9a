"""The directory in routing's store at city size: the city's file stored whole, read back the
same, and stored again with only what changed written, each change with its event."""

from __future__ import annotations

from pymongo import AsyncMongoClient

from services.routing.adapters.directory_repository import (
    CITY_DIRECTORY,
    DirectoryRepository,
    read_directory_file,
)
from services.routing.domain.directory import with_entry
from services.routing.settings import RoutingSettings
from shared.mongo import Document, service_database
from shared.outbox import OUTBOX, OUTBOX_COUNT
from tests.conftest import PlumbingSettings


async def test_the_city_is_stored_whole_and_stored_again_only_where_it_changed(
    settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> None:
    routing = RoutingSettings(
        kafka_bootstrap=settings.kafka_bootstrap,
        mongo_url=settings.mongo_url,
        namespace=settings.namespace,
    )
    db = service_database(mongo, routing)
    city = read_directory_file(CITY_DIRECTORY)

    await DirectoryRepository(db).save(city)

    assert await DirectoryRepository(db).load() == city
    for collection, count in (("representatives", 1027), ("stations", 19)):
        assert await db[collection].count_documents({OUTBOX_COUNT: 1}) == count
    # As the relay leaves them once published.
    for collection in ("representatives", "stations", "liaison_points", "directory_settings"):
        await db[collection].update_many({}, {"$unset": {OUTBOX: "", OUTBOX_COUNT: ""}})

    rep = city.representative("0412")
    assert rep is not None
    renamed = with_entry(
        city, "representatives", {**rep.model_dump(mode="json"), "name": "改名后的代表"}
    )
    await DirectoryRepository(db).save(renamed)

    pending = await db["representatives"].find({OUTBOX_COUNT: {"$gt": 0}}).to_list()
    assert [d["_id"] for d in pending] == ["0412"]
    assert [e["event"]["data"]["entry"]["name"] for e in pending[0][OUTBOX].values()] == [
        "改名后的代表"
    ]
    for collection in ("stations", "liaison_points", "directory_settings"):
        assert await db[collection].count_documents({OUTBOX_COUNT: {"$gt": 0}}) == 0
    loaded = await DirectoryRepository(db).load()
    assert loaded is not None
    assert {r.code: r for r in loaded.representatives} == {
        r.code: r for r in renamed.representatives
    }
