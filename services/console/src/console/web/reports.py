"""Reports: show rate and the funnel, channel revenue by attribution model (with the models side
by side), and why deals were lost. Figures come as the services answer them; the charts are
drawn from the same figures the tables beside them show."""

import asyncio
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from console.charts import BarChart, Group, Layout, Value, bar_chart
from console.services import ServiceError
from console.web.context import context
from console.web.guard import Member
from console.web.rendering import fraction, label, minor, money, page

router = APIRouter(prefix="/reports", tags=["reports"])

#: The period switch: the last N days.
PERIODS = (30, 90, 365)
Days = Annotated[int, Query(ge=1, le=3650)]

#: The funnel's steps: attribution's count field and how the page names it.
FUNNEL_STEPS = (
    ("total_leads", "Leads"),
    ("meetings_booked", "Meetings booked"),
    ("meetings_showed", "Meetings held"),
    ("deals_created", "Deals created"),
    ("deals_won", "Deals won"),
)


@dataclass(frozen=True)
class MissingRate:
    """An exchange rate a report needs and the tenant has not entered (attribution's 422)."""

    base: str
    quote: str
    date: str


async def converted(report: Awaitable[Any]) -> tuple[Any, list[MissingRate]]:
    """A report in the tenant's currency, or the rates it lacks: a deal in another currency is
    converted at its close date, and a missing rate leaves the rest of the page standing."""
    try:
        return await report, []
    except ServiceError as refused:
        if refused.code != "missing_rate":
            raise
        return None, [MissingRate(**m) for m in refused.body.get("missing", [])]


def funnel_chart(funnel: Mapping[str, Any]) -> BarChart:
    return bar_chart(
        f"Funnel, last {funnel['days']} days",
        [Group(name, [Value(funnel[key], f"{funnel[key]:,}")]) for key, name in FUNNEL_STEPS],
    )


def show_rate_chart(rates: Mapping[str, Any]) -> BarChart:
    shown = (
        ("show_rate", "Showed"),
        ("no_show_rate", "No-show"),
        ("reschedule_rate", "Rescheduled"),
    )
    return bar_chart(
        f"Show rate, last {rates['days']} days",
        [
            Group(name, [Value((rates[key] or 0) * 100, fraction(rates[key]))])
            for key, name in shown
        ],
        scale_max=100,
    )


def channels_chart(report: Mapping[str, Any]) -> BarChart:
    currency = report["currency"]
    return bar_chart(
        f"Revenue by channel ({label(report['model'])}), last {report['days']} days",
        [
            Group(
                row["channel"],
                [Value(row["attributed_value"], minor(row["attributed_value"], currency))],
            )
            for row in report["channels"]
        ],
    )


#: Room for a model's name with the figure after each bar.
COMPARE_LAYOUT = Layout(width=560, value_width=250)


def compare_chart(report: Mapping[str, Any]) -> BarChart:
    currency, models = report["currency"], report["models"]
    return bar_chart(
        f"Revenue by channel under each model, last {report['days']} days",
        [
            Group(
                row["channel"],
                [
                    Value(
                        row["models"][m]["attributed_value"],
                        f"{label(m)}: {minor(row['models'][m]['attributed_value'], currency)}",
                        series=i,
                    )
                    for i, m in enumerate(models)
                ],
            )
            for row in report["channels"]
        ],
        layout=COMPARE_LAYOUT,
    )


def lost_chart(lost: Mapping[str, Any]) -> BarChart:
    return bar_chart(
        f"Lost deals by reason, last {lost['days']} days",
        [
            Group(
                label(r["reason"]),
                [Value(r["count"], f"{r['count']:,} · {money(r['lost_value'])}")],
            )
            for r in lost["reasons"]
        ],
    )


@router.get("", response_class=HTMLResponse, summary="Show rate and funnel")
async def overview(request: Request, member: Member, days: Days = 30) -> Response:
    api = context(request).api
    rates, (funnel, missing) = await asyncio.gather(
        api.get(member, "meetings", "/v1/analytics/show-rate", days=days),
        converted(api.get(member, "attribution", "/v1/reports/funnel", days=days)),
    )
    return page(
        request,
        "reports.html",
        tab="overview",
        days=days,
        periods=PERIODS,
        rates=rates,
        rates_chart=show_rate_chart(rates),
        funnel=funnel,
        funnel_chart=funnel_chart(funnel) if funnel else None,
        funnel_steps=FUNNEL_STEPS,
        missing_rates=missing,
    )


@router.get("/channels", response_class=HTMLResponse, summary="Revenue by channel and model")
async def channels(
    request: Request, member: Member, days: Days = 90, model: str = "linear"
) -> Response:
    api = context(request).api
    # The models the tenant runs: the switch offers them and the comparison sets them side by
    # side (a model without runs would only show empty figures).
    run_settings, (report, missing) = await asyncio.gather(
        api.get(member, "attribution", "/v1/settings"),
        converted(api.get(member, "attribution", "/v1/reports/channels", days=days, model=model)),
    )
    models = run_settings["models"]
    compared = None
    if report is not None:
        compared, missing = await converted(
            api.get(
                member, "attribution", "/v1/reports/compare", days=days, models=",".join(models)
            )
        )
    return page(
        request,
        "reports_channels.html",
        tab="channels",
        days=days,
        periods=PERIODS,
        model=report["model"] if report else model,
        models=models,
        report=report,
        chart=channels_chart(report) if report else None,
        compared=compared,
        compare_chart=compare_chart(compared) if compared else None,
        missing_rates=missing,
    )


@router.get("/lost", response_class=HTMLResponse, summary="Why deals were lost")
async def lost(request: Request, member: Member, days: Days = 90) -> Response:
    found = await context(request).api.get(member, "deals", "/v1/analytics/lost", days=days)
    return page(
        request,
        "reports_lost.html",
        tab="lost",
        days=days,
        periods=PERIODS,
        lost=found,
        chart=lost_chart(found),
    )
