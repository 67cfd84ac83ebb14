"""The funnel's counts by period and by cohort, and its rates (None for 0/0, never NaN)."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from attribution.domain.funnel import (
    DealFact,
    FunnelMode,
    LeadSeen,
    MeetingFact,
    select_funnel,
)
from attribution.domain.reports import FunnelCounts, Rate, funnel_rates

NOW = datetime(2026, 6, 30, tzinfo=UTC)
SINCE = NOW - timedelta(days=30)


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def meeting(people: set[str], booked: float, held: float, showed: bool | None) -> MeetingFact:
    return MeetingFact(uuid.uuid4(), ago(booked), frozenset(people), ago(held), showed)


def deal(
    domain: str | None,
    created: float,
    status: str = "active",
    closed: float | None = None,
    value: str = "100.00",
    contact: str | None = None,
) -> DealFact:
    return DealFact(
        deal_id=uuid.uuid4(),
        tenant_id="t",
        company_domain=domain,
        primary_contact_email=contact,
        meeting_ids=(),
        status=status,
        stage="closed_won" if status == "won" else "qualification",
        value=Decimal(value),
        currency="USD",
        created_at=ago(created),
        closed_at=ago(closed) if closed is not None else None,
    )


# Old lead (first seen 60 days ago, touched again 10 days ago) at old.com, and a new lead
# (first seen 20 days ago) at new.com; a gmail lead who is the primary contact of a deal.
LEADS = [
    LeadSeen("ana@old.com", ago(60), True),
    LeadSeen("bo@new.com", ago(20), True),
    LeadSeen("cy@gmail.com", ago(25), True),
    LeadSeen("dee@gone.com", ago(50), False),  # not touched in the window
]
MEETINGS = [
    meeting({"ana@old.com"}, booked=55, held=10, showed=True),  # booked before, held inside
    meeting({"bo@new.com", "rep@new.com"}, booked=15, held=12, showed=False),
    meeting({"bo@new.com"}, booked=5, held=-2, showed=None),  # not held yet
    meeting({"cy@gmail.com"}, booked=20, held=18, showed=True),
]
DEALS = [
    deal("old.com", created=50, status="won", closed=5, value="1000.00"),  # created before
    deal("new.com", created=10, status="lost", closed=2, value="50.00"),
    deal("new.com", created=3, value="70.00"),
    deal(None, created=12, status="won", closed=1, value="30.00", contact=" CY@Gmail.COM "),
    deal("old.com", created=8, status="cancelled", value="5.00"),
]


def run(mode: FunnelMode):  # type: ignore[no-untyped-def]
    return select_funnel(mode, since=SINCE, until=NOW, leads=LEADS, meetings=MEETINGS, deals=DEALS)


class TestPeriod:
    def test_counts_are_of_events_inside_the_window(self) -> None:
        found = run(FunnelMode.PERIOD)
        assert found.counts == FunnelCounts(
            total_leads=3,
            leads_with_meeting=2,  # bo and cy booked inside; ana's booking is older
            leads_won=2,  # ana (old.com won 5 days ago) and cy (primary contact)
            meetings_booked=3,
            meetings_showed=2,
            meetings_no_show=1,
            deals_created=4,
            deals_won=2,
            deals_lost=1,
        )
        assert sorted(d.value for d in found.pipeline) == [
            Decimal("30.00"),
            Decimal("50.00"),
            Decimal("70.00"),
        ]
        assert sorted(d.value for d in found.won) == [Decimal("30.00"), Decimal("1000.00")]


class TestCohort:
    def test_leads_first_seen_in_the_window_followed_since(self) -> None:
        found = run(FunnelMode.COHORT)
        assert found.counts == FunnelCounts(
            total_leads=2,  # bo and cy; ana and dee were first seen before
            leads_with_meeting=2,
            leads_won=1,  # cy
            meetings_booked=3,  # bo's two and cy's one
            meetings_showed=1,
            meetings_no_show=1,
            deals_created=3,  # new.com's two and cy's
            deals_won=1,
            deals_lost=1,
        )
        assert sorted(d.value for d in found.won) == [Decimal("30.00")]

    def test_an_account_deal_from_before_the_lead_is_not_theirs(self) -> None:
        leads = [LeadSeen("eve@old.com", ago(3), True)]
        found = select_funnel(
            FunnelMode.COHORT, since=SINCE, until=NOW, leads=leads, meetings=[], deals=DEALS
        )
        assert (found.counts.total_leads, found.counts.deals_created) == (1, 0)
        assert found.counts.leads_won == 0

    def test_personal_domains_do_not_make_an_account(self) -> None:
        leads = [LeadSeen("x@gmail.com", ago(20), True)]
        found = select_funnel(
            FunnelMode.COHORT, since=SINCE, until=NOW, leads=leads, meetings=[], deals=DEALS
        )
        assert found.counts.deals_created == 0  # cy's deal links cy only


class TestRates:
    def test_rates_in_basis_points_half_to_even(self) -> None:
        assert Rate(1, 3).basis_points() == 3_333
        assert Rate(2, 3).basis_points() == 6_667
        assert Rate(1, 20_000).basis_points() == 0  # 0.5 bp -> 0 (even)
        assert Rate(3, 20_000).basis_points() == 2  # 1.5 bp -> 2 (even)
        assert Rate(0, 0).basis_points() is None

    def test_an_empty_funnel_has_no_rates(self) -> None:
        found = select_funnel(
            FunnelMode.PERIOD, since=SINCE, until=NOW, leads=[], meetings=[], deals=[]
        )
        rates = funnel_rates(found.counts)
        assert rates.show_rate.basis_points() is None
        assert rates.lead_to_win_rate.basis_points() is None
        assert (found.pipeline, found.won) == ((), ())
