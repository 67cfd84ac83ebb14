"""Reports: revenue by channel, models side by side, and the funnel; one currency each."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from attribution.api.deps import Ctx, Tenant
from attribution.domain.credit_bounds import CREDIT_PLACES
from attribution.domain.currency import MissingRates
from attribution.domain.funnel import FunnelMode
from attribution.domain.reports import Rate, funnel_rates
from attribution.domain.weighting import ModelName
from attribution.reporting import Window, channels_report, compare_report, funnel_report
from dealflow_libs.http import ApiError
from dealflow_schemas.bounded import Instant

router = APIRouter(prefix="/v1/reports", tags=["reports"])

CURRENCY_DOC = (
    "Report currency (ISO 4217; default the tenant's). Each deal keeps its own currency and is "
    "converted at its close date with the tenant's rate table (`/v1/settings/currency-rates`); "
    "a missing rate is a 422 naming the pair and date."
)
CREDITED_DOC = (
    "Sum of the channel's share per deal, a decimal rounded half to even to "
    f"{CREDIT_PLACES} places from the exact sum of the deals' exact shares."
)
AS_OF_DOC = (
    "History: the runs that counted at this instant (each deal's latest run created by then and "
    "not voided by then), over deals won in the `days` before it."
)


@contextmanager
def _rates_known() -> Iterator[None]:
    """A missing exchange rate is the client's to add: 422 naming every pair and date."""
    try:
        yield
    except MissingRates as error:
        raise ApiError(
            422,
            "missing_rate",
            str(error),
            missing=[
                {"base": m.base, "quote": m.quote, "date": m.on.isoformat()} for m in error.missing
            ],
        ) from error


class ReportWindow(BaseModel):
    since: datetime = Field(description="Start of the window (inclusive).")
    until: datetime = Field(description="End of the window (inclusive): `as_of`, or now.")

    @classmethod
    def of(cls, window: Window) -> "ReportWindow":
        return cls(since=window.since, until=window.until)


class ChannelReportRow(BaseModel):
    channel: str
    deals_attributed: int = Field(description="Won deals with an eligible touch in the channel.")
    credited_deals: str = Field(description=CREDITED_DOC, examples=["12.333333"])
    attributed_value: int = Field(
        description="Credited revenue in minor units of the report currency; the rows sum to the "
        "converted won revenue exactly."
    )
    avg_deal_value: int | None = Field(description="attributed_value / credited_deals, cents.")
    percentage_of_revenue: int | None = Field(
        description="Basis points; the rows sum to exactly 10,000 (null when there is no revenue)."
    )


class ChannelReport(BaseModel):
    model: str
    days: int
    currency: str
    window: ReportWindow
    channels: list[ChannelReportRow]


@router.get("/channels", response_model=ChannelReport)
async def get_channel_report(
    tenant: Tenant,
    ctx: Ctx,
    days: int = Query(90, ge=1, le=3650),
    model: ModelName = ModelName.LINEAR,
    currency: str | None = Query(None, pattern="^[A-Z]{3}$", description=CURRENCY_DOC),
    as_of: Instant | None = Query(None, description=AS_OF_DOC),
) -> ChannelReport:
    """Per channel over the current runs of deals won in the last `days` days."""
    with _rates_known():
        report = await channels_report(
            ctx.uow(), tenant, model=model.value, days=days, currency=currency, as_of=as_of
        )
    return ChannelReport(
        model=model.value,
        days=days,
        currency=report.currency,
        window=ReportWindow.of(report.window),
        channels=[
            ChannelReportRow(
                channel=row.channel,
                deals_attributed=row.deals_attributed,
                credited_deals=str(row.credited_deals),
                attributed_value=row.attributed_minor,
                avg_deal_value=row.avg_deal_minor,
                percentage_of_revenue=row.percentage_bp,
            )
            for row in report.rows
        ],
    )


class CompareCellOut(BaseModel):
    attributed_value: int = Field(description="Minor units of the report currency.")
    credited_deals: str = Field(description=CREDITED_DOC, examples=["12.333333"])
    percentage_of_revenue: int | None = Field(description="Basis points of the column.")


class CompareRowOut(BaseModel):
    channel: str
    models: dict[str, CompareCellOut] = Field(description="One cell per requested model.")


class CompareReportOut(BaseModel):
    models: list[str]
    days: int
    currency: str
    window: ReportWindow
    deals: int = Field(description="Deals compared: each has a current run under every model.")
    won_value: int = Field(description="Their converted won revenue; every column sums to it.")
    totals: dict[str, int] = Field(description="Per model, the sum of its column.")
    missing_runs: dict[str, int] = Field(
        description="Per model, won deals in the window left out because that model has no "
        "current run for them (e.g. a model the tenant does not run)."
    )
    inconsistent_deals: int = Field(
        description="Deals left out because their runs disagree on value, currency or close."
    )
    channels: list[CompareRowOut]


