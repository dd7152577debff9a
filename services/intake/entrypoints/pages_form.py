"""The resident's form: plain (`/new`) or from a representative's QR code (`/r/<code>`).

Without the page's script, two more steps of the form are posts of their own, under the form's
path: `…/similar` shows the form again as typed, with the open cases like it (what the script
asks `POST /v1/cases/similar` for), and `…/similar/<case id>` says "me too" on one of them, with
the contact typed in, if any. The plain form's liaison point says where the case is when the
script's location does not, so the look-up finds the cases of that point and its station.
"""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Request, status
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from services.intake.adapters.case_documents import IdempotencyConflict
from services.intake.adapters.directory_copy import DirectoryCopy
from services.intake.domain.errors import CaseNotFound, PhotoRefused, UnknownReference
from services.intake.domain.similar_cases import SimilarCase, SimilarDraft
from services.intake.domain.supporters import CaseClosedToSupport
from services.intake.entrypoints.deps import Directory, FormPost, FormPostDeps, container
from services.intake.entrypoints.pages import PAGES, form_text, not_found, over_rate
from services.intake.handlers.similar_cases import similar_cases
from services.intake.handlers.submission import check_reference
from services.intake.web.forms import (
    Errors,
    Message,
    Photo,
    SubmissionForm,
    parse_similar_draft,
    parse_submission,
    parse_support,
    photo_refused_errors,
    point_groups,
    unknown_reference_errors,
)
from services.intake.web.views import category_options, localized, representative_card
from shared.web.i18n import Language, pick_language

MAX_FILE_PARTS: Final = 20  # more than the photo limit, so a fifth photo gets a field message

router = APIRouter(include_in_schema=False)


@router.get("/")
async def home(request: Request) -> Response:
    return PAGES.render(request, "home.html", {"errors": {}, "code": ""})


@router.get("/new")
async def new_form(request: Request, directory: Directory) -> Response:
    return await _form_page(request, directory, representative=None)


@router.post("/new")
async def post_new(request: Request, post: FormPost) -> Response:
    return await _submit(request, post, representative=None)


@router.get("/r/{representative_code}")
async def qr_form(request: Request, representative_code: str, directory: Directory) -> Response:
    card = await _representative(directory, representative_code, pick_language(request))
    if card is None:
        return not_found(request, about="representative")
    return await _form_page(request, directory, representative=card)


@router.post("/r/{representative_code}")
async def post_qr_form(request: Request, representative_code: str, post: FormPost) -> Response:
    card = await _representative(post.directory, representative_code, pick_language(request))
    if card is None:
        return not_found(request, about="representative")
    return await _submit(request, post, representative=card)


@router.post("/new/similar")
async def similar_new(request: Request, post: FormPost) -> Response:
    return await _similar(request, post, representative=None, action="/new")


@router.post("/new/similar/{case_id}")
async def me_too_new(request: Request, case_id: str, post: FormPost) -> Response:
    return await _similar(request, post, representative=None, action="/new", join=case_id)


@router.post("/r/{representative_code}/similar")
async def similar_qr(request: Request, representative_code: str, post: FormPost) -> Response:
    card = await _representative(post.directory, representative_code, pick_language(request))
    if card is None:
        return not_found(request, about="representative")
    return await _similar(request, post, representative=card, action=f"/r/{card['code']}")


@router.post("/r/{representative_code}/similar/{case_id}")
async def me_too_qr(
    request: Request, representative_code: str, case_id: str, post: FormPost
) -> Response:
    card = await _representative(post.directory, representative_code, pick_language(request))
    if card is None:
        return not_found(request, about="representative")
    return await _similar(
        request, post, representative=card, action=f"/r/{card['code']}", join=case_id
    )


async def _representative(
    directory: DirectoryCopy, code: str, language: Language
) -> dict[str, str] | None:
    """The active representative of a QR code, as the form shows them; None when unknown."""
    entry = await directory.entry("representative", code)
    if entry is None or not entry.get("active", True):
        return None
    station = await directory.entry("station", str(entry.get("station", "")))
    return representative_card(entry, station=station, language=language)


async def _form_page(
    request: Request,
    directory: DirectoryCopy,
    *,
    representative: dict[str, str] | None,
    form: SubmissionForm | None = None,
    errors: Errors | None = None,
    photos_dropped: bool = False,
    status_code: int = 200,
    action: str | None = None,
    similar: list[SimilarCase] | None = None,
    joined: tuple[str, int] | None = None,
) -> Response:
    """`similar`: the open cases like the form, listed (None: not looked for); `joined`: the
    case the resident said "me too" on, and how many have now."""
    form = form or SubmissionForm()
    if not form.idempotency_key():
        form = form.with_new_submission_id()
    language = pick_language(request)
    categories = await directory.entries("category")
    # Where the case is: the QR code's representative says it; on the plain form, a point.
    points = (
        []
        if representative is not None
        else point_groups(
            await directory.entries("liaison_point"),
            await directory.entries("station"),
            name=lambda entry: localized(entry, language) or "",
        )
    )
    return PAGES.render(
        request,
        "resident_form.html",
        {
            "representative": representative,
            "categories": category_options(categories, language),
            "point_groups": points,
            "form": form,
            "errors": errors or {},
            "photos_dropped": photos_dropped,
            "action": action or request.url.path,
            "similar": similar,
            "joined": joined,
            # The representative's public duty record (履职档案) is reporting's page.
            "reporting_url": container(request).settings.reporting_web_url.rstrip("/"),
        },
        status_code=status_code,
    )


