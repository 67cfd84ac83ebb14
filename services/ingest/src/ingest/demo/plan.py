"""What `dealflow demo-data` puts into a tenant, planned before anything is sent (pure).

Given a seed, the number of companies and the present moment, the plan names every company, its
people, the touches that came before its bookings, its meetings with the state each ends in,
and how its deal ends. Uids, touch ids and emails depend on the seed only, so loading the same
plan twice sends the same provider events and touches again, which the services recognise as
duplicates; times are relative to `now`.
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from dealflow_schemas.attribution import ActivityType as A
from dealflow_schemas.deals import DealStage, DealStatus, LostReason

PAST_DAYS = 180
FUTURE_DAYS = 21


class MeetingState(StrEnum):
    """How a planned meeting ends up."""

    UPCOMING = "upcoming"  # booked, in the future
    CONFIRMED = "confirmed"  # in the future, the attendee confirmed
    RESCHEDULED = "rescheduled"  # moved by the provider to a later (future) slot and uid
    CANCELLED = "cancelled"
    ATTENDED = "attended"  # past, showed up, no verdict yet
    NO_SHOW = "no_show"
    GOOD = "good"  # past, outcome good
    BAD = "bad"  # past, outcome bad


#: States whose meeting lies in the future.
FUTURE_STATES = (MeetingState.UPCOMING, MeetingState.CONFIRMED, MeetingState.RESCHEDULED)


@dataclass(frozen=True)
class Person:
    name: str
    email: str


@dataclass(frozen=True)
class PlannedTouch:
    touch_id: str
    person_email: str
    occurred_at: datetime
    activity_type: A
    channel: str  # what attribution's default rules make of it (checked by the tests)
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None

    def body(self) -> dict[str, str]:
        """The item of `POST /v1/touches` (no explicit channel: the tenant's rules decide)."""
        fields = {
            "touch_id": self.touch_id,
            "person_email": self.person_email,
            "occurred_at": self.occurred_at.isoformat(),
            "activity_type": self.activity_type.value,
            "utm_source": self.utm_source,
            "utm_medium": self.utm_medium,
            "utm_campaign": self.utm_campaign,
        }
        return {key: value for key, value in fields.items() if value is not None}


@dataclass(frozen=True)
class PlannedMeeting:
    uid: str  # the booking's first uid (Calendly: the invitee uri)
    provider: str  # calcom | calendly
    company: str  # what the attendee types into the booking form's company field
    title: str
    attendee: Person
    booked_at: datetime
    start: datetime
    state: MeetingState
    moved_uid: str | None = None  # RESCHEDULED: the new booking's uid
    moved_to: datetime | None = None
    ended_by_webhook: bool = False  # attended as Cal.com's MEETING_ENDED says, not by hand
    notes: str | None = None

    @property
    def final_uid(self) -> str:
        return self.moved_uid or self.uid

    @property
    def final_start(self) -> datetime:
        return self.moved_to or self.start


@dataclass(frozen=True)
class DealPlan:
    status: DealStatus  # where the deal ends
    stage: DealStage  # its stage then (a cancelled deal keeps the stage it was at)
    value: Decimal | None  # set on the deal (and its won value) once a rep works it
    moves: tuple[DealStage, ...]  # stages a rep moves it through, in order
    lost_reason: LostReason | None = None  # lost (and, when reopened, lost before)
    lost_notes: str | None = None
    reopened: bool = False  # lost, then reopened at `stage`

    @property
    def handled(self) -> bool:
        """Whether a rep works the deal by hand (else the meetings alone shape it)."""
        return bool(self.moves) or self.status is DealStatus.WON or self.lost_reason is not None


@dataclass(frozen=True)
class PlannedCompany:
    name: str
    domain: str
    people: tuple[Person, ...]
    touches: tuple[PlannedTouch, ...]
    meetings: tuple[PlannedMeeting, ...]
    deal: DealPlan
    scenario: str


@dataclass(frozen=True)
class DemoPlan:
    seed: int
    now: datetime
    companies: tuple[PlannedCompany, ...]

    @property
    def touches(self) -> list[PlannedTouch]:
        return [t for c in self.companies for t in c.touches]


# -- scenarios: how a deal ends and the meetings that lead there -----------------------------

S = MeetingState
_OPEN = (DealStage.PROPOSAL, DealStage.NEGOTIATION, DealStage.VERBAL_COMMIT)
_End = tuple[DealStatus, DealStage]
WON: _End = (DealStatus.WON, DealStage.CLOSED_WON)
LOST: _End = (DealStatus.LOST, DealStage.CLOSED_LOST)
CANCELLED: _End = (DealStatus.CANCELLED, DealStage.BOOKED)


def _active(stage: DealStage) -> _End:
    return (DealStatus.ACTIVE, stage)


@dataclass(frozen=True)
class Scenario:
    name: str
    ends: _End  # the deal's status and stage in the end
    meetings: tuple[MeetingState, ...]  # in booking order
    moves: tuple[DealStage, ...] = ()
    weight: int = 1
    reopened: bool = False


#: Every company plays one (see OPENING_SCENARIOS for the order of the first ones).
SCENARIOS: tuple[Scenario, ...] = (
    Scenario("upcoming", _active(DealStage.BOOKED), (S.UPCOMING,), weight=10),
    Scenario("confirmed", _active(DealStage.BOOKED), (S.CONFIRMED,), weight=6),
    Scenario("cancelled", CANCELLED, (S.CANCELLED,), weight=6),
    Scenario("met", _active(DealStage.MET), (S.ATTENDED,), weight=6),
    Scenario("qualified", _active(DealStage.QUALIFICATION), (S.GOOD, S.UPCOMING), weight=8),
    Scenario("proposal", _active(DealStage.PROPOSAL), (S.GOOD, S.GOOD), _OPEN[:1], weight=7),
    Scenario("won", WON, (S.GOOD, S.GOOD, S.GOOD), _OPEN, weight=12),
    Scenario("lost", LOST, (S.GOOD, S.ATTENDED), _OPEN[:1], weight=8),
    Scenario("rescheduled", _active(DealStage.BOOKED), (S.RESCHEDULED,), weight=5),
    Scenario("no-show rebooked", _active(DealStage.BOOKED), (S.NO_SHOW, S.CONFIRMED), weight=4),
    Scenario("bad fit", LOST, (S.BAD,), weight=5),
    Scenario(
        "negotiation",
        _active(DealStage.NEGOTIATION),
        (S.GOOD, S.GOOD, S.CONFIRMED),
        _OPEN[:2],
        weight=5,
    ),
    Scenario(
        "reopened",
        _active(DealStage.PROPOSAL),
        (S.GOOD, S.GOOD),
        _OPEN[:1],
        weight=3,
        reopened=True,
    ),
    Scenario("went silent", LOST, (S.NO_SHOW,), weight=4),
    Scenario("verbal commit", _active(DealStage.VERBAL_COMMIT), (S.GOOD, S.GOOD), _OPEN, weight=3),
    Scenario(
        "contract sent",
        _active(DealStage.CONTRACT_SENT),
        (S.GOOD, S.GOOD, S.UPCOMING),
        (*_OPEN, DealStage.CONTRACT_SENT),
        weight=3,
    ),
)

#: Titles per meeting in a company's sequence (the meetings service derives the type from them).
TITLES = ("Discovery Call", "Product Demo", "Follow-up Call", "Contract Review")

# -- the sample companies ----------------------------------------------------------------------


@dataclass(frozen=True)
class SampleCompany:
    name: str
    domain: str
    people: tuple[Person, ...]
    scenario: str  # the name of the scenario it plays, so its deal ends where its source says


#: Every seed starts with these. Five are the seed project's sample data (its migration 003:
#: company, contact, deal stage and status), one is the provider payload samples' attendee
#: (ingest/samples); Jane Doe at Acme is the README's example.
SAMPLE_COMPANIES: tuple[SampleCompany, ...] = (
    SampleCompany(
        "Acme Corp",
        "acme.com",
        (Person("Sarah Chen", "sarah.chen@acme.com"), Person("Jane Doe", "jane@acme.com")),
        "upcoming",  # booked, active
    ),
    SampleCompany(
        "TechStart Inc",
        "techstart.io",
        (Person("Mike Johnson", "mike.johnson@techstart.io"),),
        "met",  # met, active
    ),
    SampleCompany(
        "DataFlow Systems",
        "dataflowsystems.com",
        (Person("Lisa Wong", "lisa.wong@dataflowsystems.com"),),
        "proposal",  # proposal, active
    ),
    SampleCompany(
        "Growth Partners",
        "growthpartners.co",
        (Person("James Miller", "james.miller@growthpartners.co"),),
        "cancelled",  # booked, cancelled
    ),
    SampleCompany(
        "Nexus Ventures",
        "nexusventures.com",
        (Person("Anna Smith", "anna.smith@nexusventures.com"),),
        "confirmed",  # booked, active
    ),
    SampleCompany(
        "Example Org GmbH",
        "example.org",
        (
            Person("Jamie Prospect", "jamie.prospect@example.org"),
            Person("Sam Colleague", "sam.colleague@example.org"),
        ),
        "qualified",
    ),
)


def _opening_scenarios() -> tuple[Scenario, ...]:
    """The sample companies' scenarios, then every other one in list order."""
    by_name = {scenario.name: scenario for scenario in SCENARIOS}
    pinned = [by_name[sample.scenario] for sample in SAMPLE_COMPANIES]
    return (*pinned, *(s for s in SCENARIOS if s not in pinned))


#: The first companies of every plan play these, so a small run (a dozen companies) still shows
#: every meeting state and the main deal endings; later ones are drawn by weight.
OPENING_SCENARIOS = _opening_scenarios()

# -- names ---------------------------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_FIRST = _words(
    "Aisha Alex Ana Ben Carla Chen Daniel Elena Emma Farid Grace Hana Ines Jonas Julia Kai "
    "Karim Laura Leo Lina Lucas Maya Mia Nadia Noah Olivia Omar Paula Priya Rafael Sara Sofia "
    "Tariq Tom Valentina Yara Yusuf Zoe Marco Nora"
)
_LAST = _words(
    "Adams Bauer Becker Costa Dubois Fischer Garcia Hansen Ibrahim Jensen Kim Kowalski Lopez "
    "Martin Meyer Moreau Nakamura Novak Okafor Patel Rossi Santos Schmidt Silva Singh Tanaka "
    "Weber Wong Yilmaz Zimmermann Larsen Haddad Fernandes Berg"
)
_PREFIX = _words(
    "North Blue Bright Clear Swift Iron Silver Green Red Cedar Maple Harbor Summit Atlas Nova "
    "Vertex Orbit Prism Quantum Lumen Polar Coral Granite Ember Falcon Beacon Cobalt Delta "
    "Echo Fjord Helix Juniper Kestrel Lattice Meridian Nimbus Onyx Pioneer Ridge Sierra Tidal"
)
_CORE = _words(
    "wind peak path stone field bridge line wave forge point river craft light gate works "
    "leaf crest spring rock bay"
)
_SUFFIX = _words(
    "Analytics Logistics Labs Health Robotics Software Systems Energy Capital Foods Media "
    "Studio Cloud Security Bio Retail Networks Partners Consulting Freight"
)
_TLD = ("com", "com", "com", "io", "co", "de", "ai", "net")

