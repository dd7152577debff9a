"""`make bench-scale` from start to end at a small N, as a fresh clone would run it: every phase
(the bare baseline, the empty namespace, the fill through the history import, the phase at N)
runs, the table names every figure with a number in both columns, and the run leaves no
database behind in any store.

The figures themselves are the benchmark's to judge, not this test's: a CI machine busy with a
test run measures nothing. It runs after the parallel part of `make test`, on its own, since
its load would slow every other module's services."""

from __future__ import annotations

import re
import subprocess
import sys

from pymongo import MongoClient

from shared.mongo import Document
from tests.infra import ROOT, Infra, local_store_urls

CASES = 1500
# The rows the benchmark must print, each with a figure for the empty phase and for N.
FIGURES = (
    "bare endpoint submissions/s (baseline)",
    "intake submissions/s",
    "intake ÷ bare endpoint",
    "intake p99 ms at half load",
    "end-to-end cases/s, sustained",
    "load end → all counted, every lag 0, s",
    "stations report p50 ms",
    "city report p50 ms",
    "staff queue p50 ms",
    "store CPU at rest, % of a core",
)
NUMBER = re.compile(r"^[0-9][0-9,]*(\.[0-9]+)?$")


def bench_databases(urls: list[str]) -> set[tuple[str, str]]:
    """The benchmark's databases (namespace `scale…`) in each store."""
    found = set()
    for url in urls:
        with MongoClient[Document](
            url, directConnection=True, serverSelectionTimeoutMS=5000
        ) as client:
            found |= {
                (url, name) for name in client.list_database_names() if name.startswith("scale")
            }
    return found


def table_rows(printed: str) -> dict[str, list[str]]:
    rows = {}
    for line in printed.splitlines():
        if line.startswith("| ") and not line.startswith("| ---"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            rows[cells[0]] = cells[1:]
    return rows


def test_the_scale_benchmark_prints_every_figure_and_leaves_nothing_behind(infra: Infra) -> None:
    stores = sorted({infra.mongo_url, *local_store_urls().values()})
    before = bench_databases(stores)

    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.scale",
            *("--cases", str(CASES), "--load-seconds", "3"),
            *("--query-calls", "3", "--rest-seconds", "2", "--no-write"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )

    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    rows = table_rows(run.stdout)
    header = rows["measure"]
    stored = re.fullmatch(r"at N \(([0-9,]+) cases\)", header[1])
    assert header[0] == "empty" and stored, header
    assert int(stored.group(1).replace(",", "")) >= CASES
    for name in FIGURES:
        row = next((cells for label, cells in rows.items() if label.startswith(name)), None)
        assert row is not None, f"no row {name!r} in:\n{run.stdout}"
        assert NUMBER.match(row[0]) and NUMBER.match(row[1]), (name, row)
    # The empty phase stores fewer than N, so the rest came through the history import.
    filled = re.search(r"Fill: ([0-9,]+) cases through `import`", run.stdout)
    assert filled and int(filled.group(1).replace(",", "")) > 0, run.stdout[-2000:]
    assert bench_databases(stores) == before
