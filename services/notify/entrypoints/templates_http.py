"""The template preview over HTTP: an event's message for an audience, sent to nobody."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from services.notify.entrypoints.schemas import RenderedTemplate, TemplatePreviewRequest
from services.notify.handlers.templates import preview_template
from shared.auth import current_claims

# Signed-in staff only: the templates are the platform's, not the public's.
router = APIRouter(
    prefix="/v1/templates",
    tags=["templates"],
    dependencies=[Depends(current_claims)],
    responses={401: {"description": "Not signed in."}},
)


@router.post(
    "/preview",
    response_model=RenderedTemplate,
    summary="Render an event's message for an audience, without sending it.",
    responses={422: {"description": "No such template, or data it needs is missing."}},
)
async def preview(request: TemplatePreviewRequest) -> RenderedTemplate:
    title, body = preview_template(
        event_type=request.event_type,
        audience=request.audience,
        language=request.language,
        data=request.data,
    )
    return RenderedTemplate(title=title, body=body)
