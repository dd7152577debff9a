"""reporting's read models in its own database, updated in batches and idempotent per event.

| collection | one document per | holds |
| --- | --- | --- |
| `station_days` | station and day | buckets by (dimension, key), `seen`, `v` (station_days.py) |
| `key_stations` | dimension and key | the stations it has buckets at |
| `cases` | case | its state now (status, holder, open, overdue, stage), `applied.<event>` |
| `houses` | dilapidated house | its station, stage and consent figures now, and their `version` |
| `names` | directory entry | name (and station) of a station, representative, category, point |
| `now` | dimension, station and key | cases `open` and `overdue` now (domain/now_counts.py) |
| `control` | — | the rebuild lock |
| `monthly`, `month_changes`, `month_built` | — | the months' roll-ups (adapters/monthly.py) |

A station's day remembers the events it has counted (`seen`) in the same document as the counts,
so counting an event and recording it is one atomic write: a batch reads its days, drops the
events they have counted, and writes each day whole over the version (`v`) it read. A case
event's token is needed there only until its case is saved with it (from then on the case's
`applied` drops the event before it is counted), so the next write of the day from this
process removes the tokens of cases saved since (`settle`): a busy day stays the size of a
batch instead of growing with every event of the day, and each of its writes costs the same at
the day's end as at its start. Meetings are counted in the buckets only, so their tokens
stay. A case document is replaced only if nobody changed it since it was read (`n`, the number
of events applied), so two writers never interleave a case's events.

The `now` counters move after the case documents are written, by what each case's flags changed.
A batch that stops between the two leaves them off; `recount_now` sets them from the cases, at
start and every `MINYI_NOW_RECOUNT_SECONDS`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pymongo import ReplaceOne, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.reporting.adapters import legacy, station_days
from services.reporting.adapters.legacy import legacy_changes
from services.reporting.adapters.monthly import COLLECTIONS as MONTHLY_COLLECTIONS
from services.reporting.adapters.monthly import MonthlyRollups
from services.reporting.domain.case_state import CaseState
from services.reporting.domain.contributions import Contribution, Dimension
from services.reporting.domain.figures import Now
from services.reporting.domain.house_repair import (
    STAGES,
    ConsentFigures,
    HouseFigures,
    consent_figures,
)
from services.reporting.domain.now_counts import (
    CASE_FIELD,
    CITY,
    Held,
    NowKey,
    now_counted,
    now_shifts,
)
from services.reporting.domain.rollups import spans_of, split_period
from shared.errors import TransientError
from shared.logging import get_logger
from shared.mongo import Document, find_in, insert_new, is_duplicate_key
from shared.zones import city_day

log = get_logger(__name__)

# `daily`: the buckets as they were stored before `station_days` (legacy.py moves them).
COLLECTIONS = (
    station_days.COLLECTION,
    station_days.KEY_STATIONS,
    legacy.COLLECTION,
    "cases",
    "names",
    "houses",
    "now",
    *MONTHLY_COLLECTIONS,
)


def token(prefix: str, identifier: str) -> str:
    """A map key for an id: no dots or dollars, never starting like an array index."""
    return prefix + "".join(c for c in identifier if c not in "-.$")


def _case_fields(state: CaseState) -> Document:
    """The stored state, and its fields flattened for the indexed queries of the state now."""
    dumped = state.model_dump(mode="json")
    return {
        "state": dumped,
        "open": state.open,
        "overdue": state.overdue,
        "stage": state.stage,
        **{CASE_FIELD[d]: dumped[CASE_FIELD[d]] for d in CASE_FIELD},
    }


class StoredCase:
    def __init__(self, state: CaseState, applied: frozenset[str], version: int | None) -> None:
        self.state = state
        self.applied = applied
        self.version = version


# Rounds of reading and writing a batch's buckets before giving up for a while (a transient
# error: the consumer retries the batch later).
BUCKET_ROUNDS = 5
# Station days whose settled tokens this process remembers: beyond it, the oldest are forgotten
# and their tokens stay stored (as before settling existed), which is harmless.
SETTLED_BUCKETS_KEPT = 20_000
# One key's buckets are read station by station up to this many stations, and from every
# station's days beyond (a category is counted at most stations).
STATIONS_READ_ONE_BY_ONE = 4
# Old buckets moved per round at start (legacy.py).
LEGACY_SLICE = 500
# In `control`: the time zone the daily buckets are counted in.
DAYS_RECORD = "days"


class ReadModels:
    def __init__(self, db: AsyncDatabase[Document], *, zone: ZoneInfo) -> None:
        self._db = db
        # The city's time zone: where the daily buckets' days begin and end.
        self.zone = zone
        self._monthly = MonthlyRollups(db)
        # Per station day, the `seen` tokens of events whose cases are saved: removed at its next
        # write.
        self._settled: dict[str, set[str]] = {}
        # (dimension, key, station) this process has stored in `key_stations`.
        self._key_stations: set[tuple[str, str, str]] = set()

    def today(self) -> date:
        """Today in the city: the last day a report's period may name."""
        return city_day(datetime.now(UTC), self.zone)

    async def ensure_indexes(self) -> None:
        await self.check_day_zone()
        await station_days.ensure_indexes(self._db)
        await self.move_legacy_buckets()
        cases = self._db["cases"]
        await cases.create_index([("open", 1), ("station_id", 1)])
        # Overdue cases are counted from the open ones (`recount_now`); every index costs each
        # case write (about 0.35 ms on SecantusDB), so stores that still have it lose it.
        if "overdue_1_station_id_1" in await cases.index_information():
            await cases.drop_index("overdue_1_station_id_1")
        await cases.create_index([("stage", 1), ("station_id", 1)])
        await self._db["now"].create_index([("dimension", 1), ("station_id", 1)])
        # The stages and the consent figures now, per station and city.
        await self._db["houses"].create_index([("stage", 1), ("station_id", 1)])
        await self._monthly.ensure_indexes()

    async def move_legacy_buckets(self, *, slice_size: int = LEGACY_SLICE) -> int:
        """Move the buckets stored before `station_days` into it (legacy.py), a slice at a time,
        then drop their collection. Returns how many were moved. At start, before the consumers
        fold anything (they wait for the schema)."""
        if legacy.COLLECTION not in await self._db.list_collection_names():
            return 0
        old = self._db[legacy.COLLECTION]
        moved = 0
        while batch := await old.find({}).sort("_id", 1).limit(slice_size).to_list():
            await self.add([change for bucket in batch for change in legacy_changes(bucket)])
            await old.delete_many({"_id": {"$in": [bucket["_id"] for bucket in batch]}})
            moved += len(batch)
            log.info("reporting.legacy_buckets_moved", moved=moved)
        await old.drop()
        return moved

    async def check_day_zone(self) -> str:
        """Record the zone the daily buckets are counted in, and warn when the stored ones were
        counted in another: they stay on the days they were counted on until a rebuild (the
        log names it). Returns that zone. Before the schema is set up: buckets stored before the
        record existed (their collections are there) were counted in UTC days; a store without
        them (a new deployment, a rebuild's first start) counts in this zone from the start."""
        control = self._db["control"]
        record = await control.find_one({"_id": DAYS_RECORD})
        if record is None:
            # The catalog, not the buckets: the store reads every match of a query.
            counted = {station_days.COLLECTION, legacy.COLLECTION} & set(
                await self._db.list_collection_names()
            )
            record = {"_id": DAYS_RECORD, "zone": "UTC" if counted else self.zone.key}
            with contextlib.suppress(DuplicateKeyError):
                await control.insert_one(record)
        if record["zone"] != self.zone.key:
            log.warning(
                "reporting.days_counted_in_another_zone",
                counted_in=record["zone"],
                zone=self.zone.key,
                fix="python -m services.reporting rebuild",
            )
        return str(record["zone"])

    async def drop(self) -> None:
        for name in COLLECTIONS:
            await self._db[name].drop()
        # What a rebuild counts next is counted in this process's zone.
        await self._db["control"].delete_one({"_id": DAYS_RECORD})

    # --- daily buckets ---------------------------------------------------------------------

    async def add(self, changes: Sequence[tuple[str, Contribution]]) -> int:
        """Apply (idempotency token, contribution) pairs: one read of the station days they
        touch, then one write per day. Returns how many contributions were new when read.

        Each day is written whole (its buckets and tokens as one value each) over the version it
        was read at: on SecantusDB an update naming a path per token and per counter cost a busy
        day tens of milliseconds (benchmarks/busy_day.py). The days another writer (a replica)
        changed or stored since they were read are read and written again, up to
        `BUCKET_ROUNDS` times; the events they counted meanwhile are known by their tokens."""
        grouped: dict[str, list[tuple[str, Contribution]]] = {}
        taken: set[tuple[str, str]] = set()
        for item in changes:
            # The same event twice in one batch counts once.
            pair = (item[0], item[1].bucket_id)
            if pair in taken:
                continue
            taken.add(pair)
            grouped.setdefault(station_days.day_of(item[1]), []).append(item)
        if not grouped:
            return 0
        await self._note_key_stations(changes)
        settled = {day: self._settled.pop(day, set()) for day in grouped}
        applied: int | None = None
        pruned: set[str] = set()
        pending = grouped
        for _ in range(BUCKET_ROUNDS):
            if not pending:
                break
            counted, rewritten, pending = await self._write_days(pending, settled)
            applied = counted if applied is None else applied
            pruned |= rewritten - set(pending)
        for day, tokens in settled.items():
            if tokens and day not in pruned:  # pruned another time
                self._settled.setdefault(day, set()).update(tokens)
        if pending:
            raise TransientError("buckets kept changing while events were counted into them")
        # After the buckets, so that a roll-up built meanwhile is known to be behind.
        await self._monthly.changed(
            {span for items in grouped.values() for span in spans_of(items[0][1].day)}
        )
        return applied or 0

    async def _write_days(
        self,
        grouped: dict[str, list[tuple[str, Contribution]]],
        settled: Mapping[str, set[str]],
    ) -> tuple[int, set[str], dict[str, list[tuple[str, Contribution]]]]:
        """One round: read the days, write each with what it has not counted. Returns how many
        contributions were new, the stored days rewritten (their settled tokens gone unless they
        are to do again), and the days to do again (changed meanwhile)."""
        stored = await self._stored_days(list(grouped))
        fresh: list[str] = []
        rewritten: list[str] = []
        ops: list[UpdateOne] = []
        applied = 0
        for day, items in grouped.items():
            before = stored.get(day)
            seen = station_days.tokens(before)
            new = [item for item in items if item[0] not in seen]
            if not new:
                continue
            applied += len(new)
            if before is None:
                fresh.append(day)
                continue
            rewritten.append(day)
            ops.append(station_days.rewrite_day(before, new, keep=seen - settled.get(day, set())))
        # New days go in with one `insert_many` (one commit for all of them, where each
        # statement of a `bulk_write` is a commit of its own): most of a history import's days,
        # and each station's first events of a day.
        again = await self._insert_days([station_days.new_day(grouped[d]) for d in fresh])
        if ops:
            result = await self._db[station_days.COLLECTION].bulk_write(ops, ordered=False)
            if result.matched_count < len(ops):
                # Which ones is not told: the next round reads them all, and skips what is done.
                again |= set(rewritten)
        return applied, set(rewritten), {day: grouped[day] for day in again}

    def settle(self, changes: Iterable[tuple[str, Contribution]]) -> None:
        """These case events' cases are saved with them: their tokens may leave their days."""
        for event_token, contribution in changes:
            self._settled.setdefault(station_days.day_of(contribution), set()).add(event_token)
        while len(self._settled) > SETTLED_BUCKETS_KEPT:
            del self._settled[next(iter(self._settled))]

    async def _stored_days(self, ids: list[str]) -> dict[str, Document]:
        found = await find_in(self._db[station_days.COLLECTION], "_id", ids)
        return {str(d["_id"]): d for d in found}

    async def _insert_days(self, documents: list[Document]) -> set[str]:
        """Insert new days; returns those another writer stored first."""
        stored = await insert_new(self._db[station_days.COLLECTION], documents)
        return {str(d["_id"]) for d in documents if d["_id"] not in stored}

    async def _note_key_stations(self, changes: Iterable[tuple[str, Contribution]]) -> None:
        """Remember the stations of the keys counted, once per process and key: before the
        buckets, so that a reader of a key never misses a station it has buckets at."""
        new = station_days.key_stations_of(changes) - self._key_stations
        if not new:
            return
        await self._db[station_days.KEY_STATIONS].bulk_write(
            [
                UpdateOne(
                    {"_id": station_days.key_station_id(dimension, key)},
                    {"$addToSet": {"stations": station}},
                    upsert=True,
                )
                for dimension, key, station in sorted(new)
            ],
            ordered=False,
        )
        self._key_stations |= new

    async def _stations_of(self, dimension: Dimension, keys: Iterable[str]) -> list[str]:
        found = await find_in(
            self._db[station_days.KEY_STATIONS],
            "_id",
            [station_days.key_station_id(dimension, key) for key in keys],
        )
        return sorted({str(s) for doc in found for s in doc.get("stations") or ()})

    async def buckets(
        self,
        dimension: Dimension,
        *,
        since: date,
        until: date,
        station_id: str | None = None,
        keys: Iterable[str] | None = None,
        rolled: bool = False,
    ) -> list[Document]:
        """The buckets of the period; `rolled`: past months, weeks and days as one roll-up per
        key (for figures summed over the period, not for series by day or week)."""
        wanted = None if keys is None else sorted(set(keys))
        if not rolled:
            return await self._daily(dimension, since, until, station_id, wanted)
        parts = split_period(since, until, today=self.today())
        found = await self._monthly.read(dimension, parts.spans, station_id=station_id, keys=wanted)
        for first, last in parts.day_ranges:
            found.extend(await self._daily(dimension, first, last, station_id, wanted))
        return found

    async def _daily(
        self,
        dimension: Dimension,
        since: date,
        until: date,
        station_id: str | None,
        wanted: list[str] | None,
    ) -> list[Document]:
        stations: list[str] | None
        if dimension == "city":
            stations = [station_days.CITY_STATION]
        elif station_id is not None:
            stations = [station_id]
        elif wanted is not None:
            # One key's buckets (a representative's record, a series): its stations' days.
            stations = await self._stations_of(dimension, wanted)
            if len(stations) > STATIONS_READ_ONE_BY_ONE:
                stations = None
        else:
            stations = None
        return await station_days.read(
            self._db, dimension, since, until, station_ids=stations, keys=wanted
        )

    # --- cases -----------------------------------------------------------------------------

    async def cases(self, case_ids: Iterable[str]) -> dict[str, StoredCase]:
        found: dict[str, StoredCase] = {}
        for doc in await find_in(self._db["cases"], "_id", case_ids):
            found[str(doc["_id"])] = StoredCase(
                state=CaseState.model_validate(doc["state"]),
                applied=frozenset(doc.get("applied", {})),
                version=int(doc.get("n", 0)),
            )
        return found

    async def save_cases(self, saves: Sequence[tuple[StoredCase, CaseState, list[str]]]) -> None:
        """(as read, state after, event tokens applied) per case; a case changed by someone
        else since it was read raises a TransientError, so the batch is read again.

        Cases seen for the first time go in with one `insert_many`: the store commits a
        multi-document insert in one transaction, but each statement of a `bulk_write` in its
        own, and a run of new cases is the common shape (submissions, an import)."""
        fresh: list[Document] = []
        ops: list[ReplaceOne[Document]] = []
        shifts = now_shifts(
            (Held.of(before.state) if before.version is not None else None, Held.of(after))
            for before, after, _ in saves
        )
        for before, after, tokens in saves:
            fields = _case_fields(after)
            if before.version is None:
                fresh.append(
                    {"_id": after.case_id, **fields, "applied": dict.fromkeys(tokens, True)}
                    | {"n": len(tokens)}
                )
                continue
            # Whole, not path by path: SecantusDB spends time on every path an update names.
            whole = {
                **fields,
                "applied": dict.fromkeys(sorted(before.applied | set(tokens)), True),
                "n": before.version + len(tokens),
            }
            ops.append(ReplaceOne({"_id": after.case_id, "n": before.version}, whole))
        await self._insert_cases(fresh)
        if ops:
            result = await self._db["cases"].bulk_write(ops, ordered=False)
            if result.matched_count < len(ops):
                raise TransientError("a case changed while its events were applied")
        await self._shift_now(shifts)

    async def _shift_now(self, shifts: Mapping[NowKey, tuple[int, int]]) -> None:
        ops = [
            UpdateOne(
                {"_id": _now_id(key)},
                {"$inc": {"open": o, "overdue": d}, "$set": _now_identity(key)},
                upsert=True,
            )
            for key, (o, d) in sorted(shifts.items())
        ]
        if ops:
            await self._db["now"].bulk_write(ops, ordered=False)

    async def recount_now(self) -> int:
        """Set every `now` counter from the open cases; returns how many counters changed."""
        fields = {f: 1 for f in CASE_FIELD.values()} | {"overdue": 1}
        counted = now_counted(
            [
                Held(
                    station_id=d.get("station_id"),
                    values={dim: d.get(field) for dim, field in CASE_FIELD.items()},
                    open=True,
                    overdue=bool(d.get("overdue")),
                )
                async for d in self._db["cases"].find({"open": True}, fields)
            ]
        )
        stored = {
            str(d["_id"]): (int(d.get("open", 0)), int(d.get("overdue", 0)))
            async for d in self._db["now"].find({}, {"open": 1, "overdue": 1})
        }
        wanted = {_now_id(key): (key, value) for key, value in counted.items()}
        ops = [
            UpdateOne(
                {"_id": counter_id},
                {"$set": {"open": o, "overdue": d, **_now_identity(key)}},
                upsert=True,
            )
            for counter_id, (key, (o, d)) in sorted(wanted.items())
            if stored.get(counter_id) != (o, d)
        ]
        ops += [
            UpdateOne({"_id": counter_id}, {"$set": {"open": 0, "overdue": 0}})
            for counter_id, value in sorted(stored.items())
            if counter_id not in wanted and value != (0, 0)
        ]
        if ops:
            await self._db["now"].bulk_write(ops, ordered=False)
        return len(ops)

    async def _insert_cases(self, documents: list[Document]) -> None:
        if not documents:
            return
        try:
            await self._db["cases"].insert_many(documents, ordered=False)
        except BulkWriteError as exc:
            if not is_duplicate_key(exc):
                raise
            # Another writer stored one of them first; the rest went in, and the batch is read
            # again: the inserted cases' tokens are then applied, so nothing counts twice.
            raise TransientError("a case changed while its events were applied") from exc

    async def now_by(
        self, dimension: Dimension, *, station_id: str | None = None
    ) -> dict[str, Now]:
        """Open and overdue cases now, per value of a dimension: its counters (of one station,
        or summed over the stations)."""
        query: Document = {"dimension": dimension}
        if station_id is not None:
            query["station_id"] = station_id
        sums: dict[str, list[int]] = {}
        async for d in self._db["now"].find(query):
            counts = sums.setdefault(str(d["key"]), [0, 0])
            counts[0] += int(d.get("open", 0))
            counts[1] += int(d.get("overdue", 0))
        return {
            key: Now(open_now=max(o, 0), overdue_now=max(od, 0))
            for key, (o, od) in sums.items()
            if o > 0 or od > 0
        }

    async def city_now(self) -> Now:
        found = await self._db["now"].find_one({"_id": _now_id(CITY)}) or {}
        return Now(
            open_now=max(int(found.get("open", 0)), 0),
            overdue_now=max(int(found.get("overdue", 0)), 0),
        )

    async def stages_now(self, *, station_id: str | None = None) -> dict[str, dict[str, int]]:
        """Houses per station and stage now: each house once, however many cases it has."""
        match: dict[str, Any] = {"stage": {"$in": list(STAGES)}}
        if station_id is not None:
            match["station_id"] = station_id
        pipeline = [
            {"$match": match},
            {"$group": {"_id": {"station": "$station_id", "stage": "$stage"}, "n": {"$sum": 1}}},
        ]
        found: dict[str, dict[str, int]] = {}
        async for row in await self._db["houses"].aggregate(pipeline):
            station = str(row["_id"]["station"])
            found.setdefault(station, {})[str(row["_id"]["stage"])] = int(row["n"])
        return found

    # --- houses ----------------------------------------------------------------------------

    async def save_houses(self, rows: Sequence[HouseFigures]) -> int:
        """Each house's figures, unless a newer (or the same) version is stored already: a
        redelivered or late event changes nothing. Returns how many were written."""
        written = 0
        for row in rows:
            # Missing or older, as one field condition: an `$or` makes the store scan.
            with contextlib.suppress(DuplicateKeyError):
                result = await self._db["houses"].update_one(
                    {"_id": row.house_id, "version": {"$not": {"$gte": row.version}}},
                    {"$set": row.model_dump(exclude={"house_id"})},
                    upsert=True,
                )
                written += 1 if result.upserted_id is not None or result.modified_count else 0
        return written

    async def consents_now(self, *, station_id: str | None = None) -> dict[str, ConsentFigures]:
        """Per station: its houses, households, and how many consented or objected now."""
        # Every house has a stage: the filter is there for the index (`stage, station_id`).
        query: Document = {"stage": {"$in": list(STAGES)}}
        if station_id is not None:
            query["station_id"] = station_id
        rows = [
            HouseFigures.model_validate({"house_id": d.pop("_id"), **d})
            async for d in self._db["houses"].find(query)
        ]
        return consent_figures(rows)

    # --- directory names -------------------------------------------------------------------

    async def save_names(
        self, entries: Sequence[tuple[str, str, Mapping[str, str], datetime]]
    ) -> None:
        """(kind, key, fields, event time): the newest event of an entry wins."""
        for kind, key, fields, at in entries:
            # A newer (or the same) event of this entry already there: a duplicate key.
            with contextlib.suppress(DuplicateKeyError):
                await self._db["names"].update_one(
                    # Missing or older, as one field condition: an `$or` makes the store scan.
                    {"_id": f"{kind}:{key}", "at": {"$not": {"$gte": at}}},
                    {"$set": {"kind": kind, "key": key, "at": at, **fields}},
                    upsert=True,
                )

    async def names(self, kind: str) -> dict[str, Document]:
        return {str(doc["key"]): doc async for doc in self._db["names"].find({"kind": kind})}

    async def name(self, kind: str, key: str) -> Document | None:
        """One directory entry's name (and station), by its `_id`."""
        return await self._db["names"].find_one({"_id": f"{kind}:{key}"})

    # --- the rebuild lock ------------------------------------------------------------------

    async def lock_for_rebuild(self, *, now: datetime, lease: timedelta) -> None:
        await self._db["control"].update_one(
            {"_id": "rebuild"}, {"$set": {"until": now + lease}}, upsert=True
        )

    async def unlock_rebuild(self) -> None:
        await self._db["control"].delete_one({"_id": "rebuild"})

    async def rebuilding(self, *, now: datetime) -> bool:
        return (
            await self._db["control"].find_one({"_id": "rebuild", "until": {"$gt": now}})
            is not None
        )


def _now_id(key: NowKey) -> str:
    return "|".join(key)


def _now_identity(key: NowKey) -> Document:
    return {"dimension": key[0], "station_id": key[1], "key": key[2]}