def _models(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    try:
        models = [ModelName(n).value for n in names]
    except ValueError as error:
        raise ApiError(422, "invalid_model", f"models: {error}") from error
    if not models:
        raise ApiError(422, "invalid_model", "models: name at least one model")
    return list(dict.fromkeys(models))  # the order asked, each once


@router.get("/compare", response_model=CompareReportOut)
async def get_compare_report(
    tenant: Tenant,
    ctx: Ctx,
    days: int = Query(90, ge=1, le=3650),
    models: str = Query(
        "first_touch,last_touch,linear,position_based,time_decay",
        max_length=500,
        description="Comma-separated model names; the first orders the rows.",
    ),
    currency: str | None = Query(None, pattern="^[A-Z]{3}$", description=CURRENCY_DOC),
    as_of: Instant | None = Query(None, description=AS_OF_DOC),
) -> CompareReportOut:
    """Channel x model matrix over the same deals and conversion: only deals with a current run
    under every requested model are compared (the rest are counted in `missing_runs`), so every
    column sums to the same won revenue."""
    names = _models(models)
    with _rates_known():
        report = await compare_report(
            ctx.uow(), tenant, models=names, days=days, currency=currency, as_of=as_of
        )
    found = report.comparison
    return CompareReportOut(
        models=names,
        days=days,
        currency=report.currency,
        window=ReportWindow.of(report.window),
        deals=found.deals,
        won_value=found.won_minor,
        totals={m: sum(row.cells[m].attributed_minor for row in found.rows) for m in names},
        missing_runs=found.missing_runs,
        inconsistent_deals=found.inconsistent_deals,
        channels=[
            CompareRowOut(
                channel=row.channel,
                models={
                    m: CompareCellOut(
                        attributed_value=cell.attributed_minor,
                        credited_deals=str(cell.credited_deals),
                        percentage_of_revenue=cell.percentage_bp,
                    )
                    for m, cell in row.cells.items()
                },
            )
            for row in found.rows
        ],
    )


class RateTerms(BaseModel):
    numerator: int
    denominator: int


class FunnelOut(BaseModel):
    mode: FunnelMode
    days: int
    currency: str
    window: ReportWindow
    total_leads: int = Field(
        description="period: people touched in the window; cohort: people first seen in it."
    )
    meetings_booked: int
    meetings_showed: int
    meetings_no_show: int
    deals_created: int
    deals_won: int
    deals_lost: int
    total_pipeline_value: int = Field(
        description="Minor units: current value of the deals created (cohort: of the leads' "
        "deals), cancelled ones left out; each converted at its close date, or creation date "
        "while open."
    )
    total_won_value: int = Field(description="Minor units: the won deals' value, converted.")
    show_rate: int | None = Field(
        description="Basis points, half to even: showed / (showed + no-show); null when 0/0."
    )
    deal_win_rate: int | None = Field(description="Basis points: won / (won + lost).")
    deal_conversion_rate: int | None = Field(description="Basis points: won / created.")
    lead_to_meeting_rate: int | None = Field(
        description="Basis points: leads with a meeting / leads."
    )
    lead_to_win_rate: int | None = Field(
        description="Basis points: leads whose account won a deal / leads."
    )
    rate_terms: dict[str, RateTerms] = Field(
        description="Each rate's numerator and denominator, to check or re-round it."
    )


@router.get("/funnel", response_model=FunnelOut)
async def get_funnel(
    tenant: Tenant,
    ctx: Ctx,
    days: int = Query(90, ge=1, le=3650),
    mode: FunnelMode = Query(
        FunnelMode.PERIOD,
        description="period: each count is of what happened in the window; cohort: the leads "
        "first seen in the window, followed to whatever happened to them since.",
    ),
    currency: str | None = Query(None, pattern="^[A-Z]{3}$", description=CURRENCY_DOC),
) -> FunnelOut:
    """Leads -> meetings -> deals over the last `days` days; rates in basis points, null (never
    NaN) for a zero denominator."""
    with _rates_known():
        report = await funnel_report(ctx.uow(), tenant, days=days, mode=mode, currency=currency)
    counts = report.counts
    found = funnel_rates(counts)
    rates: dict[str, Rate] = {
        "show_rate": found.show_rate,
        "deal_win_rate": found.deal_win_rate,
        "deal_conversion_rate": found.deal_conversion_rate,
        "lead_to_meeting_rate": found.lead_to_meeting_rate,
        "lead_to_win_rate": found.lead_to_win_rate,
    }
    return FunnelOut(
        mode=mode,
        days=days,
        currency=report.currency,
        window=ReportWindow.of(report.window),
        total_leads=counts.total_leads,
        meetings_booked=counts.meetings_booked,
        meetings_showed=counts.meetings_showed,
        meetings_no_show=counts.meetings_no_show,
        deals_created=counts.deals_created,
        deals_won=counts.deals_won,
        deals_lost=counts.deals_lost,
        total_pipeline_value=report.pipeline_minor,
        total_won_value=report.won_minor,
        show_rate=found.show_rate.basis_points(),
        deal_win_rate=found.deal_win_rate.basis_points(),
        deal_conversion_rate=found.deal_conversion_rate.basis_points(),
        lead_to_meeting_rate=found.lead_to_meeting_rate.basis_points(),
        lead_to_win_rate=found.lead_to_win_rate.basis_points(),
        rate_terms={
            name: RateTerms(numerator=r.numerator, denominator=r.denominator)
            for name, r in rates.items()
        },
    )
