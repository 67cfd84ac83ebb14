"""The funnel: leads -> meetings -> deals, counted by period or by cohort (pure).

* period: each count is of what happened inside the window: leads active in it (touched, or
  booking or attending a meeting booked in it), meetings booked in it, meetings held in it (by
  their scheduled time) that showed or not, deals created in it, deals won or lost in it (by
  close time, in their current status).
* cohort: the leads first seen inside the window, followed to whatever happened to them since:
  their meetings (any booking they attend), and the deals of their accounts created at or after
  the lead was first seen.

A person belongs to a deal's account by the attribution journey's rule (`domain.account`): their
email's company domain is the deal company's domain, or they are the deal's primary contact or
an attendee of one of its meetings.

`select_funnel` is the definition, row by row; the report counts the same in the database from
facts kept on each lead's row (`domain.leads.Lead`) and the window's meetings and deals
(`db.reporting`), and the tests hold the two equal on random histories.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from attribution.domain.account import Accounts
from attribution.domain.currency import MissingRates, RateTable, convert_minor
from attribution.domain.money import to_minor_units
from attribution.domain.reports import FunnelCounts
from dealflow_libs.domains import person_key

WON, LOST, CANCELLED = "won", "lost", "cancelled"


class FunnelMode(StrEnum):
    PERIOD = "period"
    COHORT = "cohort"


@dataclass(frozen=True, slots=True)
class LeadSeen:
    """A lead of the leads read model (a person with a touch or a meeting, domain.leads)."""

    email: str
    first_seen: datetime  # the first touch or booking, whichever came first
    active_in_window: bool  # touched, or booked or attends a meeting booked, in the window


@dataclass(frozen=True, slots=True)
class MeetingFact:
    meeting_id: UUID
    booked_at: datetime | None  # None when the booking carried no email (no lead to link)
    people: frozenset[str]  # who booked and every attendee
    scheduled_at: datetime | None
    showed_up: bool | None  # None: not held yet, cancelled, or attendance not known

    @property
    def held_at(self) -> datetime | None:
        return self.scheduled_at or self.booked_at


@dataclass(frozen=True, slots=True)
class MeetingState:
    """A meeting as the funnel keeps it: its latest status, time and attendance."""

    meeting_id: UUID
    tenant_id: str
    status: str
    scheduled_at: datetime | None
    showed_up: bool | None
    state_at: datetime  # the event's time: an older event never overwrites a newer state


@dataclass(frozen=True, slots=True)
class DealFact:
    deal_id: UUID
    tenant_id: str
    company_domain: str | None
    primary_contact_email: str | None
    meeting_ids: tuple[UUID, ...]
    status: str
    stage: str
    value: Decimal | None
    currency: str
    created_at: datetime
    closed_at: datetime | None
    attendees: frozenset[str] = field(default_factory=frozenset)

    @property
    def people(self) -> frozenset[str]:
        # The spelling touches are stored under, so a contact meets their own touches.
        contact = person_key(self.primary_contact_email or "")
        return self.attendees | {contact} if contact else self.attendees

    @property
    def rate_at(self) -> datetime:
        """When its value is converted: at the close, or at creation while it is open."""
        return self.closed_at or self.created_at


def followed(account: Iterable[DealFact], first_seen: datetime) -> list[DealFact]:
    """The deals of a lead's account the cohort follows them to: created at or after the lead
    was first seen (a deal from before the lead appeared is not what happened to them)."""
    return [d for d in account if d.created_at >= first_seen]


def won_since(account: Iterable[DealFact], first_seen: datetime) -> bool:
    """Whether the cohort counts the lead as won: a followed deal of the account is won."""
    return any(d.status == WON for d in followed(account, first_seen))


def last_won(account: Iterable[DealFact]) -> datetime | None:
    """When a deal of the lead's account was last won (closed): the period funnel counts the
    lead as won in a window holding a won deal's close."""
    return max((d.closed_at for d in account if d.status == WON and d.closed_at), default=None)


@dataclass(frozen=True, slots=True)
class FunnelSelection:
    counts: FunnelCounts
    pipeline: tuple[DealFact, ...]  # whose values make total_pipeline_value
    won: tuple[DealFact, ...]  # whose values make total_won_value


@dataclass(frozen=True, slots=True)
class LeadCounts:
    total: int
    with_meeting: int  # in a meeting (counted as booked)
    won: int


@dataclass(frozen=True, slots=True)
class MeetingCounts:
    booked: int
    showed: int  # of those held (period: in the window; cohort: the same meetings as booked)
    no_show: int


@dataclass(frozen=True, slots=True)
class DealCounts:
    created: int
    won: int  # of those closed (period: in the window; cohort: the same deals as created)
    lost: int


def funnel_counts(leads: LeadCounts, meetings: MeetingCounts, deals: DealCounts) -> FunnelCounts:
    return FunnelCounts(
        total_leads=leads.total,
        leads_with_meeting=leads.with_meeting,
        leads_won=leads.won,
        meetings_booked=meetings.booked,
        meetings_showed=meetings.showed,
        meetings_no_show=meetings.no_show,
        deals_created=deals.created,
        deals_won=deals.won,
        deals_lost=deals.lost,
    )


@dataclass(frozen=True, slots=True)
class ValuedDeals:
    """`deals` deals each worth `value` (None: no value) in `currency`, converted at the rate
    of `on` (their close, or creation while open): one conversion serves them all, since each
    deal is rounded alone and alike."""

    currency: str
    on: date
    value: Decimal | None
    deals: int