async def _submit(
    request: Request, post: FormPostDeps, *, representative: dict[str, str] | None
) -> Response:
    busy = await over_rate(request, post.limit)
    if busy is not None:
        return busy
    data = await request.form(max_files=MAX_FILE_PARTS)
    form = _submission_form(data)
    photos = await _photos(data)
    code = representative["code"] if representative else None
    parsed = parse_submission(
        form, photos, representative_code=code, language=pick_language(request)
    )
    if not isinstance(parsed, dict):
        try:
            stored = await post.commands.submit(parsed, idempotency_key=form.idempotency_key())
        except UnknownReference as exc:
            parsed = unknown_reference_errors(exc)
        except PhotoRefused as exc:
            parsed = photo_refused_errors(exc)
        except IdempotencyConflict:
            # Sent before with other content (e.g. back, edit, send): a fresh form sends it.
            return await _form_page(
                request,
                post.directory,
                representative=representative,
                form=form.with_new_submission_id(),
                errors={"form": Message("error.form.resubmitted")},
                photos_dropped=bool(photos),
                status_code=status.HTTP_409_CONFLICT,
            )
        else:
            return RedirectResponse(
                f"/t/{stored['tracking_code']}?new=1", status_code=status.HTTP_303_SEE_OTHER
            )
    return await _form_page(
        request,
        post.directory,
        representative=representative,
        form=form,
        errors=parsed,
        photos_dropped=bool(photos),
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
    )


async def _similar(
    request: Request,
    post: FormPostDeps,
    *,
    representative: dict[str, str] | None,
    action: str,
    join: str | None = None,
) -> Response:
    """The form again as typed, with the open cases like it; with `join`, after saying "me
    too" on that one (once per form: its submission id is the request's key)."""
    busy = await over_rate(request, post.limit)
    if busy is not None:
        return busy
    data = await request.form(max_files=MAX_FILE_PARTS)
    form = _submission_form(data)
    # Photos cannot be sent back to the browser: the resident chooses them again.
    dropped = bool(await _photos(data))
    if not form.idempotency_key():
        form = form.with_new_submission_id()
    language = pick_language(request)

    async def page(
        *, errors: Errors | None = None, status_code: int = 200, joined: tuple[str, int] | None
    ) -> Response:
        code = representative["code"] if representative else None
        draft = parse_similar_draft(form, representative_code=code)
        if not isinstance(draft, dict):
            draft = await _known_point(draft, post.directory)
        if isinstance(draft, dict):
            return await _form_page(
                request,
                post.directory,
                representative=representative,
                form=form,
                errors={**draft, **(errors or {})},
                photos_dropped=dropped,
                status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
                action=action,
            )
        found = await similar_cases(
            draft=draft,
            cases=post.commands.cases,
            directory=post.directory,
            zone=post.settings.zone,
        )
        return await _form_page(
            request,
            post.directory,
            representative=representative,
            form=form,
            errors=errors,
            photos_dropped=dropped,
            status_code=status_code,
            action=action,
            similar=found,
            joined=joined,
        )

    if join is None:
        return await page(joined=None)
    command = parse_support(form, language=language)
    if isinstance(command, dict):
        return await page(
            errors=command, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT, joined=None
        )
    try:
        supported = await post.commands.support(
            join, command, idempotency_key=f"{form.submission_id}:{join}"
        )
    except CaseNotFound:
        return await page(
            errors={"form": Message("error.form.me_too_unknown")},
            status_code=status.HTTP_404_NOT_FOUND,
            joined=None,
        )
    except CaseClosedToSupport:
        return await page(
            errors={"form": Message("error.form.me_too_closed")},
            status_code=status.HTTP_409_CONFLICT,
            joined=None,
        )
    return await page(joined=(supported.case_id, supported.supporters))


async def _known_point(draft: SimilarDraft, directory: DirectoryCopy) -> SimilarDraft | Errors:
    """The draft, or the point's field message when it names a point the directory lacks (the
    rule a submission is refused by)."""
    try:
        await check_reference("liaison_point_id", draft.liaison_point_id, directory=directory)
    except UnknownReference as exc:
        return unknown_reference_errors(exc)
    return draft


def _submission_form(data: FormData) -> SubmissionForm:
    return SubmissionForm(
        category=form_text(data, "category"),
        text=form_text(data, "text"),
        place=form_text(data, "place"),
        lat=form_text(data, "lat"),
        lon=form_text(data, "lon"),
        liaison_point_id=form_text(data, "liaison_point_id"),
        contact_name=form_text(data, "contact_name"),
        contact_phone=form_text(data, "contact_phone"),
        contact_email=form_text(data, "contact_email"),
        consent=form_text(data, "consent") == "yes",
        may_publish=form_text(data, "may_publish") == "yes",
        submission_id=form_text(data, "submission_id"),
    )


async def _photos(data: FormData) -> list[Photo]:
    photos = []
    for item in data.getlist("photos"):
        if not isinstance(item, UploadFile):
            continue
        content = await item.read()
        if not item.filename and not content:
            continue  # the empty part a browser sends when no file was chosen
        photos.append(
            Photo(
                filename=item.filename or "",
                content_type=item.content_type or "",
                data=content,
            )
        )
    return photos
