"""Import files: the rows of a CSV (UTF-8, BOM or not, header row) or JSON Lines file,
streamed, each with its row number or the problem that refuses it."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from services.intake.domain.history_import.rows import (
    FieldProblem,
    ImportFailed,
    RowProblem,
    column_problems,
)

SUFFIXES = (".csv", ".jsonl", ".ndjson")

RawRow = Mapping[str, Any]


class ImportFile:
    """The rows of a CSV (UTF-8, BOM or not, header row) or JSONL file, streamed, each with
    its row number: the line it starts on, as an editor or a spreadsheet shows it."""

    def __init__(self, path: Path) -> None:
        if path.suffix.lower() not in SUFFIXES:
            raise ImportFailed(f"{path}: the file must be .csv or .jsonl")
        self.path = path
        self.size = path.stat().st_size
        self.bytes_read = 0
        self._not_utf8: set[int] = set()

    def rows(self, handle: BinaryIO) -> Iterator[tuple[int, RawRow | RowProblem]]:
        lines = self._lines(handle)
        if self.path.suffix.lower() == ".csv":
            return self._csv(lines)
        return self._jsonl(lines)

    def _lines(self, handle: BinaryIO) -> Iterator[str]:
        for number, raw in enumerate(handle, start=1):
            self.bytes_read += len(raw)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                # The row it belongs to is refused; the others are still read.
                self._not_utf8.add(number)
                text = raw.decode("utf-8", errors="replace")
            yield text.removeprefix("\ufeff") if number == 1 else text

    def _encoding_problem(self, first: int, last: int) -> RowProblem | None:
        bad = [n for n in range(first, last + 1) if n in self._not_utf8]
        if not bad:
            return None
        return RowProblem(first, (FieldProblem("", f"line {bad[0]} is not UTF-8"),))

    def _csv(self, lines: Iterator[str]) -> Iterator[tuple[int, RawRow | RowProblem]]:
        reader = csv.reader(lines)
        try:
            header = [name.strip().lower() for name in next(reader)]
        except StopIteration:
            raise ImportFailed(f"{self.path}: the file is empty; it needs a header row") from None
        problems = column_problems(header, header=True)
        if problems:
            raise ImportFailed(f"{self.path}: " + "; ".join(problems))
        ended = reader.line_num
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise csv.Error(f"{self.path}: line {reader.line_num}: {exc}") from None
            start, ended = ended + 1, reader.line_num
            if not any(v.strip() for v in values):
                continue
            problem_row = self._encoding_problem(start, ended)
            if problem_row is not None:
                yield start, problem_row
                continue
            if len(values) != len(header):
                count = f"{len(values)} values, but the header has {len(header)} columns"
                yield start, RowProblem(start, (FieldProblem("", count),))
                continue
            yield start, dict(zip(header, values, strict=True))

    def _jsonl(self, lines: Iterator[str]) -> Iterator[tuple[int, RawRow | RowProblem]]:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            problem_row = self._encoding_problem(number, number)
            if problem_row is not None:
                yield number, problem_row
                continue
            try:
                data = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                yield number, RowProblem(number, (FieldProblem("", f"not JSON: {exc}"),))
                continue
            if not isinstance(data, dict):
                yield number, RowProblem(number, (FieldProblem("", "not a JSON object"),))
                continue
            yield number, data