# -- touches: what a journey before a booking looks like, per acquisition source ----------

#: (activity, utm_source, utm_medium, utm_campaign, channel under the default rules)
_Touch = tuple[A, str | None, str | None, str | None, str]
_SOURCES: dict[str, tuple[_Touch, ...]] = {
    "outbound": (
        (A.EMAIL_SENT, None, None, "outbound-q3", "Outbound Email"),
        (A.EMAIL_CLICKED, None, None, "outbound-q3", "Outbound Email"),
        (A.EMAIL_REPLIED, None, None, "outbound-q3", "Outbound Email"),
        (A.LINKEDIN_CONNECT, None, None, None, "LinkedIn (Outbound)"),
        (A.LINKEDIN_MESSAGE, None, None, None, "LinkedIn (Outbound)"),
        (A.CALL, None, None, None, "Phone"),
    ),
    "organic": (
        (A.WEB_VISIT, "google", "organic", None, "Organic Search"),
        (A.WEB_VISIT, "bing", "organic", None, "Organic Search"),
        (A.WEB_VISIT, "linkedin.com", "social", None, "Organic Social"),
        (A.WEB_VISIT, None, None, None, "Direct"),
        (A.FORM_SUBMIT, None, None, None, "Direct"),
    ),
    "paid": (
        (A.AD_CLICK, "google", "cpc", "brand-search", "Paid Search"),
        (A.AD_CLICK, "linkedin", "paid_social", "abm-enterprise", "Paid Social"),
        (A.AD_CLICK, "facebook", "cpc", "retargeting", "Paid Social"),
        (A.WEB_VISIT, "google", "organic", None, "Organic Search"),
    ),
    "referral": (
        (A.REFERRAL, None, None, None, "Referral"),
        (A.WEB_VISIT, "partner-directory.com", "referral", None, "Referral"),
        (A.WEB_VISIT, None, None, None, "Direct"),
    ),
    "events": (
        (A.EVENT, None, None, "saas-summit", "Events"),
        (A.EMAIL_SENT, None, None, "event-follow-up", "Outbound Email"),
        (A.WEB_VISIT, "newsletter", "email", "monthly-digest", "Email"),
    ),
}
_SOURCE_WEIGHTS = {"outbound": 35, "organic": 25, "paid": 20, "referral": 12, "events": 8}

