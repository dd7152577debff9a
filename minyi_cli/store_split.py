"""Moves routing's, notify's and reporting's databases out of intake's store, where `make up`
kept every service's database before each service got a store of its own (docs/operations.md,
"One store per service"). deploy/local/infra.sh runs it once the stores answer, while none of
the services it starts is running; with nothing to move it does nothing.

A database is copied collection by collection (indexes first, then the documents in batches),
checked by count, and only then dropped from intake's store. While it is copied, the copy holds
a `_store_split` collection: a move cut short is found by it and started over (the partial copy
dropped first), so a database is always whole in one place. A service's database found in both
stores without that mark (one written with MINYI_STORES=shared after the split, say) is not
touched: the service uses its own store's, and which one to keep is the operator's call.

    python -m minyi_cli.store_split [--namespace NS] [SERVICE=URL ...]

Each SERVICE=URL names a service's store (`infra.sh store-urls`); by default LOCAL_STORES.
"""

from __future__ import annotations

import argparse
import sys

from pymongo import MongoClient

from shared.mongo import Document
from shared.settings import LOCAL_STORES, database_prefix

BATCH = 500
MOVING = "_store_split"
"""The collection that marks a copy as unfinished."""


class BothStores(RuntimeError):
    """A service's database is in intake's store and in its own, and no move was under way."""


def move_database(source: MongoClient[Document], target: MongoClient[Document], name: str) -> int:
    """Copies `name` from `source` to `target`, checks it, drops it from `source`; returns the
    documents moved."""
    # Imported only for a move: infra.sh runs this module at every start, and the backup's
    # modules take longer to import than the check that finds nothing to move.
    from minyi_cli.backup.files import ejson
    from minyi_cli.backup.store import index_model

    target.drop_database(name)
    target[name][MOVING].insert_one({"_id": "moving", "from": "intake's store"})
    moved = 0
    for collection_name in sorted(source[name].list_collection_names()):
        if collection_name.startswith("system.") or collection_name == MOVING:
            continue
        origin = source[name][collection_name]
        copy = target[name][collection_name]
        target[name].create_collection(collection_name)
        models = [
            index_model(ejson(dict(spec)))
            for spec in origin.list_indexes()
            if spec["name"] != "_id_"
        ]
        if models:
            copy.create_indexes(models)
        batch: list[Document] = []
        for document in origin.find({}, batch_size=BATCH):
            batch.append(document)
            if len(batch) >= BATCH:
                copy.insert_many(batch)
                moved += len(batch)
                batch = []
        if batch:
            copy.insert_many(batch)
            moved += len(batch)
        expected, found = origin.count_documents({}), copy.count_documents({})
        if found != expected:
            raise RuntimeError(
                f"{name}.{collection_name}: {found} of {expected} documents copied; "
                f"{name} stays in intake's store"
            )
    source.drop_database(name)
    target[name].drop_collection(MOVING)
    return moved


def split_stores(*, namespace: str, stores: dict[str, str]) -> dict[str, int]:
    """Moves each service's database found in intake's store into the service's own; returns
    the documents moved per database."""
    prefix = database_prefix(namespace)
    moved: dict[str, int] = {}
    source: MongoClient[Document] = MongoClient(stores["intake"], tz_aware=True)
    try:
        present = set(source.list_database_names())
        for service, url in stores.items():
            name = prefix + service
            if url == stores["intake"] or name not in present:
                continue
            target: MongoClient[Document] = MongoClient(url, tz_aware=True)
            try:
                if name in target.list_database_names() and (
                    MOVING not in target[name].list_collection_names()
                ):
                    raise BothStores(
                        f"{name} is in intake's store ({stores['intake']}) and in {service}'s "
                        f"({url}); {service} uses the one in its own store. Keep one: drop the "
                        "other (intake's: .venv/bin/python -c \"import pymongo; pymongo."
                        f"MongoClient('{stores['intake']}').drop_database('{name}')\"), then "
                        "start again"
                    )
                print(f"moving {name} from intake's store to {url}", flush=True)
                moved[name] = move_database(source, target, name)
                print(f"moved {name}: {moved[name]} documents", flush=True)
            finally:
                target.close()
    finally:
        source.close()
    return moved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--namespace", default="")
    parser.add_argument("stores", nargs="*", metavar="SERVICE=URL")
    options = parser.parse_args()
    stores = {**LOCAL_STORES, **dict(pair.split("=", 1) for pair in options.stores)}
    try:
        split_stores(namespace=options.namespace, stores=stores)
    except Exception as exc:  # one line for infra.sh to show, not a traceback
        print(f"error: could not move the services' databases apart: {exc}", file=sys.stderr)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
