"""The inbox: what notify told this user, read from notify with the user's own token."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from services.routing.adapters.inbox_client import NotifyUnavailable
from services.routing.entrypoints.deps import Pages
from services.routing.web.views import INBOX_PATH
from shared.inbox import InboxMessage, recipients_for

router = APIRouter(include_in_schema=False)


@router.get(INBOX_PATH)
async def inbox(request: Request, workbench: Pages) -> Response:
    claims = await workbench.claims(request)
    if claims is None:
        return workbench.to_sign_in(request)
    recipients = recipients_for(claims)
    messages: list[InboxMessage] = []
    unavailable = False
    if recipients:
        try:
            _, messages = await workbench.inbox.messages(recipients, token=workbench.token(request))
        except NotifyUnavailable:
            unavailable = True
    return await workbench.render(
        request,
        claims,
        "inbox.html",
        {
            "nav_current": "inbox",
            "messages": messages,
            "has_inbox": bool(recipients),
            "unavailable": unavailable,
            "notice": workbench.text(request, "marked_read")
            if request.query_params.get("read")
            else None,
        },
        status_code=503 if unavailable else 200,
    )


@router.post(f"{INBOX_PATH}/read")
async def mark_read(request: Request, workbench: Pages) -> Response:
    claims = await workbench.claims(request)
    if claims is None:
        return workbench.to_sign_in(request)
    form = await request.form()
    if not workbench.csrf_ok(request, form.get("csrf")):
        return await workbench.forbidden(request, claims, reason="csrf_failed")
    recipient = str(form.get("recipient") or "")
    message_id = str(form.get("message_id") or "")
    # notify trusts the address it is given: only the user's own addresses are passed on.
    if recipient not in recipients_for(claims) or not message_id:
        return await workbench.not_found(request, claims)
    try:
        found = await workbench.inbox.mark_read(
            recipient, message_id, token=workbench.token(request)
        )
    except NotifyUnavailable:
        return await workbench.render(
            request,
            claims,
            "inbox.html",
            {
                "nav_current": "inbox",
                "messages": [],
                "has_inbox": True,
                "unavailable": True,
            },
            status_code=503,
        )
    if not found:
        return await workbench.not_found(request, claims)
    return RedirectResponse(f"{INBOX_PATH}?read=1", status_code=303)
