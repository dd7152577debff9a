"""One workbench form post, whatever the page shows (a case, a suggestion): sign-in check → read
the form → CSRF check → load what the page shows → visibility check → parse the command → run the
handler → 303 back to the page with `?done=<form>` (POST → 303 → GET).

A refusal re-renders the page with the reason at the form; the page module says how each of its
domain's refusals reads (`Refusal`), this module shows them all the same way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from fastapi import Request
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile
from starlette.responses import RedirectResponse, Response

from services.routing.domain.workflow import Actor, NotPermitted
from services.routing.entrypoints.deps import actor_from
from services.routing.entrypoints.workbench import Workbench
from services.routing.web.forms import Text, field_errors
from shared.auth import Claims
from shared.outbox import OutboxRelay

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
C = TypeVar("C")


@dataclass(frozen=True)
class Refusal:
    """How a page answers a refused post: 404 and 403 are the workbench's not-found and forbidden
    pages; any other status shows the form's page again, with `problem` above it or `errors`
    (field → message) at the form's fields."""

    status_code: int
    problem: str | None = None
    errors: Mapping[str, str] | None = None


NOT_FOUND = Refusal(404)
FORBIDDEN = Refusal(403)


class PostedForm(dict[str, str]):
    """The posted fields, one value a name (the last, for a name sent more than once), and
    `getlist` for every value of a name sent more than once (ticked boxes). With `strip`, every
    value loses its surrounding white space."""

    def __init__(self, raw: FormData, *, strip: bool) -> None:
        super().__init__((name, _text(value, strip=strip)) for name, value in raw.items())
        self._raw = raw
        self._strip = strip

    def getlist(self, name: str) -> list[str]:
        return [_text(value, strip=self._strip) for value in self._raw.getlist(name)]


def _text(value: UploadFile | str, *, strip: bool) -> str:
    return str(value).strip() if strip else str(value)


@dataclass(frozen=True)
class FormPage(Generic[T]):
    """The page a form is on, and what it shows.

    `url`: where a post that went through goes back to. `load`: what the page shows, read now
    (None: no such thing). `visible`: whether the actor may see it (if not: the not-found page).
    `render`: the page for (claims, what it shows, status code, template values).
    """

    url: str
    load: Callable[[], Awaitable[T | None]]
    visible: Callable[[T, Actor], bool]
    render: Callable[[Claims, T, int, dict[str, Any]], Awaitable[Response]]


async def post_form(
    request: Request,
    page: FormPage[T],
    *,
    form_name: str,
    parse: Callable[[PostedForm, T], Awaitable[C]],
    run: Callable[[C, Actor], Awaitable[object]],
    refusal: Callable[[Exception, Text], Refusal | None],
    workbench: Workbench,
    relay: OutboxRelay,
    invalid: Callable[[ValidationError, Text], dict[str, str]] = field_errors,
    strip: bool = True,
    done: str | None = None,
) -> Response:
    """Answer the post of the form `form_name` on `page`.

    `parse` turns the form (and what the page shows) into the handler's command; a
    ValidationError it raises shows `invalid`'s messages at the form's fields (422). `run` calls
    the handler as the actor; an exception it raises is answered as `refusal` says (routing's
    NotPermitted is always the forbidden page), one `refusal` does not know propagates. With
    `strip`, every value loses its surrounding white space before anything reads it. `done`: the
    notice the page shows after a post that went through (the form's name unless given).
    """
    claims = await workbench.claims(request)
    if claims is None:
        return workbench.to_sign_in(request)
    form = PostedForm(await request.form(), strip=strip)
    if not workbench.csrf_ok(request, form.get("csrf")):
        return await workbench.forbidden(request, claims, reason="csrf_failed")
    found = await page.load()
    actor = actor_from(claims)
    if found is None or not page.visible(found, actor):
        return await workbench.not_found(request, claims)

    text = workbench.texts(request)

    async def refuse(refused: Refusal) -> Response:
        if refused.status_code == 404:
            return await workbench.not_found(request, claims)
        if refused.status_code == 403:
            return await workbench.forbidden(request, claims)
        # The page as it is now, the form as it was typed.
        extra: dict[str, Any] = {"form_values": {form_name: form}}
        if refused.problem is not None:
            extra["problem"] = refused.problem
        if refused.errors is not None:
            extra["form_errors"] = {form_name: dict(refused.errors)}
        return await page.render(claims, await page.load() or found, refused.status_code, extra)

    try:
        command = await parse(form, found)
    except ValidationError as exc:
        return await refuse(Refusal(422, errors=invalid(exc, text)))
    try:
        await run(command, actor)
    except NotPermitted:
        return await refuse(FORBIDDEN)
    except Exception as exc:
        refused = refusal(exc, text)
        if refused is None:
            raise
        return await refuse(refused)
    relay.wake()
    return RedirectResponse(f"{page.url}?done={done or form_name}", status_code=303)


class FormPoster(Protocol[T_co]):
    """`post_form` bound to one page, its refusals and the outbox: a route gives only its form."""

    def __call__(
        self,
        *,
        form_name: str,
        parse: Callable[[PostedForm, T_co], Awaitable[C]],
        run: Callable[[C, Actor], Awaitable[object]],
        done: str | None = None,
    ) -> Awaitable[Response]: ...


def form_poster(
    request: Request,
    page: FormPage[T],
    *,
    refusal: Callable[[Exception, Text], Refusal | None],
    workbench: Workbench,
    relay: OutboxRelay,
    strip: bool = True,
) -> FormPoster[T]:
    """What the forms of one page share, for a page whose routes post several forms."""

    async def post(
        *,
        form_name: str,
        parse: Callable[[PostedForm, T], Awaitable[C]],
        run: Callable[[C, Actor], Awaitable[object]],
        done: str | None = None,
    ) -> Response:
        return await post_form(
            request,
            page,
            form_name=form_name,
            parse=parse,
            run=run,
            refusal=refusal,
            workbench=workbench,
            relay=relay,
            strip=strip,
            done=done,
        )

    return post
