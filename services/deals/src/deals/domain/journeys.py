"""Which meeting's journey a deal shows (the attribution service's MeetingAttributed). Pure.

A deal's converting_channel, first_touch_channel and touches_before_deal come from its source
meeting's journey: the meeting that created the deal while it is still linked to it, else the
first meeting linked to the deal that still is (link order, `Deal.meeting_ids`). A meeting's
link is its record's `deal_id`, so a meeting that moves to another deal takes its journey along.
"""

import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from deals.domain.deal import Deal


@dataclass(frozen=True)
class MeetingJourney:
    """What came before one booking, as the attribution service computed it."""

    meeting_id: uuid.UUID
    touches_before_booking: int
    days_to_booking: int | None
    first_touch_channel: str | None
    converting_activity_id: str | None
    converting_channel: str | None


def source_meeting(deal: Deal, linked: Collection[uuid.UUID]) -> uuid.UUID | None:
    """The meeting the deal's analytics come from, given the meetings linked to it now."""
    if deal.source_meeting_id is not None and deal.source_meeting_id in linked:
        return deal.source_meeting_id
    return next((m for m in deal.meeting_ids if m in linked), None)


def journeys_of_deals(
    deals: Iterable[Deal],
    links: Iterable[tuple[uuid.UUID, uuid.UUID, MeetingJourney | None]],
) -> dict[uuid.UUID, MeetingJourney]:
    """deal id -> its source meeting's journey, for the deals whose source meeting has one.
    `links`: (deal id, meeting id, that meeting's journey or None) for every linked meeting."""
    linked: dict[uuid.UUID, set[uuid.UUID]] = {}
    journeys: dict[uuid.UUID, MeetingJourney] = {}
    for deal_id, meeting_id, journey in links:
        linked.setdefault(deal_id, set()).add(meeting_id)
        if journey is not None:
            journeys[meeting_id] = journey
    found = {}
    for deal in deals:
        source = source_meeting(deal, linked.get(deal.id, set()))
        if source is not None and source in journeys:
            found[deal.id] = journeys[source]
    return found
