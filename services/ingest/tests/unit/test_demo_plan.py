"""The demo plan (`dealflow demo-data`): reproducible per seed, every state covered, times that
make sense around `now`, touches attribution classifies as planned, and webhooks the gateway's
normalizer accepts."""

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from attribution.domain.default_channels import default_rule_set
from attribution.domain.touches import Touch, Utm
from dealflow_schemas.bookings import BookingTrigger
from dealflow_schemas.deals import CLOSED_STAGES, DealStage, DealStatus, LostReason
from ingest.demo.load import deliveries, stage_after_meetings
from ingest.demo.plan import (
    FUTURE_DAYS,
    FUTURE_STATES,
    OPENING_SCENARIOS,
    PAST_DAYS,
    SAMPLE_COMPANIES,
    SCENARIOS,
    DemoPlan,
    MeetingState,
    plan_demo,
)
from ingest.domain.normalize import Normalized, normalize_calcom, normalize_calendly

NOW = datetime(2026, 12, 2, 10, 17, tzinfo=UTC)
S = MeetingState


def plan(seed: int = 7, companies: int = 40) -> DemoPlan:
    return plan_demo(seed=seed, companies=companies, now=NOW)


def test_the_same_seed_plans_the_same_companies_and_ids() -> None:
    assert plan(seed=3) == plan(seed=3)
    later = plan_demo(seed=3, companies=40, now=NOW + timedelta(days=2))
    assert [m.uid for c in later.companies for m in c.meetings] == [
        m.uid for c in plan(seed=3).companies for m in c.meetings
    ]


def test_another_seed_plans_other_ids_and_companies() -> None:
    one, two = plan(seed=1), plan(seed=2)
    uids = {m.uid for c in one.companies for m in c.meetings}
    assert uids.isdisjoint(m.uid for c in two.companies for m in c.meetings)
    assert {t.touch_id for t in one.touches}.isdisjoint(t.touch_id for t in two.touches)
    assert [c.domain for c in one.companies] != [c.domain for c in two.companies]


def test_ids_domains_and_people_are_distinct() -> None:
    found = plan(companies=300)
    domains = [c.domain for c in found.companies]
    assert len(set(domains)) == len(domains) == 300
    uids = [u for c in found.companies for m in c.meetings for u in (m.uid, m.moved_uid) if u]
    assert len(set(uids)) == len(uids)
    touch_ids = [t.touch_id for t in found.touches]
    assert len(set(touch_ids)) == len(touch_ids)
    for company in found.companies:
        assert 1 <= len(company.people) <= 4
        assert all(p.email.endswith(f"@{company.domain}") for p in company.people)
        assert {m.attendee for m in company.meetings} <= set(company.people)
        assert {t.person_email for t in company.touches} <= {p.email for p in company.people}


def test_the_sample_companies_come_first() -> None:
    found = plan()
    for sample, company in zip(SAMPLE_COMPANIES, found.companies, strict=False):
        assert (company.name, company.domain, company.people) == (
            sample.name,
            sample.domain,
            sample.people,
        )
        assert company.scenario == sample.scenario


#: The seed project's sample data: where each company's deal stands.
SEED_SAMPLES = {
    "Acme Corp": ("Sarah Chen", DealStage.BOOKED, DealStatus.ACTIVE),
    "TechStart Inc": ("Mike Johnson", DealStage.MET, DealStatus.ACTIVE),
    "DataFlow Systems": ("Lisa Wong", DealStage.PROPOSAL, DealStatus.ACTIVE),
    "Growth Partners": ("James Miller", DealStage.BOOKED, DealStatus.CANCELLED),
    "Nexus Ventures": ("Anna Smith", DealStage.BOOKED, DealStatus.ACTIVE),
}


@pytest.mark.parametrize("seed", [1, 7, 42])
def test_the_seed_sample_companies_end_where_the_seed_has_them(seed: int) -> None:
    found = {c.name: c for c in plan(seed=seed, companies=12).companies}
    for name, (contact, stage, status) in SEED_SAMPLES.items():
        company = found[name]
        assert contact in {p.name for p in company.people}
        assert company.meetings[0].attendee.name == contact
        assert (company.deal.stage, company.deal.status) == (stage, status)


def test_the_opening_scenarios_are_every_scenario_once() -> None:
    assert sorted(s.name for s in OPENING_SCENARIOS) == sorted(s.name for s in SCENARIOS)


#: Every way a deal can end: active at each open stage, won, lost, cancelled.
ENDINGS = {
    *((DealStatus.ACTIVE, stage) for stage in DealStage if stage not in CLOSED_STAGES),
    (DealStatus.WON, DealStage.CLOSED_WON),
    (DealStatus.LOST, DealStage.CLOSED_LOST),
    (DealStatus.CANCELLED, DealStage.BOOKED),
}


@pytest.mark.parametrize("companies", [20, 300])
def test_every_meeting_state_and_deal_ending_is_planned(companies: int) -> None:
    found = plan(companies=companies)
    assert {m.state for c in found.companies for m in c.meetings} == set(MeetingState)
    assert {(c.deal.status, c.deal.stage) for c in found.companies} == ENDINGS
    assert any(c.deal.reopened for c in found.companies)
    reasons = {c.deal.lost_reason for c in found.companies if c.deal.status is DealStatus.LOST}
    assert len(reasons) >= 2
    providers = Counter(m.provider for c in found.companies for m in c.meetings)
    assert set(providers) == {"calcom", "calendly"}


