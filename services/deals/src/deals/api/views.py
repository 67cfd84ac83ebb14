"""How the API shows a deal: the contract's snapshot plus its source meeting's journey."""

from collections.abc import Sequence

from pydantic import Field

from dealflow_schemas.deals import DealSnapshot
from deals.domain.company import Company
from deals.domain.deal import Deal
from deals.domain.journeys import MeetingJourney
from deals.events import snapshot
from deals.uow import DealsUnitOfWork
from deals.use_cases import journeys_of


class DealView(DealSnapshot):
    """Once the attribution service has attributed the deal's source meeting (the meeting that
    created it, else the first linked one), `converting_activity_id` and `converting_channel`
    are that meeting's, and so are the two fields below; until then they are as the deal was
    created (converting_*) and null."""

    first_touch_channel: str | None = Field(
        description="Channel of the first touch before the source meeting was booked."
    )
    touches_before_deal: int | None = Field(
        description="Touches before the source meeting was booked (its touches_before_booking)."
    )


def deal_view(deal: Deal, company: Company, journey: MeetingJourney | None) -> DealView:
    fields = dict(snapshot(deal, company))  # the snapshot's values as they are, not re-parsed
    if journey is None:
        return DealView(**fields, first_touch_channel=None, touches_before_deal=None)
    fields["converting_activity_id"] = journey.converting_activity_id
    fields["converting_channel"] = journey.converting_channel
    return DealView(
        **fields,
        first_touch_channel=journey.first_touch_channel,
        touches_before_deal=journey.touches_before_booking,
    )


async def deal_views(uow: DealsUnitOfWork, deals: Sequence[Deal]) -> list[DealView]:
    """The deals as shown, in order (reads inside the caller's unit of work)."""
    companies = await uow.deals.companies_by_id(d.company_id for d in deals)
    journeys = await journeys_of(uow, deals)
    return [deal_view(d, companies[d.company_id], journeys.get(d.id)) for d in deals]
