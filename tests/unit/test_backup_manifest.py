"""What `minyi restore --check` refuses before anything is written: a manifest of another
format or version, one that contradicts itself, a file missing or changed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import bson
import pytest
from bson import Binary, Int64, ObjectId

from minyi_cli.backup.files import (
    check_files,
    document_from_line,
    document_line,
    file_entry,
    open_lines,
    record_from_line,
    record_line,
)
from minyi_cli.backup.manifest import (
    FORMAT_VERSION,
    BackupInvalid,
    CollectionEntry,
    Manifest,
    PartitionEntry,
    TopicEntry,
    collection_path,
    parse_manifest,
    partition_path,
)

TOPICS = {"case-events", "directory"}
NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


def write(directory: Path, relative: str, lines: list[str]) -> None:
    with open_lines(directory, relative) as out:
        out.write("".join(line + "\n" for line in lines))


def backup(directory: Path) -> Manifest:
    write(directory, collection_path("intake", "cases"), ['{"_id": "a"}', '{"_id": "b"}'])
    write(directory, partition_path("case-events", 0), [])
    return Manifest(
        minyi_version="0.1.0",
        namespace="",
        started_at=NOW,
        finished_at=NOW,
        group_offsets={"routing.cases": {"case-events": {0: 0}}},
        collections=[
            CollectionEntry(
                service="intake",
                name="cases",
                documents=2,
                indexes=[],
                file=file_entry(directory, collection_path("intake", "cases")),
            )
        ],
        topics=[
            TopicEntry(
                name="case-events",
                records=0,
                partitions=[
                    PartitionEntry(
                        partition=0,
                        records=0,
                        end_offset=0,
                        file=file_entry(directory, partition_path("case-events", 0)),
                    )
                ],
            )
        ],
    )


def edited(manifest: Manifest, **changes: Any) -> str:
    raw = json.loads(manifest.model_dump_json())
    raw.update(changes)
    return json.dumps(raw)


def test_a_whole_backup_passes(tmp_path: Path) -> None:
    manifest = backup(tmp_path)

    parsed = parse_manifest(manifest.model_dump_json(), declared_topics=TOPICS)
    check_files(tmp_path, parsed)

    assert parsed == manifest
    assert parsed.summary().startswith("2 documents in 1 collections of 1 databases, 0 records")


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"format": "mongodump"}, "not a Minyi backup"),
        ({"format_version": FORMAT_VERSION + 1}, f"format version {FORMAT_VERSION + 1}"),
        ({"collections": "many"}, "collections"),
        ({"group_offsets": {"routing.cases": {"directory": {"0": 3}}}}, "not backed up"),
        ({"group_offsets": {"routing.cases": {"case-events": {"4": 3}}}}, "no partition 4"),
        (
            {"topics": [{"name": "directory", "records": 5, "partitions": []}]},
            "not the sum of its partitions",
        ),
    ],
)
def test_a_manifest_that_cannot_be_restored_says_why(
    tmp_path: Path, changes: dict[str, Any], reason: str
) -> None:
    with pytest.raises(BackupInvalid, match=reason):
        parse_manifest(edited(backup(tmp_path), **changes), declared_topics=TOPICS)


def test_a_topic_this_version_does_not_declare_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BackupInvalid, match="case-events is not one of this version's topics"):
        parse_manifest(backup(tmp_path).model_dump_json(), declared_topics={"directory"})


def test_a_data_file_outside_the_directory_is_refused(tmp_path: Path) -> None:
    raw = json.loads(backup(tmp_path).model_dump_json())
    raw["collections"][0]["file"]["path"] = "../elsewhere.jsonl.gz"

    with pytest.raises(BackupInvalid, match="relative path inside DIR"):
        parse_manifest(json.dumps(raw), declared_topics=TOPICS)


def test_a_missing_or_changed_file_is_named(tmp_path: Path) -> None:
    manifest = backup(tmp_path)
    write(tmp_path, collection_path("intake", "cases"), ['{"_id": "a"}'])

    with pytest.raises(BackupInvalid, match=r"store/intake/cases.jsonl.gz is not the file"):
        check_files(tmp_path, manifest)
    (tmp_path / partition_path("case-events", 0)).unlink()
    write(tmp_path, collection_path("intake", "cases"), ['{"_id": "a"}', '{"_id": "b"}'])
    with pytest.raises(BackupInvalid, match=r"kafka/case-events/0.jsonl.gz is missing"):
        check_files(tmp_path, manifest)


def test_documents_keep_every_bson_type_through_a_line() -> None:
    document = {
        "_id": ObjectId(),
        "at": datetime(2026, 12, 2, 8, 0, 0, 123000, tzinfo=UTC),
        "photo": Binary(b"\x89PNG\x00"),
        "big": Int64(2**40),
        "text": "小区停车位",
        "nested": [{"n": 1.5}],
    }

    line = document_line(document)

    assert "\n" not in line
    # The same BSON goes back into the store (binary subtype 0 reads back as bytes).
    assert bson.encode(document_from_line(line)) == bson.encode(document)


def test_records_keep_keys_tombstones_and_headers_through_a_line() -> None:
    line = record_line(
        offset=7, timestamp=1700000000000, key=b"case-1", value=None, headers=[("h", b"\xff")]
    )

    assert record_from_line(line) == {
        "offset": 7,
        "timestamp": 1700000000000,
        "key": b"case-1",
        "value": None,
        "headers": [("h", b"\xff")],
    }
