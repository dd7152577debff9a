"""The data files of a backup: gzip'd JSON lines, one document or record a line, and the
checksums that tell a restore the files are the ones the manifest describes."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from bson import json_util
from bson.codec_options import DatetimeConversion
from bson.json_util import JSONOptions

from minyi_cli.backup.manifest import MANIFEST, BackupInvalid, FileEntry, Manifest

# Canonical extended JSON keeps every BSON type (dates, ObjectIds, binary, 64-bit integers)
# exactly; a date outside Python's range stays a number rather than failing the backup.
EJSON = JSONOptions(
    json_mode=json_util.JSONMode.CANONICAL,
    tz_aware=True,
    datetime_conversion=DatetimeConversion.DATETIME_AUTO,
)
_CHUNK = 1 << 20

Record = dict[str, Any]
"""A Kafka record as stored: offset, timestamp, key, value, headers (bytes as base64)."""


def document_line(document: dict[str, Any]) -> str:
    return json_util.dumps(document, json_options=EJSON, ensure_ascii=False)


def document_from_line(line: str) -> dict[str, Any]:
    document: dict[str, Any] = json_util.loads(line, json_options=EJSON)
    return document


def ejson(value: Any) -> Any:
    """A value (an index spec) as plain JSON data in canonical extended JSON."""
    return json.loads(json_util.dumps(value, json_options=EJSON))


def from_ejson(value: Any) -> Any:
    return json_util.loads(json.dumps(value), json_options=EJSON)


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode("ascii")


def _unb64(text: str | None) -> bytes | None:
    return None if text is None else base64.b64decode(text)


def record_line(
    *,
    offset: int,
    timestamp: int,
    key: bytes | None,
    value: bytes | None,
    headers: list[tuple[str, bytes]],
) -> str:
    return json.dumps(
        {
            "offset": offset,
            "timestamp": timestamp,
            "key": _b64(key),
            "value": _b64(value),
            "headers": [[name, _b64(data)] for name, data in headers],
        },
        separators=(",", ":"),
    )


def record_from_line(line: str) -> Record:
    raw = json.loads(line)
    return {
        "offset": int(raw["offset"]),
        "timestamp": int(raw["timestamp"]),
        "key": _unb64(raw["key"]),
        "value": _unb64(raw["value"]),
        "headers": [(name, _unb64(data) or b"") for name, data in raw["headers"]],
    }


def open_lines(directory: Path, relative: str) -> TextIO:
    path = directory / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    return gzip.open(path, "wt", encoding="utf-8", compresslevel=6)


def read_lines(directory: Path, relative: str) -> Iterator[str]:
    with gzip.open(directory / relative, "rt", encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield line


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        while chunk := data.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def file_entry(directory: Path, relative: str) -> FileEntry:
    path = directory / relative
    return FileEntry(path=relative, sha256=sha256_of(path), size=path.stat().st_size)


def check_files(directory: Path, manifest: Manifest) -> None:
    """Every data file is there, unchanged since the backup wrote it; `BackupInvalid` names
    the first one that is not."""
    for entry in manifest.files():
        path = directory / entry.path
        if not path.is_file():
            raise BackupInvalid(f"{entry.path} is missing from {directory}")
        if path.stat().st_size != entry.size or sha256_of(path) != entry.sha256:
            raise BackupInvalid(f"{entry.path} is not the file the backup wrote (checksum)")


def write_manifest(directory: Path, manifest: Manifest) -> None:
    """Written last and renamed into place: a directory with a manifest is a whole backup."""
    partial = directory / (MANIFEST + ".partial")
    partial.write_text(manifest.model_dump_json(indent=2) + "\n", encoding="utf-8")
    os.replace(partial, directory / MANIFEST)