_LOST_NOTES = {
    LostReason.PRICE_TOO_HIGH: "Budget approved at half the quote.",
    LostReason.CHOSE_COMPETITOR: "Went with the incumbent's bundle.",
    LostReason.NO_BUDGET: "Budget frozen until next fiscal year.",
    LostReason.TIMING_NOT_RIGHT: "Revisit after their migration in Q2.",
    LostReason.NO_DECISION: "Committee could not agree on a priority.",
    LostReason.CHAMPION_LEFT: "Our champion moved to another company.",
    LostReason.PROJECT_CANCELLED: "The initiative was cancelled by leadership.",
    LostReason.WENT_SILENT: "No answer after three follow-ups.",
    LostReason.BAD_FIT: "Needs on-premise hosting we do not offer.",
}
_AFTER_GOOD = (
    LostReason.PRICE_TOO_HIGH,
    LostReason.CHOSE_COMPETITOR,
    LostReason.NO_BUDGET,
    LostReason.TIMING_NOT_RIGHT,
    LostReason.NO_DECISION,
    LostReason.CHAMPION_LEFT,
    LostReason.PROJECT_CANCELLED,
)
_NOTES = {
    S.GOOD: "Clear pain in pipeline reporting; wants a follow-up with their team.",
    S.BAD: "Small team, spreadsheets work fine for them.",
    S.NO_SHOW: "Did not join; no reply to the reminder.",
}