def test_a_dozen_companies_still_show_every_meeting_state_won_and_lost() -> None:
    found = plan(companies=12)
    assert {m.state for c in found.companies for m in c.meetings} == set(MeetingState)
    assert {c.deal.status for c in found.companies} == set(DealStatus)


def test_beyond_the_scenario_list_companies_are_drawn_by_weight() -> None:
    found = plan(companies=600)
    drawn = Counter(c.scenario for c in found.companies[len(SCENARIOS) :])
    assert set(drawn) == {s.name for s in SCENARIOS}
    assert drawn["upcoming"] > drawn["reopened"]


def test_meeting_times_lie_where_their_states_say() -> None:
    for company in plan(companies=300).companies:
        for meeting in company.meetings:
            assert meeting.booked_at < NOW
            assert meeting.booked_at < meeting.start
            assert meeting.start.weekday() < 5 or meeting.start == NOW - timedelta(days=1)
            if meeting.state in FUTURE_STATES:
                assert NOW < meeting.start <= NOW + timedelta(days=FUTURE_DAYS + 3)
            elif meeting.state is not S.CANCELLED:
                assert NOW - timedelta(days=PAST_DAYS + 1) <= meeting.start < NOW
        for earlier, later in zip(company.meetings, company.meetings[1:], strict=False):
            assert earlier.start < later.start
        if company.meetings[0].state is S.RESCHEDULED:
            moved = company.meetings[0]
            assert moved.moved_to is not None
            assert moved.moved_to > moved.start


def test_touches_come_before_the_first_booking() -> None:
    found = plan(companies=300)
    assert sum(1 for c in found.companies if c.touches) > 250
    for company in found.companies:
        first_booking = company.meetings[0].booked_at
        assert all(t.occurred_at < first_booking for t in company.touches)


def test_attributions_default_rules_classify_each_touch_as_planned() -> None:
    rules = default_rule_set()
    touches = plan(companies=300).touches
    for planned in touches:
        touch = Touch(
            touch_id=planned.touch_id,
            person_email=planned.person_email,
            occurred_at=planned.occurred_at,
            activity_type=planned.activity_type,
            utm=Utm(planned.utm_source, planned.utm_medium, planned.utm_campaign),
        )
        assert rules.classify(touch).channel == planned.channel, planned
    assert len({t.channel for t in touches}) >= 8
    assert "channel" not in touches[0].body()


def test_deal_plans_carry_what_their_commands_need() -> None:
    for company in plan(companies=300).companies:
        deal = company.deal
        stages = [stage_after_meetings(company), *deal.moves]
        assert [DealStage(s) for s in stages] == sorted(stages, key=list(DealStage).index)
        if deal.status is DealStatus.WON:
            assert deal.value is not None
            assert deal.value > 0
        if deal.status is DealStatus.LOST or deal.reopened:
            assert isinstance(deal.lost_reason, LostReason)
            assert deal.lost_notes
        else:
            assert deal.lost_reason is None
        if deal.reopened:
            assert deal.status is DealStatus.ACTIVE
            assert deal.stage in deal.moves
        if deal.status is DealStatus.ACTIVE and not deal.reopened:
            assert deal.stage == stages[-1]
        if deal.status is DealStatus.CANCELLED:
            assert [m.state for m in company.meetings] == [S.CANCELLED]


def _normalized(provider: str, body: dict[str, object]) -> Normalized:
    normalize = normalize_calcom if provider == "calcom" else normalize_calendly
    result = normalize(body, tenant_id="demo", raw_event_id=uuid.uuid4(), received_at=NOW)
    assert isinstance(result, Normalized), result
    return result


def test_every_webhook_is_one_the_gateway_accepts_with_the_planned_times() -> None:
    triggers: Counter[BookingTrigger] = Counter()
    for company in plan(companies=300).companies:
        for meeting in company.meetings:
            sent = [_normalized(p, body).event for p, body in deliveries(meeting, NOW)]
            triggers.update(e.trigger for e in sent)
            booked = sent[0]
            assert booked.trigger is BookingTrigger.CREATED
            assert (booked.booking_uid, booked.start_time) == (meeting.uid, meeting.start)
            assert booked.occurred_at == meeting.booked_at.replace(microsecond=0)
            assert booked.attendees[0].email == meeting.attendee.email
            assert booked.title == meeting.title
            assert meeting.company == company.name
            assert company.name in booked.answers.values()
            last = sent[-1]
            if meeting.state is S.RESCHEDULED:
                assert (last.booking_uid, last.start_time) == (meeting.moved_uid, meeting.moved_to)
                assert meeting.uid in (last.previous_booking_uid, sent[-2].booking_uid)
            elif meeting.state is S.CANCELLED:
                assert (last.trigger, last.booking_uid) == (BookingTrigger.CANCELLED, meeting.uid)
            elif meeting.ended_by_webhook and meeting.state in (S.ATTENDED, S.GOOD, S.BAD):
                assert last.trigger is BookingTrigger.MEETING_ENDED
            else:
                assert len(sent) == 1
    assert {BookingTrigger.CREATED, BookingTrigger.RESCHEDULED, BookingTrigger.CANCELLED} <= set(
        triggers
    )
    assert BookingTrigger.MEETING_ENDED in triggers


def test_no_companies_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        plan_demo(seed=1, companies=0, now=NOW)
