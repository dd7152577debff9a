"""The public, PII-free transparency figures, cacheable by anyone."""

from __future__ import annotations

from fastapi import APIRouter, Response

from services.reporting.domain.transparency import Transparency
from services.reporting.entrypoints.deps import ReadModelsDep
from services.reporting.entrypoints.filters import SinceQuery, UntilQuery, parse_period
from services.reporting.handlers.reports.public import public_figures

router = APIRouter(prefix="/v1/public", tags=["public"])

PUBLIC_CACHE = "public, max-age=300"


@router.get(
    "/transparency",
    response_model=Transparency,
    summary="Public figures: received, accepted, closed, rates, activities, house-repair "
    "stages; no case text, no people.",
)
async def public_transparency(
    read_models: ReadModelsDep,
    response: Response,
    since: SinceQuery = None,
    until: UntilQuery = None,
) -> Transparency:
    period = parse_period(since, until, today=read_models.today())
    found = await public_figures(read_models, since=period.since, until=period.until)
    response.headers["Cache-Control"] = PUBLIC_CACHE
    return found.figures
