"""What a backup directory holds (`manifest.json`), and the checks it must pass before anything
is restored from it. Pure: the files themselves are read by `files`."""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

FORMAT: Literal["minyi-backup"] = "minyi-backup"
# Raised when a backup written by this code could no longer be read by an older one.
FORMAT_VERSION = 1
MANIFEST = "manifest.json"

_SERVICE = re.compile(r"^[a-z][a-z0-9_]*$")


class BackupInvalid(ValueError):
    """The directory is not a backup this version can restore; the message says why."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FileEntry(_Frozen):
    """One data file: where it is under DIR, and its checksum (of the gzip'd bytes)."""

    path: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0)

    @model_validator(mode="after")
    def _stays_inside(self) -> FileEntry:
        path = PurePosixPath(self.path)
        if path.is_absolute() or ".." in path.parts or not path.parts:
            raise ValueError(f"{self.path}: a data file must be a relative path inside DIR")
        return self


class CollectionEntry(_Frozen):
    service: str = Field(pattern=_SERVICE.pattern)
    name: str = Field(min_length=1)
    documents: int = Field(ge=0)
    # Each index as `list_indexes` gave it, in canonical extended JSON; `_id_` left out.
    indexes: list[dict[str, Any]]
    file: FileEntry


class PartitionEntry(_Frozen):
    partition: int = Field(ge=0)
    records: int = Field(ge=0)
    # The partition's end offset when its records were read: every record below it is here.
    end_offset: int = Field(ge=0)
    file: FileEntry


class TopicEntry(_Frozen):
    name: str = Field(min_length=1, description="Without the namespace.")
    # The sum over the partitions, for a reader of the manifest.
    records: int = Field(ge=0)
    partitions: list[PartitionEntry]

    @model_validator(mode="after")
    def _records_add_up(self) -> TopicEntry:
        if self.records != sum(p.records for p in self.partitions):
            raise ValueError(f"{self.name}: records is not the sum of its partitions' records")
        return self


# group (without the namespace) → topic (without it) → partition → committed offset
GroupOffsets = dict[str, dict[str, dict[int, int]]]


class Manifest(_Frozen):
    format: Literal["minyi-backup"] = FORMAT
    format_version: int = FORMAT_VERSION
    minyi_version: str
    namespace: str
    started_at: datetime
    finished_at: datetime
    group_offsets: GroupOffsets
    collections: list[CollectionEntry]
    topics: list[TopicEntry]

    @property
    def documents(self) -> int:
        return sum(c.documents for c in self.collections)

    @property
    def records(self) -> int:
        return sum(t.records for t in self.topics)

    def files(self) -> list[FileEntry]:
        return [c.file for c in self.collections] + [
            p.file for t in self.topics for p in t.partitions
        ]

    def summary(self) -> str:
        databases = len({c.service for c in self.collections})
        return (
            f"{self.documents} documents in {len(self.collections)} collections of "
            f"{databases} databases, {self.records} records in {len(self.topics)} topics, "
            f"offsets of {len(self.group_offsets)} consumer groups"
        )


def parse_manifest(text: str, *, declared_topics: Collection[str]) -> Manifest:
    """The manifest, or `BackupInvalid` naming the first problem."""
    try:
        raw = json.loads(text)
    except ValueError:
        raise BackupInvalid(f"{MANIFEST} is not JSON") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise BackupInvalid(f"{MANIFEST} is not a Minyi backup's manifest")
    if raw.get("format_version") != FORMAT_VERSION:
        raise BackupInvalid(
            f"{MANIFEST} has format version {raw.get('format_version')}; this minyi reads "
            f"{FORMAT_VERSION} (restore with the version that wrote it)"
        )
    try:
        manifest = Manifest.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "manifest"
        raise BackupInvalid(f"{MANIFEST} is not valid: {where}: {first['msg']}") from None
    problems = manifest_problems(manifest, declared_topics=declared_topics)
    if problems:
        raise BackupInvalid(f"{MANIFEST}: {problems[0]}")
    return manifest


def manifest_problems(manifest: Manifest, *, declared_topics: Collection[str]) -> list[str]:
    """Everything that would make a restore go wrong half-way, checked before it starts."""
    problems: list[str] = []
    seen_files: set[str] = set()
    for entry in manifest.files():
        if entry.path in seen_files:
            problems.append(f"{entry.path} is named twice")
        seen_files.add(entry.path)
    collections = [(c.service, c.name) for c in manifest.collections]
    if len(set(collections)) != len(collections):
        problems.append("a collection is listed twice")
    partitions: dict[str, set[int]] = {}
    for topic in manifest.topics:
        if topic.name in partitions:
            problems.append(f"topic {topic.name} is listed twice")
        if topic.name not in declared_topics:
            problems.append(
                f"topic {topic.name} is not one of this version's topics (shared/topics.py)"
            )
        numbers = [p.partition for p in topic.partitions]
        if sorted(numbers) != list(range(len(numbers))):
            problems.append(f"topic {topic.name}: partitions {numbers} are not 0..n-1")
        for p in topic.partitions:
            if p.records > p.end_offset:
                problems.append(
                    f"topic {topic.name} partition {p.partition}: {p.records} records "
                    f"below end offset {p.end_offset}"
                )
        partitions[topic.name] = set(numbers)
    for group, by_topic in manifest.group_offsets.items():
        for name, offsets in by_topic.items():
            if name not in partitions:
                problems.append(f"group {group} has offsets on {name}, which is not backed up")
                continue
            for partition, offset in offsets.items():
                if partition not in partitions[name]:
                    problems.append(f"group {group}: {name} has no partition {partition}")
                elif offset < 0:
                    problems.append(f"group {group}: negative offset on {name}/{partition}")
    return problems


def collection_path(service: str, collection: str) -> str:
    # Collection names may hold dots (GridFS's `fs.files`); never a slash.
    return f"store/{service}/{collection}.jsonl.gz"


def partition_path(topic: str, partition: int) -> str:
    return f"kafka/{topic}/{partition}.jsonl.gz"
