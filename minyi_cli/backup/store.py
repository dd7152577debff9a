"""The stores' side: every database of the namespace, dumped collection by collection in
batches, and put back with `insert_many` and the same indexes. Each service's database is read
from and written to that service's store (one for all when MINYI_MONGO_URL is given)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient, IndexModel
from pymongo.asynchronous.collection import AsyncCollection

from minyi_cli.backup.files import (
    document_from_line,
    document_line,
    ejson,
    file_entry,
    from_ejson,
    open_lines,
    read_lines,
)
from minyi_cli.backup.manifest import CollectionEntry, collection_path
from minyi_cli.backup.progress import Steps
from shared.mongo import Document, insert_new, ping
from shared.settings import LOCAL_STORES, ServiceSettings, database_prefix

# Documents per read and per `insert_many`, and the bytes an insert batch stops at (a case
# with photos is large; the store takes a 48 MB message).
BATCH = 1000
BATCH_BYTES = 8 << 20
# What `list_indexes` says that is not an option of `create_index`.
_NOT_OPTIONS = {"v", "key", "ns", "name"}


def open_client(url: str) -> AsyncMongoClient[Document]:
    return AsyncMongoClient(
        url,
        tz_aware=True,
        retryWrites=False,
        serverSelectionTimeoutMS=5000,
        connectTimeoutMS=3000,
        appname="minyi-backup",
    )


class Stores:
    """A client per store that holds a service's database (ServiceSettings.store_url_of): one
    when MINYI_MONGO_URL names a store for all of them, as in compose; the four of `make up`
    otherwise. A database of a service not known here is looked for in MINYI_MONGO_URL's."""

    def __init__(self, settings: ServiceSettings) -> None:
        urls = {service: settings.store_url_of(service) for service in LOCAL_STORES}
        self._clients = {
            url: open_client(url) for url in sorted({settings.mongo_url, *urls.values()})
        }
        self._default = self._clients[settings.mongo_url]
        self._of = {service: self._clients[url] for service, url in urls.items()}

    def of(self, service: str) -> AsyncMongoClient[Document]:
        return self._of.get(service, self._default)

    @property
    def clients(self) -> list[AsyncMongoClient[Document]]:
        return list(self._clients.values())

    async def ping(self) -> None:
        for client in self.clients:
            await ping(client)

    async def close(self) -> None:
        for client in self.clients:
            await client.close()


async def namespace_databases(
    stores: Stores, settings: ServiceSettings
) -> dict[str, tuple[AsyncMongoClient[Document], str]]:
    """service → its store and database name, for the namespace's databases that exist where
    the service keeps them (a copy left in another store is not the service's)."""
    prefix = database_prefix(settings.namespace)
    found: dict[str, tuple[AsyncMongoClient[Document], str]] = {}
    for client in stores.clients:
        for name in sorted(await client.list_database_names()):
            service = name.removeprefix(prefix)
            if name.startswith(prefix) and name != prefix and stores.of(service) is client:
                found[service] = (client, name)
    return dict(sorted(found.items()))


async def first_document(stores: Stores, settings: ServiceSettings) -> str | None:
    """`database.collection` of some stored document of the namespace, or None."""
    for client, database in (await namespace_databases(stores, settings)).values():
        for collection in sorted(await client[database].list_collection_names()):
            if await client[database][collection].find_one({}, {"_id": 1}) is not None:
                return f"{database}.{collection}"
    return None


async def _dump_collection(
    collection: AsyncCollection[Document], directory: Path, relative: str, steps: Steps
) -> int:
    count = 0
    with open_lines(directory, relative) as out:
        batch: list[str] = []
        # Never the whole collection in memory: the cursor hands over one batch at a time.
        async for document in collection.find({}, batch_size=BATCH):
            batch.append(document_line(document))
            if len(batch) >= BATCH:
                out.write("\n".join(batch) + "\n")
                count += len(batch)
                steps.advance(len(batch))
                batch = []
        if batch:
            out.write("\n".join(batch) + "\n")
            count += len(batch)
            steps.advance(len(batch))
    return count


async def dump_databases(
    stores: Stores,
    settings: ServiceSettings,
    directory: Path,
    steps: Steps,
) -> list[CollectionEntry]:
    entries: list[CollectionEntry] = []
    for service, (client, name) in (await namespace_databases(stores, settings)).items():
        database = client[name]
        for collection_name in sorted(await database.list_collection_names()):
            if collection_name.startswith("system."):
                continue
            collection = database[collection_name]
            indexes = [
                ejson(dict(spec))
                async for spec in await collection.list_indexes()
                if spec["name"] != "_id_"
            ]
            relative = collection_path(service, collection_name)
            steps.begin(f"{name}.{collection_name}", await collection.estimated_document_count())
            documents = await _dump_collection(collection, directory, relative, steps)
            steps.end()
            entries.append(
                CollectionEntry(
                    service=service,
                    name=collection_name,
                    documents=documents,
                    indexes=indexes,
                    file=file_entry(directory, relative),
                )
            )
    return entries


def index_model(spec: dict[str, Any]) -> IndexModel:
    decoded: dict[str, Any] = from_ejson(spec)
    options = {k: v for k, v in decoded.items() if k not in _NOT_OPTIONS}
    return IndexModel(list(decoded["key"].items()), name=decoded["name"], **options)


async def restore_collection(
    stores: Stores,
    settings: ServiceSettings,
    entry: CollectionEntry,
    directory: Path,
    steps: Steps,
) -> int:
    """Creates the collection's indexes, then inserts its documents (one already there by `_id`
    is left as it is: only a forced restore meets one). Returns the documents inserted."""
    name = settings.model_copy(update={"service_name": entry.service}).database_name
    database = stores.of(entry.service)[name]
    if entry.name not in await database.list_collection_names():
        await database.create_collection(entry.name)
    collection = database[entry.name]
    if entry.indexes:
        # Before the documents: on SecantusDB, indexing 2,500 stored documents took 9.8 s,
        # inserting them into the indexed collection 2.0 s (unindexed: 0.35 s).
        await collection.create_indexes([index_model(spec) for spec in entry.indexes])
    steps.begin(f"{name}.{entry.name}", entry.documents)
    inserted = 0
    batch: list[Document] = []
    size = 0
    for line in read_lines(directory, entry.file.path):
        batch.append(document_from_line(line))
        size += len(line)
        if len(batch) >= BATCH or size >= BATCH_BYTES:
            inserted += len(await insert_new(collection, batch))
            steps.advance(len(batch))
            batch, size = [], 0
    if batch:
        inserted += len(await insert_new(collection, batch))
        steps.advance(len(batch))
    steps.end()
    return inserted
