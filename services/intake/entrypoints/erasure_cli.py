"""`python -m services.intake erase --tracking-code CODE | --phone P | --email E`: erase a
resident's personal data from the command line, as the admin API does.

The command does intake's part in the store (each case in one write, with its `case.erased`
event queued in the case's outbox) and never talks to Kafka: the running intake service's relay
publishes the events, and its erasure finisher sends the contact's tombstone after them
(within seconds). `--dry-run` lists the cases and changes nothing.

Exit codes: 0 the subject's cases are erased (now or before; a dry run: listed); 1 no case
matches; 2 nothing could be done (an invalid subject, the store failed — run it again).
"""

from __future__ import annotations

import asyncio
import getpass
import sys
from datetime import UTC, datetime
from typing import TextIO

from pydantic import ValidationError
from pymongo.errors import PyMongoError

from services.intake.adapters.erasure import ErasureRepository
from services.intake.domain.erasure import EraseResident
from services.intake.domain.errors import CaseNotFound
from services.intake.handlers.erasure import ErasureReport, erase_resident
from services.intake.settings import IntakeSettings
from shared.logging import new_correlation_id
from shared.mongo import create_client, service_database

EXIT_OK = 0
EXIT_NO_MATCH = 1
EXIT_FAILED = 2


def default_actor() -> str:
    return f"cli:{getpass.getuser()}"


def erase_command(
    *,
    tracking_code: str | None,
    phone: str | None,
    email: str | None,
    dry_run: bool,
    by: str,
    settings: IntakeSettings,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        request = EraseResident(
            tracking_code=tracking_code, phone=phone, email=email, dry_run=dry_run
        )
    except ValidationError as exc:
        for problem in exc.errors():
            where = ".".join(str(p) for p in problem["loc"])
            field = f"--{where.replace('_', '-')}: " if where else ""
            err.write(f"error: {field}{str(problem['msg']).removeprefix('Value error, ')}\n")
        return EXIT_FAILED
    try:
        report = asyncio.run(_erase(request, settings=settings, by=by))
    except CaseNotFound:
        err.write("no case has this tracking code\n")
        return EXIT_NO_MATCH
    except PyMongoError as exc:
        # The host and the socket's error; not the timeouts and topology PyMongo appends.
        reason = str(exc).split(" (configured timeouts", 1)[0].split(", Timeout:", 1)[0]
        err.write(f"error: the store failed: {reason}\n")
        return EXIT_FAILED
    return _print(report, out=out)


async def _erase(request: EraseResident, *, settings: IntakeSettings, by: str) -> ErasureReport:
    client = create_client(settings)
    try:
        erasures = ErasureRepository(service_database(client, settings))
        return await erase_resident(
            request=request,
            erasures=erasures,
            key=settings.erasure_key(),
            by=by,
            correlation_id=new_correlation_id(),
            now=datetime.now(UTC),
        )
    finally:
        await client.close()


def _print(report: ErasureReport, *, out: TextIO) -> int:
    for case in report.cases:
        # A supporter's record is erased in full once its contact is.
        done = "contact" if case.supporter_id is not None else "all"
        if case.erased_now:
            verb = "erased"
        elif report.dry_run and case.scope != done:
            verb = "would erase"
        else:
            verb = "already erased"
        if case.supporter_id is not None:
            out.write(f'{verb} the "me too" contact {case.supporter_id} on {case.case_id}\n')
            continue
        out.write(f"{verb} {case.case_id} ({case.status or 'found in the erasure log'})\n")
    erased = sum(1 for case in report.cases if case.erased_now)
    if report.dry_run:
        out.write(f"dry run: {len(report.cases)} case(s) found, nothing changed\n")
    else:
        out.write(
            f"{erased} case(s) erased, {len(report.cases) - erased} erased before; the running "
            "intake service publishes case.erased and the contact tombstones\n"
        )
    out.write(f"subject in the erasure log: {report.subject}\n")
    return EXIT_OK if report.cases else EXIT_NO_MATCH
