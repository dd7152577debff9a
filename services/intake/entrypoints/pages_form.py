"""The resident's form: plain (`/new`) or from a representative's QR code (`/r/<code>`)."""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Request, status
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from services.intake.adapters.case_documents import IdempotencyConflict
from services.intake.adapters.directory_copy import DirectoryCopy
from services.intake.domain.errors import PhotoRefused, UnknownReference
from services.intake.entrypoints.deps import Directory, FormPost, FormPostDeps, container
from services.intake.entrypoints.pages import PAGES, form_text, not_found, over_rate
from services.intake.web.forms import (
    Errors,
    Message,
    Photo,
    SubmissionForm,
    parse_submission,
    photo_refused_errors,
    unknown_reference_errors,
)
from services.intake.web.views import category_options, representative_card
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
) -> Response:
    form = form or SubmissionForm()
    if not form.idempotency_key():
        form = form.with_new_submission_id()
    categories = await directory.entries("category")
    return PAGES.render(
        request,
        "resident_form.html",
        {
            "representative": representative,
            "categories": category_options(categories, pick_language(request)),
            "form": form,
            "errors": errors or {},
            "photos_dropped": photos_dropped,
            "action": request.url.path,
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


def _submission_form(data: FormData) -> SubmissionForm:
    return SubmissionForm(
        category=form_text(data, "category"),
        text=form_text(data, "text"),
        place=form_text(data, "place"),
        lat=form_text(data, "lat"),
        lon=form_text(data, "lon"),
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
