"""Sign in with username and password (the API's account check), sign out."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from services.routing.entrypoints.deps import Pages, Settings, Throttle, Users
from services.routing.entrypoints.views import token_for
from services.routing.handlers.sign_in import SignInThrottled
from services.routing.handlers.sign_in import sign_in as check_password
from services.routing.web.views import SIGN_IN_PATH, safe_next
from shared.rate_limit import client_address
from shared.web.session import end_session, start_session

router = APIRouter(include_in_schema=False)


@router.get(SIGN_IN_PATH)
async def sign_in_form(request: Request, workbench: Pages) -> Response:
    target = safe_next(request.query_params.get("next"))
    if await workbench.claims(request) is not None:
        return RedirectResponse(target, status_code=303)
    notice = workbench.text(request, "signed_out") if request.query_params.get("out") else None
    return await workbench.render(
        request,
        None,
        "sign_in.html",
        {"next": target, "username": "", "notice": notice},
    )


@router.post(SIGN_IN_PATH)
async def sign_in(
    request: Request, workbench: Pages, users: Users, throttle: Throttle, settings: Settings
) -> Response:
    form = await request.form()
    username = str(form.get("username") or "").strip()
    password = str(form.get("password") or "")
    target = safe_next(str(form.get("next") or ""))
    errors = {
        name: workbench.text(request, "err_required")
        for name, value in (("username", username), ("password", password))
        if not value
    }
    if errors:
        return await workbench.render(
            request,
            None,
            "sign_in.html",
            {"next": target, "username": username, "errors": errors},
            status_code=422,
        )
    try:
        user = await check_password(
            username=username[:64],
            password=password[:256],
            address=client_address(request, trust_forwarded_for=settings.trust_forwarded_for),
            users=users,
            throttle=throttle,
        )
    except SignInThrottled as exc:
        page = await workbench.render(
            request,
            None,
            "sign_in.html",
            {
                "next": target,
                "username": username,
                "problem": workbench.text(request, "sign_in_throttled", seconds=exc.retry_after_s),
            },
            status_code=429,
        )
        page.headers["Retry-After"] = str(exc.retry_after_s)
        return page
    if user is None:
        # One message whether the account exists or not: no username enumeration.
        return await workbench.render(
            request,
            None,
            "sign_in.html",
            {
                "next": target,
                "username": username,
                "problem": workbench.text(request, "wrong_credentials"),
            },
            status_code=401,
        )
    token = token_for(user, settings=settings)
    response = RedirectResponse(target, status_code=303)
    start_session(
        response,
        token=token.access_token,
        expires=token.expires_at,
        secure=settings.secure_cookies,
    )
    return response


@router.post("/staff/sign-out")
async def sign_out(request: Request, workbench: Pages) -> Response:
    form = await request.form()
    claims = await workbench.claims(request)
    if claims is not None and not workbench.csrf_ok(request, form.get("csrf")):
        return await workbench.forbidden(request, claims, reason="csrf_failed")
    response = RedirectResponse(f"{SIGN_IN_PATH}?out=1", status_code=303)
    end_session(response)
    return response
