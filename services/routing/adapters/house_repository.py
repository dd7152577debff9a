"""Dilapidated houses in routing's database (`houses`), with their outgoing events.

Each change of a house is one write guarded by its `version`, carrying its event to the `houses`
topic in the same document (outbox). A linked case names its house in its own `house_id`,
set with a single-document update that leaves the case's `version` alone: linking is not a
state change of the case and must not make a staff member's If-Match fail.

Lists are ordered by station, `address_key` (the address folded for comparing) and id, so
paging and the search by the start of an address are ranges of one index, a station at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from services.routing.domain.house_repair import STAGES, Stage
from services.routing.domain.houses import House, count_stages
from shared.events.envelope import Envelope
from shared.mongo import Document
from shared.outbox import HIDE_OUTBOX, ensure_outbox_index, queue_events, with_outbox
from shared.pagination import after_key_ascending, fill_page
from shared.topics import HOUSES

_HIDDEN = {**HIDE_OUTBOX, "address_key": 0}
# Above every character an address holds: the end of the range of a prefix.
_PREFIX_END = "\U0010ffff"


class HouseChanged(Exception):
    """The house changed since it was read (409), or since the version given (412)."""

    def __init__(self, house_id: str, current: House | None = None) -> None:
        super().__init__(f"house {house_id} changed meanwhile; reload and try again")
        self.house_id = house_id
        self.current = current
        self.precondition_failed = False


def address_key(address: str) -> str:
    """The address as lists sort and search it: case and spacing folded."""
    return " ".join(address.split()).casefold()


def house_key(house: House) -> tuple[str, str, str]:
    """Where a house sorts in a list (by station, address, id): the key its cursor names."""
    return house.station_id, address_key(house.address), house.house_id


def _document(house: House) -> Document:
    data = house.model_dump(exclude={"consenting", "objecting", "allowed_stages"})
    return {"_id": data.pop("house_id"), "address_key": address_key(house.address), **data}


def _house(document: Document) -> House:
    data: dict[str, Any] = {k: v for k, v in document.items() if k not in _HIDDEN}
    return House.model_validate({"house_id": data.pop("_id"), **data})


class HouseRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection: AsyncCollection[Document] = db["houses"]
        self._cases: AsyncCollection[Document] = db["cases"]

    async def ensure_indexes(self) -> None:
        # A station's list and search (a city's passes station by station); the counts.
        await self.collection.create_index([("station_id", 1), ("address_key", 1), ("_id", 1)])
        await self.collection.create_index([("stage", 1), ("station_id", 1)])
        await ensure_outbox_index(self.collection)

    async def add(self, house: House, *, event: Envelope) -> None:
        await self.collection.insert_one(with_outbox(_document(house), [event], topic=HOUSES))

    async def get(self, house_id: str) -> House | None:
        document = await self.collection.find_one({"_id": house_id}, _HIDDEN)
        return _house(document) if document else None

    async def save(self, before: House, after: House, *, event: Envelope) -> None:
        """Replace the house's fields if nobody changed it since `before` was read."""
        fields = _document(after)
        fields.pop("_id")
        update = queue_events({"$set": fields}, [event], topic=HOUSES)
        result = await self.collection.update_one(
            {"_id": before.house_id, "version": before.version}, update
        )
        if result.matched_count != 1:
            raise HouseChanged(before.house_id)

    async def link_case(self, *, case_id: str, house_id: str) -> bool:
        """Name the house on the case, unless it names another; True when it names this one."""
        result = await self._cases.update_one(
            {"_id": case_id, "house_id": {"$in": [None, house_id]}},
            {"$set": {"house_id": house_id}},
        )
        return result.matched_count == 1

    async def list_houses(
        self,
        *,
        station_ids: Sequence[str],
        address: str | None = None,
        limit: int = 50,
        after: tuple[str, str, str] | None = None,
    ) -> list[House]:
        """Up to `limit` + 1 houses of the stations given, by station, then address, then id;
        `address`: only those whose address starts with it (case and spacing folded); with
        `after` (a page's cursor) only those that sort after it.

        One station at a time, so every read is an equality on the station and a range of its
        addresses (index `station_id, address_key, _id`): a city-wide list costs what the
        stations it passes through cost, never a walk of every house."""
        found: list[House] = []
        for station in sorted(set(station_ids)):
            if after is not None and station < after[0]:
                continue
            within = (after[1], after[2]) if after is not None and station == after[0] else None
            found += await self._station_page(
                station, address=address, limit=limit - len(found), after=within
            )
            if len(found) > limit:
                break
        return found[: limit + 1]

    async def _station_page(
        self, station_id: str, *, address: str | None, limit: int, after: tuple[str, str] | None
    ) -> list[House]:
        query: Document = {"station_id": station_id}
        key: Document = {}
        prefix = address_key(address) if address else ""
        start = max(prefix, after[0]) if after is not None else prefix
        if start:
            key["$gte"] = start
        if prefix:
            key["$lt"] = prefix + _PREFIX_END
        if key:
            query["address_key"] = key

        async def fetch(n: int) -> list[House]:
            cursor = self.collection.find(query, _HIDDEN).sort(
                [("address_key", ASCENDING), ("_id", ASCENDING)]
            )
            return [_house(d) for d in await cursor.limit(n).to_list()]

        def kept(houses: Sequence[House]) -> list[House]:
            ordered = sorted(houses, key=house_key)
            start_key = (station_id, *after) if after is not None else None
            return after_key_ascending(ordered, key=house_key, start=start_key)

        return await fill_page(fetch, keep=kept, limit=limit)

    async def stage_counts(self, *, station_id: str | None) -> dict[Stage, int]:
        """Houses per stage, every stage present, of a station or (None) the city."""
        match: Document = {"stage": {"$in": list(STAGES)}}
        if station_id is not None:
            match["station_id"] = station_id
        pipeline = [{"$match": match}, {"$group": {"_id": "$stage", "n": {"$sum": 1}}}]
        counts: dict[Stage, int] = count_stages(())
        async for row in await self.collection.aggregate(pipeline):
            counts[row["_id"]] = int(row["n"])
        return counts

    async def cases_of(self, house: House) -> list[Document]:
        """The house's cases as the house page lists them: status and stage, no text."""
        if not house.case_ids:
            return []
        projection = {
            "_id": 1,
            "status": 1,
            "category": 1,
            "station_id": 1,
            "house_id": 1,
            "house_repair.stage": 1,
            "version": 1,
        }
        rows = await self._cases.find({"_id": {"$in": house.case_ids}}, projection).to_list()
        order = {case_id: n for n, case_id in enumerate(house.case_ids)}
        return sorted(rows, key=lambda row: order.get(row["_id"], len(order)))
