"""Cases entered by station staff: residents who came in person, or spoke at a meeting."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Response, status

from services.intake.domain.cases import StaffCaseCreate
from services.intake.entrypoints.deps import Cases, Commands, CurrentClaims
from services.intake.entrypoints.http import PhotoSize, photo_response
from services.intake.entrypoints.schemas import CaseReceipt, receipt_for
from shared.auth import Claims

ENTERING_ROLES = frozenset({"staff", "station_head", "representative"})

router = APIRouter(prefix="/v1/staff", tags=["staff"])


@router.post(
    "/cases",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=CaseReceipt,
    summary="Enter a case for a resident met in person or at a deliberation meeting.",
    responses={
        401: {"description": "Sign in first."},
        403: {"description": "Only station staff and representatives enter cases."},
    },
)
async def enter_case(
    command: StaffCaseCreate,
    claims: CurrentClaims,
    commands: Commands,
) -> CaseReceipt:
    if claims.role not in ENTERING_ROLES:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail="only station staff and representatives enter cases",
        )
    if claims.role == "representative" and command.representative_code is None:
        # A representative who takes a case in person holds it.
        command = command.model_copy(update={"representative_code": claims.representative_code})
    stored = await commands.submit(
        command, station_id=claims.station, meeting_id=command.meeting_id
    )
    return receipt_for(stored)


@router.get(
    "/cases/{case_id}/attachments/{n}",
    response_class=Response,
    summary="A photo of a case (or its thumbnail), for the staff and representatives who may "
    "see the case.",
    responses={
        200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}},
        404: {"description": "No such case in the caller's scope, or no such photo."},
    },
)
async def staff_attachment(
    case_id: str, n: int, claims: CurrentClaims, cases: Cases, size: PhotoSize = "full"
) -> Response:
    document = await cases.by_id(case_id)
    if document is None or not may_see(document, claims):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such case")
    return await photo_response(cases, case_id, n, size=size)


def may_see(document: dict[str, Any], claims: Claims) -> bool:
    """Intake's view of scope: the station that holds the case, or its representative."""
    if claims.role in ("admin", "supervisor"):
        return True
    if claims.role in ("staff", "station_head"):
        station = document.get("station") or {}
        return claims.station is not None and claims.station == station.get("id")
    if claims.role == "representative":
        holder = document.get("representative") or {}
        return claims.representative_code is not None and (
            holder.get("code") == claims.representative_code
        )
    if claims.role == "department":
        return claims.department is not None and claims.department == document.get("transferred_to")
    return False
