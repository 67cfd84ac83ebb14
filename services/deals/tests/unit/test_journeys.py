"""Which meeting's journey a deal shows: its source meeting while linked, else the first linked."""

import uuid
from datetime import UTC, datetime

from dealflow_schemas.deals import DealStage
from deals.domain.deal import Deal
from deals.domain.journeys import MeetingJourney, journeys_of_deals, source_meeting
from deals.domain.settings import DealSettings


def deal(source: uuid.UUID | None, *linked: uuid.UUID) -> Deal:
    opened, _ = Deal.open(
        tenant_id="t",
        company_id=uuid.uuid4(),
        name="Acme",
        stage=DealStage.BOOKED,
        settings=DealSettings(),
        currency="EUR",
        now=datetime.now(UTC),
        by="test",
        source_meeting_id=source,
    )
    opened.meeting_ids = list(linked)
    return opened


def journey(meeting_id: uuid.UUID, touches: int) -> MeetingJourney:
    return MeetingJourney(meeting_id, touches, 1, "Paid Search", f"t-{touches}", "Outbound Email")


first, second, third = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def test_the_meeting_that_created_the_deal_comes_first() -> None:
    assert source_meeting(deal(second, first, second), {first, second}) == second


def test_without_one_the_first_linked_meeting() -> None:
    assert source_meeting(deal(None, second, first), {first, second}) == second


def test_a_source_meeting_that_moved_away_gives_way_to_the_next_linked_one() -> None:
    assert source_meeting(deal(first, first, second, third), {second, third}) == second
    assert source_meeting(deal(first, first), set()) is None


def test_journeys_follow_the_links() -> None:
    by_crm, by_meeting, unattributed = deal(None, first), deal(second, second), deal(third, third)
    links = [
        (by_crm.id, first, journey(first, 4)),
        (by_meeting.id, second, journey(second, 2)),
        (unattributed.id, third, None),
    ]

    found = journeys_of_deals([by_crm, by_meeting, unattributed], links)

    assert {d: j.touches_before_booking for d, j in found.items()} == {
        by_crm.id: 4,
        by_meeting.id: 2,
    }
