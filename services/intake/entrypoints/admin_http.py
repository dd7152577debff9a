"""Admins erase a resident's personal data (PIPL) and read the erasure log."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, status

from services.intake.domain.erasure import EraseResident
from services.intake.entrypoints.deps import Erasures
from services.intake.entrypoints.schemas import (
    ErasedCase,
    ErasureAnswer,
    ErasureLog,
    ErasureLogEntry,
)
from shared.access import AdminOnly

router = APIRouter(prefix="/v1/admin", tags=["admin"])

_ADMIN_ONLY: dict[int | str, dict[str, object]] = {
    401: {"description": "Sign in first."},
    403: {"description": "Only admins erase residents' data."},
}


@router.post(
    "/erasures",
    response_model=ErasureAnswer,
    summary="Erase a resident's personal data: one case by tracking code, or every case (and "
    '"me too" contact) of a phone or an email.',
    description="Each case keeps its id, status, category, station and dates (it still "
    "counts); its text, messages, notes, photos, location and contact are gone from intake at "
    "once, and from routing and notify when they read its `case.erased` event. The contact's "
    "tombstone goes to `resident-contacts` after it. A phone or an email also erases the "
    'contact the resident left when they said "me too" on another case (listed with its '
    "`supporter_id`; that case stays as it is). Asking again changes nothing and lists "
    "the cases as erased before. `dry_run` lists the cases without erasing.",
    responses={
        **_ADMIN_ONLY,
        404: {"description": "No case has this tracking code."},
        422: {"description": "Not exactly one of tracking_code, phone, email; or one invalid."},
    },
)
async def erase(body: EraseResident, claims: AdminOnly, erasures: Erasures) -> ErasureAnswer:
    report = await erasures.erase(body, by=f"admin:{claims.sub}", now=datetime.now(UTC))
    return ErasureAnswer(
        dry_run=report.dry_run,
        subject=report.subject,
        erased=sum(1 for outcome in report.cases if outcome.erased_now),
        cases=[
            ErasedCase(
                case_id=o.case_id,
                status=o.status,
                erased_now=o.erased_now,
                scope=o.scope,
                supporter_id=o.supporter_id,
            )
            for o in report.cases
        ],
    )


@router.get(
    "/erasures/{case_id}",
    response_model=ErasureLog,
    summary="The erasure log of a case: what was erased, when, by whom, and whether finished.",
    responses={**_ADMIN_ONLY, 404: {"description": "Nothing of this case was erased."}},
)
async def erasure_log(case_id: str, _: AdminOnly, erasures: Erasures) -> ErasureLog:
    entries = await erasures.erasures.log_of(case_id)
    if not entries:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="nothing of this case was erased")
    return ErasureLog(case_id=case_id, entries=[ErasureLogEntry.model_validate(e) for e in entries])
