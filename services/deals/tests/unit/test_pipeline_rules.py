"""How meeting events move the pipeline: apply_meeting_event on an in-memory Ledger."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from dealflow_libs.testing.factories import meeting_event
from dealflow_schemas.deals import DealStage, DealStatus, LostReason
from dealflow_schemas.meetings import (
    MeetingAttended,
    MeetingBooked,
    MeetingCancelled,
    MeetingConfirmed,
    MeetingEvent,
    MeetingNoShow,
    MeetingOutcome,
    MeetingOutcomeRecorded,
    MeetingRescheduled,
    MeetingStatus,
)
from deals.domain.company import Company
from deals.domain.deal import Deal, Kind
from deals.domain.pipeline import BY_MEETINGS, Ledger, apply_meeting_event
from deals.domain.settings import DealPolicy, DealSettings

NOW = datetime(2025, 3, 18, 12, 0, tzinfo=UTC)
START = NOW + timedelta(days=2)
LATER = START + timedelta(hours=1)  # after the meeting
ON_BOOKING = DealSettings()
ON_GOOD_OUTCOME = DealSettings(policy=DealPolicy.ON_GOOD_OUTCOME)


def event(event_type: type[MeetingEvent], meeting_id: uuid.UUID, **kw: Any) -> MeetingEvent:
    kw.setdefault("start", START)
    return meeting_event(event_type, meeting_id=meeting_id, **kw)


def apply(
    ledger: Ledger,
    ev: MeetingEvent,
    *,
    settings: DealSettings = ON_BOOKING,
    now: datetime = NOW,
    caused_by: str | None = "evt-1",
) -> None:
    apply_meeting_event(ledger, ev, settings=settings, now=now, caused_by=caused_by)


def book(
    ledger: Ledger,
    meeting_id: uuid.UUID | None = None,
    *,
    settings: DealSettings = ON_BOOKING,
    **kw: Any,
) -> uuid.UUID:
    meeting_id = meeting_id or uuid.uuid4()
    apply(ledger, event(MeetingBooked, meeting_id, **kw), settings=settings, caused_by="evt-book")
    return meeting_id


def outcome(
    meeting_id: uuid.UUID,
    result: MeetingOutcome,
    *,
    create_deal: bool = False,
    deal_value: float | None = None,
    deal_name: str | None = None,
    **kw: Any,
) -> MeetingEvent:
    status = MeetingStatus.COMPLETED
    return event(
        MeetingOutcomeRecorded,
        meeting_id,
        status=status,
        meeting_outcome=result,
        extra={
            "outcome": result,
            "create_deal": create_deal,
            "deal_value": deal_value,
            "deal_name": deal_name,
        },
        **kw,
    )


def cancel(meeting_id: uuid.UUID, **kw: Any) -> MeetingEvent:
    return event(
        MeetingCancelled,
        meeting_id,
        status=MeetingStatus.CANCELLED,
        extra={"reason": "no longer needed"},
        **kw,
    )


def attended(meeting_id: uuid.UUID, **kw: Any) -> MeetingEvent:
    return event(MeetingAttended, meeting_id, status=MeetingStatus.COMPLETED, showed_up=True, **kw)


def only_deal(ledger: Ledger) -> Deal:
    assert len(ledger.deals) == 1
    return next(iter(ledger.deals.values()))


def kinds(ledger: Ledger) -> list[Kind]:
    return [t.kind for _, t, _, _ in ledger.transitions]


def with_deal_at(
    stage: DealStage, *, settings: DealSettings = ON_BOOKING
) -> tuple[Ledger, Deal, uuid.UUID]:
    """A ledger whose booking created a deal, then moved by hand to `stage`; transitions cleared."""
    ledger = Ledger(currencies={"demo": "EUR"})
    meeting_id = book(ledger)
    deal = only_deal(ledger)
    if stage is not deal.stage:
        deal.move_to(stage, settings=settings, by="rep", reason=None, now=NOW)
    ledger.transitions.clear()
    return ledger, deal, meeting_id


class TestBookingOnBooking:
    def test_business_booking_creates_company_and_booked_deal(self) -> None:
        ledger = Ledger(currencies={"demo": "EUR"})
        meeting_id = uuid.uuid4()

        apply(
            ledger,
            event(
                MeetingBooked,
                meeting_id,
                converting_activity_id="act-42",
                converting_channel="linkedin",
            ),
            caused_by="evt-77",
        )

        company = ledger.companies[("demo", "acme.com")]
        assert (company.tenant_id, company.domain, company.name, company.created_at) == (
            "demo",
            "acme.com",
            "Acme",
            NOW,
        )
        assert ledger.new_companies == [company]
        deal = only_deal(ledger)
        assert ledger.new_deals == [deal]
        assert (deal.status, deal.stage, deal.probability) == (
            DealStatus.ACTIVE,
            DealStage.BOOKED,
            10,
        )
        assert (deal.tenant_id, deal.company_id, deal.name, deal.currency) == (
            "demo",
            company.id,
            "Acme - new business",
            "EUR",
        )
        assert deal.primary_contact_email == "jamie@acme.com"
        assert deal.source_meeting_id == meeting_id
        assert deal.meeting_ids == [meeting_id]
        assert (deal.converting_activity_id, deal.converting_channel) == ("act-42", "linkedin")
        assert deal.value is None
        assert deal.created_at == NOW
        record = ledger.meetings[meeting_id]
        assert (record.deal_id, record.company_id) == (deal.id, company.id)
        assert ledger.new_meetings == [record]
        [(recorded, transition, m_id, caused_by)] = ledger.transitions
        assert (recorded, m_id, caused_by) == (deal, meeting_id, "evt-77")
        assert (transition.kind, transition.by, transition.to_stage, transition.to_status) == (
            Kind.CREATED,
            BY_MEETINGS,
            DealStage.BOOKED,
            DealStatus.ACTIVE,
        )
        assert ledger.activities == []

    def test_tracks_the_meeting(self) -> None:
        ledger = Ledger()
        meeting_id = uuid.uuid4()

        apply(
            ledger,
            event(
                MeetingBooked,
                meeting_id,
                title="Demo with Acme",
                meeting_type="demo",
                tracking={"utm_source": "google", "utm_campaign": "spring"},
            ),
        )

        record = ledger.meetings[meeting_id]
        assert (record.tenant_id, record.status, record.updated_at) == ("demo", "scheduled", NOW)
        assert (record.title, record.meeting_type, record.scheduled_at) == (
            "Demo with Acme",
            "demo",
            START,
        )
        assert (record.primary_email, record.primary_name, record.organizer_email) == (
            "jamie@acme.com",
            "Jamie",
            "rep@dealflow.dev",
        )
        assert (record.utm_source, record.utm_campaign) == ("google", "spring")
        assert record.is_upcoming(NOW)
        assert not record.is_upcoming(LATER)

    def test_currency_defaults_to_usd_for_a_tenant_without_one(self) -> None:
        ledger = Ledger(currencies={"other": "GBP"})

        book(ledger)

        assert only_deal(ledger).currency == "USD"

    def test_currency_is_per_tenant_and_companies_too(self) -> None:
        ledger = Ledger(currencies={"demo": "EUR", "beta": "GBP"})

        book(ledger)
        book(ledger, tenant_id="beta", email="sam@acme.com")

        assert set(ledger.companies) == {("demo", "acme.com"), ("beta", "acme.com")}
        by_tenant = {d.tenant_id: d for d in ledger.deals.values()}
        assert (by_tenant["demo"].currency, by_tenant["beta"].currency) == ("EUR", "GBP")
        assert by_tenant["demo"].company_id == ledger.companies[("demo", "acme.com")].id
        assert by_tenant["beta"].company_id == ledger.companies[("beta", "acme.com")].id

    def test_tenant_probability_for_booked(self) -> None:
        ledger = Ledger()
        settings = DealSettings.from_stored({"stage_probabilities": {"booked": 5}})

        book(ledger, settings=settings)

        assert only_deal(ledger).probability == 5

    def test_second_booking_from_the_company_links_to_the_active_deal(self) -> None:
        ledger = Ledger()
        first = book(ledger)

        second = book(ledger, email="alex@acme.com")

        deal = only_deal(ledger)
        assert deal.meeting_ids == [first, second]
        assert deal.source_meeting_id == first
        assert deal.primary_contact_email == "jamie@acme.com"
        assert ledger.meetings[second].deal_id == deal.id
        assert len(ledger.new_companies) == 1
        assert kinds(ledger) == [Kind.CREATED]

    def test_second_booking_links_to_a_deal_loaded_from_storage(self) -> None:
        company = Company(tenant_id="demo", domain="acme.com", name="Acme Corp", created_at=NOW)
        existing, _ = Deal.open(
            tenant_id="demo",
            company_id=company.id,
            name="Acme renewal",
            stage=DealStage.PROPOSAL,
            settings=ON_BOOKING,
            currency="EUR",
            now=NOW,
            by="rep",
        )
        ledger = Ledger(companies={("demo", "acme.com"): company}, deals={existing.id: existing})

        meeting_id = book(ledger)

        assert ledger.new_companies == []
        assert ledger.new_deals == []
        assert existing.meeting_ids == [meeting_id]
        assert existing.stage is DealStage.PROPOSAL  # never moved back to booked
        assert ledger.meetings[meeting_id].deal_id == existing.id
        assert ledger.meetings[meeting_id].company_id == company.id
        # The link itself is news for subscribers: one DealUpdated naming meeting_ids.
        [(deal, transition, linked_meeting, _)] = ledger.transitions
        assert deal is existing
        assert transition.kind is Kind.UPDATED
        assert transition.details == {"changed_fields": ["meeting_ids"]}
        assert linked_meeting == meeting_id
        assert not transition.moves

    def test_a_company_with_only_closed_deals_gets_a_new_one(self) -> None:
        company = Company(tenant_id="demo", domain="acme.com", name="Acme", created_at=NOW)
        old, _ = Deal.open(
            tenant_id="demo",
            company_id=company.id,
            name="Old",
            stage=DealStage.PROPOSAL,
            settings=ON_BOOKING,
            currency="EUR",
            now=NOW,
            by="rep",
        )
        old.lose(reason=LostReason.NO_BUDGET, notes=None, settings=ON_BOOKING, by="rep", now=NOW)
        ledger = Ledger(companies={("demo", "acme.com"): company}, deals={old.id: old})

        meeting_id = book(ledger)

        [new] = ledger.new_deals
        assert new is not old
        assert (new.company_id, new.stage, new.status) == (
            company.id,
            DealStage.BOOKED,
            DealStatus.ACTIVE,
        )
        assert ledger.meetings[meeting_id].deal_id == new.id
        assert old.meeting_ids == []

    def test_the_same_booking_twice_makes_one_deal(self) -> None:
        ledger = Ledger()
        meeting_id = book(ledger)

        book(ledger, meeting_id)

        assert only_deal(ledger).meeting_ids == [meeting_id]
        assert len(ledger.new_meetings) == 1
        assert kinds(ledger) == [Kind.CREATED]

    def test_different_companies_get_different_deals(self) -> None:
        ledger = Ledger()

        book(ledger)
        book(ledger, email="kim@globex-corp.io", company_domain="globex-corp.io")

        names = sorted(d.name for d in ledger.deals.values())
        assert names == ["Acme - new business", "Globex Corp - new business"]
        assert len({d.company_id for d in ledger.deals.values()}) == 2


class TestPersonalEmail:
    def test_booking_records_a_person_only(self) -> None:
        ledger = Ledger()

        meeting_id = book(ledger, email="jamie@gmail.com", company_domain=None)

        assert ledger.companies == {}
        assert ledger.deals == {}
        assert ledger.transitions == []
        assert ledger.meetings[meeting_id].company_id is None
        assert ledger.meetings[meeting_id].deal_id is None
        assert ledger.people == {("demo", "jamie@gmail.com"): ("Jamie", None, meeting_id)}

    def test_personal_flag_wins_over_a_domain(self) -> None:
        ledger = Ledger()

        book(ledger, email="jamie@gmail.com", company_domain="gmail.com", is_personal_email=True)

        assert (ledger.companies, ledger.deals) == ({}, {})

    def test_good_outcome_creates_nothing_even_when_asked(self) -> None:
        ledger = Ledger()
        meeting_id = book(
            ledger, settings=ON_GOOD_OUTCOME, email="jamie@gmail.com", company_domain=None
        )

        apply(
            ledger,
            outcome(
                meeting_id,
                MeetingOutcome.GOOD,
                create_deal=True,
                email="jamie@gmail.com",
                company_domain=None,
            ),
            settings=ON_GOOD_OUTCOME,
        )

        assert (ledger.companies, ledger.deals, ledger.transitions) == ({}, {}, [])


class TestPeople:
    def test_business_person_is_recorded_with_the_company_and_last_meeting(self) -> None:
        ledger = Ledger()
        first = book(ledger)
        second = book(ledger)

        company = ledger.companies[("demo", "acme.com")]
        assert ledger.people == {("demo", "jamie@acme.com"): ("Jamie", company.id, second)}
        assert first != second

    def test_each_event_records_its_primary_attendee(self) -> None:
        ledger = Ledger()
        meeting_id = book(ledger)

        apply(
            ledger,
            attended(
                meeting_id,
                email="alex@acme.com",
                attendees=[{"email": "alex@acme.com", "name": "Alex"}],
            ),
        )

        company = ledger.companies[("demo", "acme.com")]
        assert ledger.people[("demo", "alex@acme.com")] == ("Alex", company.id, meeting_id)
        assert ledger.people[("demo", "jamie@acme.com")] == ("Jamie", company.id, meeting_id)

    def test_no_primary_email_no_person(self) -> None:
        ledger = Ledger()

        book(ledger, primary_email=None, attendees=[])

        assert ledger.people == {}
        assert ledger.meetings[next(iter(ledger.meetings))].primary_name is None


class TestBookingOnGoodOutcome:
    def test_booking_creates_the_company_but_no_deal(self) -> None:
        ledger = Ledger()

        meeting_id = book(ledger, settings=ON_GOOD_OUTCOME)

        company = ledger.companies[("demo", "acme.com")]
        assert ledger.new_companies == [company]
        assert ledger.deals == {}
        assert ledger.transitions == []
        assert ledger.meetings[meeting_id].company_id == company.id
        assert ledger.meetings[meeting_id].deal_id is None

    def test_good_outcome_with_create_deal_opens_it_at_qualification(self) -> None:
        ledger = Ledger(currencies={"demo": "EUR"})
        meeting_id = book(ledger, settings=ON_GOOD_OUTCOME)

        apply(
            ledger,
            outcome(
                meeting_id,
                MeetingOutcome.GOOD,
                create_deal=True,
                deal_value=12500.5,
                deal_name="Acme pilot",
                converting_activity_id="act-7",
                converting_channel="webinar",
            ),
            settings=ON_GOOD_OUTCOME,
            caused_by="evt-outcome",
        )

        deal = only_deal(ledger)
        company = ledger.companies[("demo", "acme.com")]
        assert ledger.new_deals == [deal]
        assert (deal.stage, deal.status, deal.probability) == (
            DealStage.QUALIFICATION,
            DealStatus.ACTIVE,
            20,
        )
        assert (deal.name, deal.value, deal.currency) == ("Acme pilot", Decimal("12500.50"), "EUR")
        assert deal.weighted_value == Decimal("2500.10")
        assert (deal.converting_activity_id, deal.converting_channel) == ("act-7", "webinar")
        assert (deal.company_id, deal.source_meeting_id, deal.meeting_ids) == (
            company.id,
            meeting_id,
            [meeting_id],
        )
        assert deal.primary_contact_email == "jamie@acme.com"
        assert ledger.meetings[meeting_id].deal_id == deal.id
        [(recorded, transition, m_id, caused_by)] = ledger.transitions
        assert (recorded, m_id, caused_by) == (deal, meeting_id, "evt-outcome")
        assert (transition.kind, transition.to_stage, transition.to_status) == (
            Kind.CREATED,
            DealStage.QUALIFICATION,
            DealStatus.ACTIVE,
        )

    def test_default_name_and_no_value(self) -> None:
        ledger = Ledger()
        meeting_id = book(ledger, settings=ON_GOOD_OUTCOME)

        apply(
            ledger,
            outcome(meeting_id, MeetingOutcome.GOOD, create_deal=True),
            settings=ON_GOOD_OUTCOME,
        )

        deal = only_deal(ledger)
        assert (deal.name, deal.value, deal.currency) == ("Acme - new business", None, "USD")

    def test_good_outcome_without_create_deal_creates_nothing(self) -> None:
        ledger = Ledger()
        meeting_id = book(ledger, settings=ON_GOOD_OUTCOME)

        apply(ledger, outcome(meeting_id, MeetingOutcome.GOOD), settings=ON_GOOD_OUTCOME)

        assert (ledger.deals, ledger.transitions) == ({}, [])

    @pytest.mark.parametrize("result", [MeetingOutcome.BAD, MeetingOutcome.NO_SHOW])
    def test_other_outcomes_create_nothing_even_when_asked(self, result: MeetingOutcome) -> None:
        ledger = Ledger()
        meeting_id = book(ledger, settings=ON_GOOD_OUTCOME)

        apply(ledger, outcome(meeting_id, result, create_deal=True), settings=ON_GOOD_OUTCOME)

        assert (ledger.deals, ledger.transitions, ledger.activities) == ({}, [], [])

    def test_attended_does_not_create_a_deal(self) -> None:
        ledger = Ledger()
        meeting_id = book(ledger, settings=ON_GOOD_OUTCOME)

        apply(ledger, attended(meeting_id), settings=ON_GOOD_OUTCOME)

        assert (ledger.deals, ledger.transitions) == ({}, [])

    def test_an_existing_active_deal_is_not_doubled(self) -> None:
        ledger = Ledger()
        first = book(ledger, settings=ON_GOOD_OUTCOME)
        apply(
            ledger, outcome(first, MeetingOutcome.GOOD, create_deal=True), settings=ON_GOOD_OUTCOME
        )
        deal = only_deal(ledger)
        second = book(ledger, settings=ON_GOOD_OUTCOME)

        apply(
            ledger, outcome(second, MeetingOutcome.GOOD, create_deal=True), settings=ON_GOOD_OUTCOME
        )

        assert only_deal(ledger) is deal
        assert deal.meeting_ids == [first, second]
        assert ledger.meetings[second].deal_id == deal.id
        assert deal.stage is DealStage.QUALIFICATION
        assert kinds(ledger) == [Kind.CREATED]

    def test_on_booking_ignores_create_deal(self) -> None:
        """The on_booking policy creates deals at booking only."""
        ledger = Ledger()
        meeting_id = uuid.uuid4()

        apply(
            ledger, outcome(meeting_id, MeetingOutcome.GOOD, create_deal=True), settings=ON_BOOKING
        )

        assert (ledger.deals, ledger.transitions) == ({}, [])


class TestCancel:
    def test_cancels_a_booked_deal_with_no_other_meeting(self) -> None:
        ledger, deal, meeting_id = with_deal_at(DealStage.BOOKED)

        apply(ledger, cancel(meeting_id), caused_by="evt-cancel")

        assert (deal.status, deal.stage, deal.closed_at) == (
            DealStatus.CANCELLED,
            DealStage.BOOKED,
            NOW,
        )
        [(recorded, transition, m_id, caused_by)] = ledger.transitions
        assert (recorded, m_id, caused_by) == (deal, meeting_id, "evt-cancel")
        assert (transition.kind, transition.by, transition.reason) == (
            Kind.CANCELLED,
            BY_MEETINGS,
            "meeting cancelled",
        )
        assert (transition.from_status, transition.to_status) == (
            DealStatus.ACTIVE,
            DealStatus.CANCELLED,
        )
        assert ledger.meetings[meeting_id].status == "cancelled"

    def test_not_while_another_meeting_is_upcoming(self) -> None:
        ledger, deal, first = with_deal_at(DealStage.BOOKED)
        second = book(ledger, start=START + timedelta(days=7))

        apply(ledger, cancel(first))

        assert deal.status is DealStatus.ACTIVE
        assert ledger.transitions == []

        apply(ledger, cancel(second, start=START + timedelta(days=7)))  # now the last one goes

        assert deal.status is DealStatus.CANCELLED
        assert kinds(ledger) == [Kind.CANCELLED]
        assert ledger.transitions[0][2] == second

    def test_a_past_other_meeting_does_not_keep_it(self) -> None:
        ledger, deal, first = with_deal_at(DealStage.BOOKED)
        book(ledger, start=NOW - timedelta(days=1))  # scheduled, but already over

        apply(ledger, cancel(first))

        assert deal.status is DealStatus.CANCELLED

    def test_an_upcoming_meeting_of_another_deal_does_not_keep_it(self) -> None:
        ledger, deal, first = with_deal_at(DealStage.BOOKED)
        book(ledger, email="kim@globex.com", company_domain="globex.com")

        apply(ledger, cancel(first))

        assert deal.status is DealStatus.CANCELLED

    @pytest.mark.parametrize(
        "stage", [DealStage.MET, DealStage.QUALIFICATION, DealStage.NEGOTIATION]
    )
    def test_not_once_past_booked(self, stage: DealStage) -> None:
        ledger, deal, meeting_id = with_deal_at(stage)

        apply(ledger, cancel(meeting_id))

        assert (deal.status, deal.stage) == (DealStatus.ACTIVE, stage)
        assert ledger.transitions == []

    def test_not_after_the_meeting_was_attended(self) -> None:
        ledger, deal, meeting_id = with_deal_at(DealStage.BOOKED)
        apply(ledger, attended(meeting_id))
        ledger.transitions.clear()

        apply(ledger, cancel(meeting_id))

        assert (deal.status, deal.stage) == (DealStatus.ACTIVE, DealStage.MET)
        assert ledger.transitions == []

    def test_a_meeting_not_linked_to_the_deal_does_not_cancel_it(self) -> None:
        """A meeting booked before the deal existed (policy on_good_outcome) is not its meeting."""
        ledger = Ledger()
        unlinked = book(ledger, settings=ON_GOOD_OUTCOME)
        company = ledger.companies[("demo", "acme.com")]
        deal, _ = Deal.open(
            tenant_id="demo",
            company_id=company.id,
            name="Acme",
            stage=DealStage.BOOKED,
            settings=ON_BOOKING,
            currency="EUR",
            now=NOW,
            by="rep",
        )
        ledger.deals[deal.id] = deal

        apply(ledger, cancel(unlinked), settings=ON_GOOD_OUTCOME)

        assert deal.status is DealStatus.ACTIVE
        assert ledger.transitions == []

    def test_an_already_closed_deal_is_left_alone(self) -> None:
        ledger, deal, meeting_id = with_deal_at(DealStage.BOOKED)
        deal.cancel(reason="by hand", by="rep", now=NOW)

        apply(ledger, cancel(meeting_id))

        assert deal.status is DealStatus.CANCELLED
        assert ledger.transitions == []

    def test_a_cancelled_meeting_without_a_deal_creates_nothing(self) -> None:
        ledger = Ledger()

        apply(ledger, cancel(uuid.uuid4()))

        assert (ledger.deals, ledger.transitions) == ({}, [])
        assert [r.status for r in ledger.meetings.values()] == ["cancelled"]


class TestReschedule:
    def test_never_creates_a_deal(self) -> None:
        ledger = Ledger()
        meeting_id = uuid.uuid4()

        apply(ledger, event(MeetingRescheduled, meeting_id, start=START + timedelta(days=5)))

        assert (ledger.deals, ledger.new_deals, ledger.transitions) == ({}, [], [])
        assert ledger.meetings[meeting_id].scheduled_at == START + timedelta(days=5)

    def test_never_cancels_or_moves_a_deal(self) -> None:
        ledger, deal, meeting_id = with_deal_at(DealStage.BOOKED)
        new_start = START + timedelta(days=5)

        apply(
            ledger,
            event(
                MeetingRescheduled,
                meeting_id,
                start=new_start,
                rescheduled_count=1,
                extra={"previous_scheduled_at": START, "previous_provider_uid": "old"},
            ),
        )

        assert (deal.status, deal.stage, deal.updated_at) == (
            DealStatus.ACTIVE,
            DealStage.BOOKED,
            NOW,
        )
        assert deal.meeting_ids == [meeting_id]
        assert ledger.transitions == []
        assert ledger.activities == []
        assert ledger.meetings[meeting_id].scheduled_at == new_start

    def test_confirmation_only_refreshes_the_meeting(self) -> None:
        ledger, deal, meeting_id = with_deal_at(DealStage.BOOKED)

        apply(ledger, event(MeetingConfirmed, meeting_id, title="Confirmed call", confirmed=True))

        assert ledger.meetings[meeting_id].title == "Confirmed call"
        assert (deal.stage, ledger.transitions, ledger.activities) == (DealStage.BOOKED, [], [])


class TestAttended:
    def test_booked_moves_to_met(self) -> None:
        ledger, deal, meeting_id = with_deal_at(DealStage.BOOKED)

        apply(ledger, attended(meeting_id), now=LATER, caused_by="evt-att")

        assert (deal.stage, deal.probability, deal.updated_at) == (DealStage.MET, 15, LATER)
        [(recorded, transition, m_id, caused_by)] = ledger.transitions
        assert (recorded, m_id, caused_by) == (deal, meeting_id, "evt-att")
        assert (
            transition.kind,
            transition.by,
            transition.reason,
            transition.from_stage,
            transition.to_stage,
        ) == (Kind.STAGE_CHANGED, BY_MEETINGS, "meeting attended", DealStage.BOOKED, DealStage.MET)
        assert ledger.meetings[meeting_id].status == "completed"

    @pytest.mark.parametrize("stage", [DealStage.MET, DealStage.QUALIFICATION, DealStage.PROPOSAL])
    def test_never_moves_back(self, stage: DealStage) -> None:
        ledger, deal, meeting_id = with_deal_at(stage)

        apply(ledger, attended(meeting_id), now=LATER)

        assert deal.stage is stage
        assert ledger.transitions == []

    def test_a_closed_deal_stays_closed(self) -> None:
        ledger, deal, meeting_id = with_deal_at(DealStage.BOOKED)
        deal.lose(reason=LostReason.BAD_FIT, notes=None, settings=ON_BOOKING, by="rep", now=NOW)

        apply(ledger, attended(meeting_id), now=LATER)

        assert (deal.stage, deal.status) == (DealStage.CLOSED_LOST, DealStatus.LOST)
        assert ledger.transitions == []

    def test_follow_up_of_the_company_is_linked_to_its_deal(self) -> None:
        ledger, deal, _ = with_deal_at(DealStage.BOOKED)
        walk_in = uuid.uuid4()  # a meeting deals had not heard of

        apply(ledger, attended(walk_in, email="alex@acme.com"), now=LATER)

        assert walk_in in deal.meeting_ids
        assert ledger.meetings[walk_in].deal_id == deal.id
        assert deal.stage is DealStage.MET

    def test_without_a_deal_nothing_happens(self) -> None:
        ledger = Ledger()

        apply(ledger, attended(uuid.uuid4(), email="jamie@gmail.com", company_domain=None))

        assert (ledger.deals, ledger.transitions) == ({}, [])


class TestOutcomeOnBooking:
    @pytest.mark.parametrize("stage", [DealStage.BOOKED, DealStage.MET])
    def test_good_advances_to_qualification(self, stage: DealStage) -> None:
        ledger, deal, meeting_id = with_deal_at(stage)

        apply(ledger, outcome(meeting_id, MeetingOutcome.GOOD), now=LATER, caused_by="evt-good")

        assert (deal.stage, deal.probability) == (DealStage.QUALIFICATION, 20)
        [(recorded, transition, m_id, caused_by)] = ledger.transitions
        assert (recorded, m_id, caused_by) == (deal, meeting_id, "evt-good")
        assert (transition.from_stage, transition.to_stage, transition.reason) == (
            stage,
            DealStage.QUALIFICATION,
            "good meeting outcome",
        )
        assert ledger.activities == []

    @pytest.mark.parametrize(
        "stage", [DealStage.QUALIFICATION, DealStage.PROPOSAL, DealStage.CONTRACT_SENT]
    )
    def test_good_never_moves_back(self, stage: DealStage) -> None:
        ledger, deal, meeting_id = with_deal_at(stage)

        apply(ledger, outcome(meeting_id, MeetingOutcome.GOOD), now=LATER)

        assert deal.stage is stage
        assert ledger.transitions == []

    def test_good_with_create_deal_does_not_add_a_second_deal(self) -> None:
        ledger, deal, meeting_id = with_deal_at(DealStage.MET)

        apply(ledger, outcome(meeting_id, MeetingOutcome.GOOD, create_deal=True, deal_value=99.0))

        assert only_deal(ledger) is deal
        assert (deal.stage, deal.value) == (DealStage.QUALIFICATION, None)

    def test_good_for_a_closed_deal_does_nothing(self) -> None:
        ledger, deal, meeting_id = with_deal_at(DealStage.MET)
        deal.win(value=Decimal(10), settings=ON_BOOKING, by="rep", now=NOW)

        apply(ledger, outcome(meeting_id, MeetingOutcome.GOOD), now=LATER)

        assert (deal.stage, deal.status) == (DealStage.CLOSED_WON, DealStatus.WON)
        assert ledger.transitions == []

    @pytest.mark.parametrize("result", [MeetingOutcome.BAD, MeetingOutcome.NO_SHOW])
    def test_bad_and_no_show_leave_the_stage_but_are_on_the_timeline(
        self, result: MeetingOutcome
    ) -> None:
        ledger, deal, meeting_id = with_deal_at(DealStage.MET)

        apply(ledger, outcome(meeting_id, result, notes="not a fit yet"), now=LATER)

        assert (deal.stage, deal.probability, deal.status) == (
            DealStage.MET,
            15,
            DealStatus.ACTIVE,
        )
        assert ledger.transitions == []
        [activity] = ledger.activities
        assert (activity.deal, activity.kind, activity.at) == (deal, "meeting_outcome", LATER)
        assert activity.detail == {
            "meeting_id": str(meeting_id),
            "outcome": result.value,
            "notes": "not a fit yet",
        }

    def test_bad_without_a_deal_records_nothing(self) -> None:
        ledger = Ledger()

        apply(
            ledger,
            outcome(uuid.uuid4(), MeetingOutcome.BAD, email="a@gmail.com", company_domain=None),
        )

        assert (ledger.activities, ledger.transitions) == ([], [])

    def test_no_show_event_is_on_the_timeline(self) -> None:
        ledger, deal, meeting_id = with_deal_at(DealStage.BOOKED)

        apply(
            ledger,
            event(MeetingNoShow, meeting_id, status=MeetingStatus.COMPLETED, showed_up=False),
            now=LATER,
        )

        assert (deal.stage, deal.status) == (DealStage.BOOKED, DealStatus.ACTIVE)
        assert ledger.transitions == []
        [activity] = ledger.activities
        assert (activity.deal, activity.kind, activity.detail, activity.at) == (
            deal,
            "meeting_no_show",
            {"meeting_id": str(meeting_id)},
            LATER,
        )

    def test_the_full_happy_path_in_one_batch(self) -> None:
        ledger = Ledger(currencies={"demo": "EUR"})
        meeting_id = book(ledger)

        apply(ledger, attended(meeting_id), now=LATER, caused_by="evt-2")
        apply(ledger, outcome(meeting_id, MeetingOutcome.GOOD), now=LATER, caused_by="evt-3")

        deal = only_deal(ledger)
        assert deal.stage is DealStage.QUALIFICATION
        assert [(t.kind, t.from_stage, t.to_stage, m, c) for _, t, m, c in ledger.transitions] == [
            (Kind.CREATED, None, DealStage.BOOKED, meeting_id, "evt-book"),
            (Kind.STAGE_CHANGED, DealStage.BOOKED, DealStage.MET, meeting_id, "evt-2"),
            (Kind.STAGE_CHANGED, DealStage.MET, DealStage.QUALIFICATION, meeting_id, "evt-3"),
        ]
        assert all(t.moves for _, t, _, _ in ledger.transitions)


class TestDealFoundThroughTheMeeting:
    """A later batch: the caller preloads the meeting record (with its deal_id) and the deal."""

    def later_batch(self, settings: DealSettings = ON_BOOKING) -> tuple[Ledger, Deal, uuid.UUID]:
        first = Ledger()
        meeting_id = book(first, settings=settings)
        deal = only_deal(first)
        company = first.companies[("demo", "acme.com")]
        ledger = Ledger(
            companies={("demo", "acme.com"): company},
            deals={deal.id: deal},
            meetings={meeting_id: first.meetings[meeting_id]},
        )
        return ledger, deal, meeting_id

    def test_attended_by_someone_with_a_personal_email(self) -> None:
        ledger, deal, meeting_id = self.later_batch()

        apply(ledger, attended(meeting_id, email="jamie@gmail.com", company_domain=None), now=LATER)

        assert deal.stage is DealStage.MET
        assert kinds(ledger) == [Kind.STAGE_CHANGED]
        assert (ledger.new_deals, ledger.new_meetings, ledger.new_companies) == ([], [], [])

    def test_cancel_finds_its_deal(self) -> None:
        ledger, deal, meeting_id = self.later_batch()

        apply(ledger, cancel(meeting_id, email="jamie@gmail.com", company_domain=None))

        assert deal.status is DealStatus.CANCELLED

    def test_a_deal_created_by_outcome_is_found_by_later_outcomes(self) -> None:
        ledger = Ledger()
        meeting_id = book(ledger, settings=ON_GOOD_OUTCOME)
        apply(
            ledger,
            outcome(meeting_id, MeetingOutcome.GOOD, create_deal=True),
            settings=ON_GOOD_OUTCOME,
        )
        deal = only_deal(ledger)

        apply(
            ledger,
            outcome(meeting_id, MeetingOutcome.BAD, email="j@gmail.com", company_domain=None),
            settings=ON_GOOD_OUTCOME,
        )

        assert [a.deal for a in ledger.activities] == [deal]
