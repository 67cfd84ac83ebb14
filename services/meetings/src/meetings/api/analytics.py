"""Show-rate analytics."""

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Query
from pydantic import BaseModel

from meetings.api.deps import Ctx, Tenant
from meetings.domain.analytics import show_rate_of

router = APIRouter(prefix="/v1/analytics", tags=["analytics"])


class ShowRateOut(BaseModel):
    days: int
    since: datetime
    until: datetime
    total_meetings: int
    attendance_known: int
    show_rate: float | None
    no_show_rate: float | None
    reschedule_rate: float | None
    cancelled: int
    confirmed_show_rate: float | None
    reminded_show_rate: float | None


@router.get("/show-rate", response_model=ShowRateOut, summary="Show, no-show and reschedule rates")
async def get_show_rate(
    ctx: Ctx, tenant: Tenant, days: int = Query(30, ge=1, le=3650)
) -> ShowRateOut:
    """Meetings scheduled in the last `days` days (up to now). Rates are fractions (0-1) of the
    meetings whose attendance is known; null when there are none."""
    until = datetime.now(UTC)
    since = until - timedelta(days=days)
    async with ctx.uow() as uow:
        counts = await uow.meetings.show_rate_counts(tenant, since, until)
    figures = show_rate_of(counts)
    return ShowRateOut(days=days, since=since, until=until, **figures.__dict__)
