"""The deals list and the deal page: company, contacts, meetings, stage history, the board's
actions, attribution per model (a bar per touch) and CRM sync status."""

import asyncio
import uuid
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from console.charts import BarChart, Group, Value, bar_chart
from console.services import ServiceApi, ServiceError
from console.signin import SignIn
from console.web.board import OPEN_STAGES
from console.web.context import context
from console.web.guard import CheckedMember, Member
from console.web.rendering import label, minor, page, when
from dealflow_schemas.deals import DealStage, DealStatus, LostReason

router = APIRouter(tags=["deals"])

T = TypeVar("T")

PAGE_SIZE = 50
#: Attribution's own default model: shown first when the tenant runs it.
PREFERRED_MODEL = "linear"


@dataclass(frozen=True)
class TouchBar:
    """One credited touch of a run, as a bar whose length is its share of the deal."""

    touch_id: str
    channel: str
    activity_type: str
    occurred_at: str
    roles: list[str]
    percent: Decimal
    minor_units: int


def _percent(share: Fraction) -> Decimal:
    return (Decimal(share.numerator) * 100 / share.denominator).quantize(Decimal("0.1"))


def touch_bars(run: Mapping[str, Any]) -> list[TouchBar]:
    """The run's touches in its order; `percent` is the normalised weight (the shares sum to
    100), `minor_units` the credit in the currency's minor units, as the run counts it."""
    return [
        TouchBar(
            touch_id=t["touch_id"],
            channel=t["channel"],
            activity_type=t["activity_type"],
            occurred_at=t["occurred_at"],
            roles=list(t["roles"]),
            percent=_percent(Fraction(t["weight"])),
            minor_units=t["minor_units"],
        )
        for t in run["touches"]
    ]


def attribution_chart(run: Mapping[str, Any]) -> BarChart:
    """A bar per credited touch, its length the touch's share of the deal (of 100 %)."""
    return bar_chart(
        f"Credit per touch ({label(run['model'])})",
        [
            Group(
                f"{bar.channel} · {label(bar.activity_type)} · {when(bar.occurred_at)[:10]}",
                [
                    Value(
                        float(bar.percent),
                        f"{bar.percent}% · {minor(bar.minor_units, run['currency'])}",
                    )
                ],
            )
            for bar in touch_bars(run)
        ],
        scale_max=100,
    )


def page_link(filters: Mapping[str, str], cursor: str | None = None) -> str:
    """The list under the same filters: its first page, or the one the service's cursor opens."""
    query = {k: v for k, v in filters.items() if v}
    if cursor:
        query["cursor"] = cursor
    return f"/deals?{urlencode(query)}" if query else "/deals"


def chosen_model(requested: str | None, enabled: list[str]) -> str:
    """The model asked for, else attribution's default when the tenant runs it, else the
    tenant's first."""
    if requested:
        return requested
    if PREFERRED_MODEL in enabled or not enabled:
        return PREFERRED_MODEL
    return enabled[0]


async def _section(call: Awaitable[T]) -> tuple[T | None, str | None]:
    """A part of the page another service answers: its data, or what that service said (the
    rest of the page still shows when one service refuses or is down)."""
    try:
        return await call, None
    except ServiceError as exc:
        return None, f"{exc.service}: {exc.message}"


async def _attribution(
    api: ServiceApi, member: SignIn, deal_id: uuid.UUID, requested: str | None
) -> dict[str, Any]:
    settings, settings_error = await _section(api.get(member, "attribution", "/v1/settings"))
    models: list[str] = list(settings["models"]) if settings else []
    model = chosen_model(requested, models)
    run, error = await _section(
        api.get(member, "attribution", f"/v1/deals/{deal_id}/attribution", model=model)
    )
    return {
        "model": model,
        "models": models if model in models else [*models, model],
        "run": run,
        "bars": touch_bars(run) if run else [],
        "chart": attribution_chart(run) if run else None,
        "error": error or settings_error,
    }


@router.get("/deals", response_class=HTMLResponse, summary="Deals, newest first, with filters")
async def deals_list(
    request: Request,
    member: Member,
    status: str = Query("", max_length=40),
    stage: str = Query("", max_length=40),
    company_domain: str = Query("", max_length=500),
    cursor: str = Query("", max_length=2000),
    limit: int = Query(PAGE_SIZE, ge=1, le=200),
) -> Response:
    filters = {"status": status, "stage": stage, "company_domain": company_domain.strip()}
    found = await context(request).api.get(
        member, "deals", "/v1/deals", **filters, cursor=cursor, limit=limit
    )
    # Links keep the filters and a page size other than the usual one.
    kept = {**filters, "limit": str(limit) if limit != PAGE_SIZE else ""}
    return page(
        request,
        "deals.html",
        deals=found["items"],
        filters=filters,
        paged=bool(cursor),
        first_link=page_link(kept),
        limit=kept["limit"],
        next_link=page_link(kept, found["next_cursor"]) if found["next_cursor"] else None,
        statuses=[s.value for s in DealStatus],
        stages=[s.value for s in DealStage],
    )


@router.get("/deals/{deal_id}", response_class=HTMLResponse, summary="A deal")
async def deal_page(
    request: Request,
    member: Member,
    deal_id: uuid.UUID,
    model: str = Query("", max_length=40),
) -> Response:
    api = context(request).api
    deal, attribution, (pushes, crm_error) = await asyncio.gather(
        api.get(member, "deals", f"/v1/deals/{deal_id}"),
        _attribution(api, member, deal_id, model or None),
        _section(api.get(member, "crm_push", "/v1/crm/pushes", deal_id=deal_id, limit=50)),
    )
    return page(
        request,
        "deal.html",
        deal=deal,
        attribution=attribution,
        pushes=pushes["items"] if pushes else [],
        crm_error=crm_error,
        here=f"/deals/{deal_id}",
        open_stages=[s.value for s in OPEN_STAGES],
        lost_reasons=[r.value for r in LostReason],
    )


@router.post("/deals/{deal_id}/crm/{push_id}/retry", summary="Run a parked CRM push again")
async def retry_push(
    request: Request, member: CheckedMember, deal_id: uuid.UUID, push_id: uuid.UUID
) -> Response:
    await context(request).api.call(member, "POST", "crm_push", f"/v1/crm/pushes/{push_id}/retry")
    return RedirectResponse(f"/deals/{deal_id}#crm", status_code=303)