class _Planner:
    def __init__(self, seed: int, now: datetime) -> None:
        self.seed, self.now = seed, now
        self.rng = random.Random(seed)
        self.domains: set[str] = set()

    def plan(self, count: int) -> DemoPlan:
        companies = []
        for index in range(count):
            if index < len(OPENING_SCENARIOS):
                scenario = OPENING_SCENARIOS[index]
            else:
                scenario = self.rng.choices(SCENARIOS, weights=[s.weight for s in SCENARIOS])[0]
            companies.append(self.company(index, scenario))
        return DemoPlan(self.seed, self.now, tuple(companies))

    def company(self, index: int, scenario: Scenario) -> PlannedCompany:
        rng = self.rng
        if index < len(SAMPLE_COMPANIES):
            sample = SAMPLE_COMPANIES[index]
            name, domain, people = sample.name, sample.domain, sample.people
            self.domains.add(domain)
        else:
            name, domain = self.company_name()
            people = self.people(domain, rng.choices((1, 2, 3, 4), weights=(35, 35, 20, 10))[0])
        key = f"demo-{self.seed}-{index}"
        meetings = self.meetings(key, name, people, scenario.meetings)
        first_booked = meetings[0].booked_at
        touches = self.touches(key, people, first_booked)
        return PlannedCompany(
            name, domain, people, touches, meetings, self.deal(scenario), scenario.name
        )

    def company_name(self) -> tuple[str, str]:
        rng = self.rng
        while True:
            words = [rng.choice(_PREFIX), rng.choice(_CORE)]
            if rng.random() < 0.6:
                words = [words[0] + words[1], rng.choice(_SUFFIX)]
            else:
                words = [words[0] + words[1]]
            domain = f"{'-'.join(w.lower() for w in words)}.{rng.choice(_TLD)}"
            if domain not in self.domains:
                self.domains.add(domain)
                return " ".join(w.capitalize() for w in words), domain

    def people(self, domain: str, count: int) -> tuple[Person, ...]:
        chosen: dict[str, Person] = {}
        while len(chosen) < count:
            first, last = self.rng.choice(_FIRST), self.rng.choice(_LAST)
            email = f"{first}.{last}@{domain}".lower()
            chosen.setdefault(email, Person(f"{first} {last}", email))
        return tuple(chosen.values())

    # -- times ------------------------------------------------------------------------------

    def slot(self, earliest: datetime, latest: datetime) -> datetime:
        """A half-hour slot in office hours (UTC) on a weekday between the two moments."""
        span = max((latest - earliest).total_seconds(), 0.0)
        moment = earliest + timedelta(seconds=self.rng.uniform(0, span))
        moment = moment.replace(
            hour=self.rng.randint(8, 16), minute=self.rng.choice((0, 30)), second=0, microsecond=0
        )
        while moment.weekday() >= 5:
            moment += timedelta(days=1 if moment > self.now else -1)
        return moment

    def meetings(
        self, key: str, company: str, people: Sequence[Person], states: Sequence[MeetingState]
    ) -> tuple[PlannedMeeting, ...]:
        now, rng = self.now, self.rng
        past = [s for s in states if s not in FUTURE_STATES]
        # The first past meeting early enough for the rest of the sequence to follow it.
        latest_first = now - timedelta(days=2 + 12 * max(len(past) - 1, 0))
        start = self.slot(now - timedelta(days=PAST_DAYS), latest_first)
        provider = "calendly" if rng.random() < 0.3 else "calcom"
        planned = []
        for position, state in enumerate(states):
            # Half the cancelled bookings were for a slot still ahead.
            ahead = state is S.CANCELLED and rng.random() < 0.5
            if state in FUTURE_STATES or ahead:
                start = self.slot(now + timedelta(days=1), now + timedelta(days=FUTURE_DAYS))
            elif position:
                start = min(
                    self.slot(start + timedelta(days=5), start + timedelta(days=12)),
                    now - timedelta(days=1),
                )
            booked_at = min(
                start - timedelta(days=rng.randint(1, 10), hours=rng.randint(0, 8)),
                now - timedelta(minutes=rng.randint(10, 600)),
            )
            uid = f"{key}-m{position}"
            if provider == "calendly":
                uid = _calendly_uri(uid)
            moved_uid = moved_to = None
            if state is S.RESCHEDULED:
                moved_uid = f"{key}-m{position}-r1"
                if provider == "calendly":
                    moved_uid = _calendly_uri(moved_uid)
                moved_to = self.slot(start + timedelta(days=1), start + timedelta(days=7))
            planned.append(
                PlannedMeeting(
                    uid=uid,
                    provider=provider,
                    company=company,
                    title=TITLES[min(position, len(TITLES) - 1)],
                    attendee=people[position % len(people)],
                    booked_at=booked_at,
                    start=start,
                    state=state,
                    moved_uid=moved_uid,
                    moved_to=moved_to,
                    ended_by_webhook=provider == "calcom" and rng.random() < 0.5,
                    notes=_NOTES.get(state),
                )
            )
        return tuple(planned)

    def touches(
        self, key: str, people: Sequence[Person], booked_at: datetime
    ) -> tuple[PlannedTouch, ...]:
        rng = self.rng
        if rng.random() < 0.1:
            return ()  # booked straight from the website, nothing before
        source = rng.choices(list(_SOURCE_WEIGHTS), weights=list(_SOURCE_WEIGHTS.values()))[0]
        kinds = _SOURCES[source]
        count = rng.randint(1, 7)
        span = timedelta(days=rng.randint(3, 60))
        moments = sorted(booked_at - timedelta(hours=1) - span * rng.random() for _ in range(count))
        touches = []
        for n, moment in enumerate(moments):
            activity, source_, medium, campaign, channel = rng.choice(kinds)
            touches.append(
                PlannedTouch(
                    touch_id=f"{key}-t{n}",
                    person_email=rng.choice(people).email,
                    occurred_at=moment.replace(microsecond=0),
                    activity_type=activity,
                    channel=channel,
                    utm_source=source_,
                    utm_medium=medium,
                    utm_campaign=campaign,
                )
            )
        return tuple(touches)

    def deal(self, scenario: Scenario) -> DealPlan:
        rng = self.rng
        value = Decimal(rng.choice((6, 9, 12, 15, 18, 24, 30, 36, 48, 60, 90, 120)) * 1000)
        value += Decimal(rng.choice((0, 0, 500, 2500)))
        (status, stage), moves = scenario.ends, scenario.moves
        if status is DealStatus.LOST or scenario.reopened:
            if scenario.reopened:
                reason = LostReason.TIMING_NOT_RIGHT
            elif scenario.meetings[-1] is S.NO_SHOW:
                reason = LostReason.WENT_SILENT
            elif S.BAD in scenario.meetings:
                reason = LostReason.BAD_FIT
            else:
                reason = rng.choice(_AFTER_GOOD)
            notes = _LOST_NOTES[reason]
            return DealPlan(status, stage, value, moves, reason, notes, scenario.reopened)
        worked = moves or status is DealStatus.WON
        return DealPlan(status, stage, value if worked else None, moves)


def _calendly_uri(key: str) -> str:
    return f"https://api.calendly.com/scheduled_events/{key}/invitees/{key}"


def plan_demo(*, seed: int, companies: int, now: datetime) -> DemoPlan:
    """The demo tenant's companies, people, touches, meetings and deal endings for `seed`."""
    if companies < 1:
        raise ValueError("plan at least one company")
    return _Planner(seed, now).plan(companies)
