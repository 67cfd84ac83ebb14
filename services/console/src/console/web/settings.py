"""Settings: sender routing and email templates with a preview (notifications), reminder
offsets (meetings), the deal policy and stage probabilities (deals); the CRM and exchange rates
have their own modules. Each form replaces one
service's settings; what the page does not show is sent back as the service answered it, and a
refusal is shown in the service's own words."""

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from console.signin import SignIn
from console.web.context import context
from console.web.guard import CheckedMember, Member
from console.web.rendering import page
from dealflow_schemas.deals import DealStage
from dealflow_schemas.notifications import NotificationKind

router = APIRouter(prefix="/settings", tags=["settings"])

SETTINGS_TABS = (
    ("crm", "/settings/crm", "CRM"),
    ("emails", "/settings/emails", "Emails"),
    ("meetings", "/settings/meetings", "Meetings"),
    ("deals", "/settings/deals", "Deals"),
    ("currency", "/settings/currency", "Exchange rates"),
)
#: Blank rows under the sender routes, for adding routes.
NEW_ROUTE_ROWS = 2
#: meetings accepts up to five reminders.
REMINDER_SLOTS = 5
KINDS = [k.value for k in NotificationKind]
TEMPLATE_PARTS = ("subject", "html", "text")
PolicyField = Annotated[str, Form(max_length=40)]


def settings_page(request: Request, tab: str, **values: Any) -> Response:
    """A settings tab (template `settings_<tab>.html`) with the tabs and the saved notice."""
    return page(
        request,
        f"settings_{tab}.html",
        tabs=SETTINGS_TABS,
        tab=tab,
        saved=request.query_params.get("saved"),
        **values,
    )


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def back_to(request: Request, path: str) -> Response:
    """After a saved change: back to the page (htmx: a client-side redirect, so the page shows
    what the service now holds)."""
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": path})
    return RedirectResponse(path, status_code=303)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _texts(form: FormData, name: str) -> list[str]:
    return [v.strip() if isinstance(v, str) else "" for v in form.getlist(name)]


def _number(text: str) -> int | str:
    """An integer when the text is one; otherwise the text as typed, for the service to refuse
    in its own words."""
    try:
        return int(text)
    except ValueError:
        return text


@router.get("", include_in_schema=False)
async def settings_home() -> RedirectResponse:
    return RedirectResponse("/settings/crm", status_code=303)


# --- emails: sender routing and templates ----------------------------------------------------


async def _emails_page(request: Request, member: SignIn, kind: str, **extra: Any) -> Response:
    if kind not in KINDS:
        raise HTTPException(404, f"no email kind {kind!r}")
    api = context(request).api
    senders, template = await asyncio.gather(
        api.get(member, "notifications", "/v1/settings/senders"),
        api.get(member, "notifications", f"/v1/templates/{kind}"),
    )
    return settings_page(
        request,
        "emails",
        senders=senders,
        new_rows=NEW_ROUTE_ROWS,
        kinds=KINDS,
        kind=kind,
        template=extra.pop("template", None) or template or {},
        **extra,
    )


@router.get("/emails", response_class=HTMLResponse, summary="Sender routing and templates")
async def emails(request: Request, member: Member, kind: str = "confirmation") -> Response:
    return await _emails_page(request, member, kind)


@router.post("/emails/senders", summary="Replace the sender routing")
async def save_senders(request: Request, member: CheckedMember) -> Response:
    form = await request.form()
    rows = zip(
        _texts(form, "route_domain"),
        _texts(form, "route_from_address"),
        _texts(form, "route_from_name"),
        strict=True,
    )
    body = {
        "routes": [
            {"domain": domain, "from_address": address, "from_name": name or None}
            for domain, address, name in rows
            if domain or address or name  # blank rows add nothing
        ],
        "default": {
            "from_address": _text(form, "default_from_address"),
            "from_name": _text(form, "default_from_name") or None,
        },
    }
    await context(request).api.call(
        member, "PUT", "notifications", "/v1/settings/senders", json=body
    )
    return back_to(request, "/settings/emails?saved=senders")


def _template(form: FormData) -> dict[str, str | None]:
    """A part left empty is the default's."""
    return {part: _text(form, part) or None for part in TEMPLATE_PARTS}


@router.post("/emails/templates/{kind}", summary="Replace a template")
async def save_template(request: Request, member: CheckedMember, kind: str) -> Response:
    template = _template(await request.form())
    await context(request).api.call(
        member, "PUT", "notifications", f"/v1/templates/{kind}", json=template
    )
    return back_to(request, f"/settings/emails?kind={kind}&saved=template")


@router.post("/emails/templates/{kind}/preview", summary="Preview a template as typed")
async def preview_template(request: Request, member: CheckedMember, kind: str) -> Response:
    template = _template(await request.form())
    body = {"template": template} if any(template.values()) else {}
    preview = await context(request).api.call(
        member, "POST", "notifications", f"/v1/templates/{kind}/preview", json=body
    )
    if is_htmx(request):
        return page(request, "_template_preview.html", preview=preview)
    return await _emails_page(request, member, kind, preview=preview, template=template)


# --- meetings: reminder offsets --------------------------------------------------------------


@router.get("/meetings", response_class=HTMLResponse, summary="Reminder offsets")
async def meetings(request: Request, member: Member) -> Response:
    found = await context(request).api.get(member, "meetings", "/v1/settings")
    offsets = found["reminder_offsets_minutes"]
    return settings_page(
        request,
        "meetings",
        offsets=offsets + [None] * (REMINDER_SLOTS - len(offsets)),
    )


@router.post("/meetings", summary="Replace the reminder offsets")
async def save_meetings(request: Request, member: CheckedMember) -> Response:
    form = await request.form()
    api = context(request).api
    current = await api.get(member, "meetings", "/v1/settings")
    offsets = [_number(t) for t in _texts(form, "reminder_offset") if t]
    # The meeting-type rules are not on this page: they are sent back as they are.
    body = {**current, "reminder_offsets_minutes": offsets}
    await api.call(member, "PUT", "meetings", "/v1/settings", json=body)
    return back_to(request, "/settings/meetings?saved=reminders")


# --- deals: policy and stage probabilities ---------------------------------------------------


@router.get("/deals", response_class=HTMLResponse, summary="Deal policy and probabilities")
async def deals(request: Request, member: Member) -> Response:
    found = await context(request).api.get(member, "deals", "/v1/settings")
    return settings_page(
        request,
        "deals",
        found=found,
        stages=[s.value for s in DealStage],
    )


@router.post("/deals", summary="Replace the deal policy and stage probabilities")
async def save_deals(
    request: Request, member: CheckedMember, policy: PolicyField = "on_booking"
) -> Response:
    form = await request.form()
    api = context(request).api
    current = await api.get(member, "deals", "/v1/settings")
    probabilities = {
        stage.value: _number(text)
        for stage in DealStage
        if (text := _text(form, f"probability.{stage.value}"))
    }
    # The CRM stage-name mappings are not on this page: they are sent back as they are.
    body = {**current, "policy": policy, "stage_probabilities": probabilities}
    await api.call(member, "PUT", "deals", "/v1/settings", json=body)
    return back_to(request, "/settings/deals?saved=deals")
