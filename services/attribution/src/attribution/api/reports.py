"""Revenue by channel over the current attribution runs."""

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from attribution.api.deps import Ctx, Tenant
from attribution.domain.canonical import fraction_text
from attribution.domain.weighting import ModelName
from attribution.use_cases import channels_report

router = APIRouter(prefix="/v1/reports", tags=["reports"])


class ChannelReportRow(BaseModel):
    channel: str
    deals_attributed: int = Field(description="Won deals with an eligible touch in the channel.")
    credited_deals: str = Field(description="Sum of the channel's share per deal (a fraction).")
    attributed_value: int = Field(description="Credited revenue in minor units (cents).")
    avg_deal_value: int | None = Field(description="attributed_value / credited_deals, cents.")
    percentage_of_revenue: int | None = Field(
        description="Basis points; the rows sum to exactly 10,000 (null when there is no revenue)."
    )


class ChannelReport(BaseModel):
    model: str
    days: int
    currency: str
    channels: list[ChannelReportRow]


@router.get("/channels", response_model=ChannelReport)
async def get_channel_report(
    tenant: Tenant,
    ctx: Ctx,
    days: int = Query(90, ge=1, le=3650),
    model: ModelName = ModelName.LINEAR,
    currency: str | None = Query(None, pattern="^[A-Z]{3}$"),
) -> ChannelReport:
    """Per channel over the current runs of deals won in the last `days` days."""
    used, rows = await channels_report(ctx.uow(), tenant, model.value, days, currency)
    return ChannelReport(
        model=model.value,
        days=days,
        currency=used,
        channels=[
            ChannelReportRow(
                channel=row.channel,
                deals_attributed=row.deals_attributed,
                credited_deals=fraction_text(row.credited_deals),
                attributed_value=row.attributed_minor,
                avg_deal_value=row.avg_deal_minor,
                percentage_of_revenue=row.percentage_bp,
            )
            for row in rows
        ],
    )
