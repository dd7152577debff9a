"""A backup of `make up`'s deployment reads each service's database from that service's store,
and a restore writes it back there (minyi_cli.backup.store.Stores), on the four local stores
`infra.sh` starts."""

from __future__ import annotations

import asyncio
import io
import json
import socket
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pymongo import AsyncMongoClient

from minyi_cli.app import CliSettings
from minyi_cli.backup.files import read_lines
from minyi_cli.backup.progress import LineSteps
from minyi_cli.backup.store import Stores, dump_databases, restore_collection
from minyi_cli.store_split import MOVING, BothStores, split_stores
from shared.mongo import Document
from shared.settings import LOCAL_STORES
from tests.conftest import drop_namespace_databases, new_namespace


def _answers(url: str) -> bool:
    parts = urlsplit(url)
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((parts.hostname or "", parts.port or 27017)) == 0


pytestmark = pytest.mark.skipif(
    not all(_answers(url) for url in LOCAL_STORES.values()),
    reason="needs the local deployment's four stores (deploy/local/infra.sh, per service)",
)


@pytest.fixture
def clean(monkeypatch: pytest.MonkeyPatch) -> None:
    # No MINYI_MONGO_URL: the settings name each service's own store, as under `make up`.
    for name in ("MINYI_MONGO_URL", "MINYI_MONGO_URL_FILE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def namespaces(clean: None) -> AsyncIterator[tuple[CliSettings, CliSettings]]:
    made = (CliSettings(namespace=new_namespace()), CliSettings(namespace=new_namespace()))
    yield made
    for settings in made:
        for url in LOCAL_STORES.values():
            await drop_namespace_databases(settings.model_copy(update={"mongo_url": url}))


def client(service: str) -> AsyncMongoClient[Document]:
    return AsyncMongoClient(LOCAL_STORES[service])


@asynccontextmanager
async def in_both(
    settings: CliSettings, service: str
) -> AsyncIterator[tuple[str, AsyncMongoClient[Document], AsyncMongoClient[Document]]]:
    """The service's database name, intake's store and the service's own."""
    name = settings.model_copy(update={"service_name": service}).database_name
    intake, own = client("intake"), client(service)
    try:
        yield name, intake, own
    finally:
        await intake.close()
        await own.close()


def split(settings: CliSettings) -> Awaitable[dict[str, int]]:
    return asyncio.to_thread(split_stores, namespace=settings.namespace, stores=LOCAL_STORES)


async def test_each_database_goes_out_of_and_back_into_its_services_store(
    namespaces: tuple[CliSettings, CliSettings], tmp_path: Path
) -> None:
    source, target = namespaces
    async with in_both(source, "routing") as (routing_db, intake, routing):
        await intake[source.model_copy(update={"service_name": "intake"}).database_name][
            "cases"
        ].insert_one({"_id": "i1"})
        await routing[routing_db]["cases"].insert_one({"_id": "r1", "status": "assigned"})
        await routing[routing_db]["cases"].create_index("status")
        # A copy left in intake's store (the layout before one store per service) is not
        # routing's database any more: never backed up in its place.
        await intake[routing_db]["cases"].insert_one({"_id": "stale"})

        stores = Stores(source)
        try:
            entries = await dump_databases(stores, source, tmp_path, LineSteps(io.StringIO()))
        finally:
            await stores.close()

        assert {(e.service, e.name): e.documents for e in entries} == {
            ("intake", "cases"): 1,
            ("routing", "cases"): 1,
        }
        routing_entry = next(e for e in entries if e.service == "routing")
        dumped = read_lines(tmp_path, routing_entry.file.path)
        assert [json.loads(line)["_id"] for line in dumped] == ["r1"]

        stores = Stores(target)
        try:
            for entry in entries:
                await restore_collection(stores, target, entry, tmp_path, LineSteps(io.StringIO()))
        finally:
            await stores.close()

        restored = target.model_copy(update={"service_name": "routing"}).database_name
        assert await routing[restored]["cases"].find().to_list() == [
            {"_id": "r1", "status": "assigned"}
        ]
        assert "status_1" in await routing[restored]["cases"].index_information()
        assert restored not in await intake.list_database_names()


async def test_a_database_left_in_intakes_store_moves_whole_into_its_own(
    namespaces: tuple[CliSettings, CliSettings],
) -> None:
    settings, _ = namespaces
    async with in_both(settings, "notify") as (name, intake, notify):
        await intake[name]["inbox"].insert_many([{"_id": f"m{i}", "to": "r1"} for i in range(1200)])
        await intake[name]["inbox"].create_index("to", name="to_1")
        await intake[name]["deliveries"].insert_one({"_id": "d1"})
        # What a move cut short left behind (marked): dropped, then copied again whole.
        await notify[name]["inbox"].insert_one({"_id": "m0", "to": "partial"})
        await notify[name][MOVING].insert_one({"_id": "moving"})

        moved = await split(settings)

        assert moved == {name: 1201}
        assert name not in await intake.list_database_names()
        assert await notify[name]["inbox"].count_documents({"to": "r1"}) == 1200
        assert await notify[name]["inbox"].count_documents({}) == 1200
        assert "to_1" in await notify[name]["inbox"].index_information()
        assert await notify[name]["deliveries"].find_one({}) == {"_id": "d1"}
        assert MOVING not in await notify[name].list_collection_names()
        # Run again (every later start): nothing left to move.
        assert await split(settings) == {}


async def test_a_database_in_both_stores_without_a_move_under_way_is_left_to_the_operator(
    namespaces: tuple[CliSettings, CliSettings],
) -> None:
    settings, _ = namespaces
    async with in_both(settings, "reporting") as (name, intake, reporting):
        await intake[name]["now"].insert_one({"_id": "written-while-shared"})
        await reporting[name]["now"].insert_one({"_id": "the-services-own"})

        with pytest.raises(BothStores, match=f"{name} is in intake's store"):
            await split(settings)

        assert await intake[name]["now"].find().to_list() == [{"_id": "written-while-shared"}]
        assert await reporting[name]["now"].find().to_list() == [{"_id": "the-services-own"}]