@dataclass(frozen=True, slots=True)
class DealValues:
    """Deals' values for one report currency: `summed_minor` already in it (summed where no
    rate nor rounding is involved), the others grouped by currency, rate date and value."""

    summed_minor: int = 0
    groups: tuple[ValuedDeals, ...] = ()


def converted_totals(values: Sequence[DealValues], currency: str, table: RateTable) -> list[int]:
    """Each one's total in `currency`, every deal converted at its own date and rounded half to
    even (`convert_minor`); MissingRates names every pair and date without a rate."""
    totals, missing = [], []
    for found in values:
        total = found.summed_minor
        for group in found.groups:
            try:
                factor = table.factor(group.currency, currency, group.on)
            except MissingRates as error:
                missing.extend(error.missing)
                continue
            units = to_minor_units(group.value, group.currency) if group.value is not None else 0
            each = convert_minor(units, source=group.currency, target=currency, factor=factor)
            total += each * group.deals
        totals.append(total)
    if missing:
        raise MissingRates(missing)
    return totals


@dataclass(frozen=True, slots=True)
class _Picked:
    leads: list[LeadSeen]
    leads_with_meeting: list[LeadSeen]
    leads_won: list[LeadSeen]
    booked: list[MeetingFact]  # counted as booked
    held: list[MeetingFact]  # counted for showed / no-show
    created: list[DealFact]  # counted as created (and pipeline, unless cancelled)
    closed: list[DealFact]  # counted as won or lost by their status


def select_funnel(
    mode: FunnelMode,
    *,
    since: datetime,
    until: datetime,
    leads: Sequence[LeadSeen],
    meetings: Sequence[MeetingFact],
    deals: Sequence[DealFact],
    personal_domains: Sequence[str] = (),
) -> FunnelSelection:
    """The counts of the funnel, and the deals whose values make its pipeline and won value."""
    accounts = Accounts(deals, personal_domains)
    pick = _period if mode is FunnelMode.PERIOD else _cohort
    picked = pick(since, until, leads, meetings, deals, accounts)
    counted = LeadCounts(len(picked.leads), len(picked.leads_with_meeting), len(picked.leads_won))
    return _selected(counted, picked.booked, picked.held, picked.created, picked.closed)


def _selected(
    leads: LeadCounts,
    booked: Sequence[MeetingFact],
    held: Sequence[MeetingFact],
    created: Sequence[DealFact],
    closed: Sequence[DealFact],
) -> FunnelSelection:
    won = tuple(d for d in closed if d.status == WON)
    counts = funnel_counts(
        leads,
        MeetingCounts(
            booked=len(booked),
            showed=sum(1 for m in held if m.showed_up is True),
            no_show=sum(1 for m in held if m.showed_up is False),
        ),
        DealCounts(
            created=len(created),
            won=len(won),
            lost=sum(1 for d in closed if d.status == LOST),
        ),
    )
    pipeline = tuple(d for d in created if d.status != CANCELLED)
    return FunnelSelection(counts, pipeline, won)


def _period(
    since: datetime,
    until: datetime,
    leads: Sequence[LeadSeen],
    meetings: Sequence[MeetingFact],
    deals: Sequence[DealFact],
    accounts: Accounts[DealFact],
) -> _Picked:
    def inside(moment: datetime | None) -> bool:
        return moment is not None and since <= moment <= until

    people = [lead for lead in leads if lead.active_in_window]
    booked = [m for m in meetings if inside(m.booked_at)]
    closed = [d for d in deals if inside(d.closed_at)]
    booked_people = {p for m in booked for p in m.people}
    won_ids = {d.deal_id for d in closed if d.status == WON}

    def won_in_window(lead: LeadSeen) -> bool:
        return any(d.deal_id in won_ids for d in accounts.deals_of(lead.email))

    return _Picked(
        leads=people,
        leads_with_meeting=[lead for lead in people if lead.email in booked_people],
        leads_won=[lead for lead in people if won_in_window(lead)],
        booked=booked,
        held=[m for m in meetings if inside(m.held_at)],
        created=[d for d in deals if inside(d.created_at)],
        closed=closed,
    )


def _cohort(
    since: datetime,
    until: datetime,
    leads: Sequence[LeadSeen],
    meetings: Sequence[MeetingFact],
    deals: Sequence[DealFact],
    accounts: Accounts[DealFact],
) -> _Picked:
    people = [lead for lead in leads if since <= lead.first_seen <= until]
    emails = {lead.email for lead in people}
    theirs = [m for m in meetings if m.booked_at is not None and m.people & emails]
    booked_people = {p for m in theirs for p in m.people}
    their: dict[UUID, DealFact] = {}
    leads_won = []
    for lead in people:
        account = accounts.deals_of(lead.email)
        their.update((d.deal_id, d) for d in followed(account, lead.first_seen))
        if won_since(account, lead.first_seen):
            leads_won.append(lead)
    their_deals = sorted(their.values(), key=lambda d: d.deal_id)
    return _Picked(
        leads=people,
        leads_with_meeting=[lead for lead in people if lead.email in booked_people],
        leads_won=leads_won,
        booked=theirs,
        held=theirs,
        created=their_deals,
        closed=their_deals,
    )
