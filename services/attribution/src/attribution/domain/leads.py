"""Leads (pure): a person with a touch or a meeting, joined to a company, and how far their
account got.

A lead is one person (`person_key` of the email). Their company is the registrable domain of
the address unless it is a personal mailbox under the tenant's list (`company_domain_of`, the
rule deals and meetings use): a gmail.com lead has no company. The lead's *account* is every
deal the person belongs to by the attribution journey's rule (`domain.account`): the deal's
company is theirs, or they are its primary contact or attend one of its meetings.

Status, from the recorded state alone (so any arrival order gives the same answer):

* converted: a deal of the account is won;
* opportunity: else, a deal of the account is active (a reopened deal is active again);
* lost: else, the account has deals and every one is lost;
* meeting_booked: else, the person booked or attends a meeting;
* touched: else (touches only).

Cancelled deals (a booking cancelled before anything happened) do not count towards a status.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from attribution.domain.account import Accounts
from attribution.domain.funnel import DealFact, last_won, won_since
from dealflow_libs.domains import company_domain_of
from dealflow_schemas.deals import DealStatus


class LeadStatus(StrEnum):
    TOUCHED = "touched"
    MEETING_BOOKED = "meeting_booked"
    OPPORTUNITY = "opportunity"
    CONVERTED = "converted"
    LOST = "lost"


@dataclass(frozen=True, slots=True)
class TouchSummary:
    """A person's touches (a booking is a touch of who booked it): how many, first and last."""

    count: int
    first_at: datetime
    first_channel: str  # of the first touch by (occurred_at, touch_id)
    last_at: datetime


@dataclass(frozen=True, slots=True)
class BookedMeeting:
    """A recorded booking: when, and who booked or attends it (by person_key)."""

    meeting_id: UUID
    booked_at: datetime
    people: frozenset[str]


@dataclass(frozen=True, slots=True)
class Lead:
    """A lead as the read model keeps it."""

    email: str
    company_domain: str | None
    status: LeadStatus
    first_seen_at: datetime  # the first touch or booking, whichever came first
    first_touch_at: datetime | None
    first_touch_channel: str | None
    last_touch_at: datetime | None
    touches: int
    meetings: int
    deal_ids: tuple[UUID, ...]  # the account's deals, cancelled ones included, by id
    # A deal of the account created at or after first_seen_at is won: the lead counts as won
    # in the funnel's cohort of its first sighting (`domain.funnel`).
    won_since_first_seen: bool
    # The latest of each activity the period funnel counts a lead by (`domain.funnel`): a
    # window ending now holds one when the latest is in it (one dated after now: see
    # `db.reporting.period_leads_query`).
    last_active_at: datetime  # the last touch, or booking of a meeting they book or attend
    last_booked_at: datetime | None  # the last booking of a meeting they book or attend
    last_won_at: datetime | None  # the last close of a won deal of the account


def lead_status(*, booked: bool, deal_statuses: Iterable[str]) -> LeadStatus:
    """The status of a lead whose account's deals have these statuses (see the module)."""
    counted = {s for s in deal_statuses if s != DealStatus.CANCELLED}
    if DealStatus.WON in counted:
        return LeadStatus.CONVERTED
    if DealStatus.ACTIVE in counted:
        return LeadStatus.OPPORTUNITY
    if counted:  # only lost deals are left
        return LeadStatus.LOST
    return LeadStatus.MEETING_BOOKED if booked else LeadStatus.TOUCHED


def derive_leads(
    people: Iterable[str],
    *,
    touches: Mapping[str, TouchSummary],
    bookings: Sequence[BookedMeeting],
    deals: Sequence[DealFact],
    personal_domains: Sequence[str] = (),
) -> dict[str, Lead | None]:
    """Each person's lead from what is recorded (None: no touch and no meeting, not a lead).

    `bookings` must hold every booking of these people and every booking of the deals'
    meetings that they attend; `deals` every deal they may belong to (a superset is fine: the
    account rule picks). A deal's attendees are taken from `bookings`.
    """
    booked: dict[str, list[BookedMeeting]] = {}
    attendees: dict[UUID, frozenset[str]] = {}
    for booking in bookings:
        attendees[booking.meeting_id] = booking.people
        for person in booking.people:
            booked.setdefault(person, []).append(booking)
    joined = [replace(d, attendees=_attending(d, attendees)) for d in deals]
    accounts = Accounts(joined, personal_domains)
    return {
        email: _lead(
            email,
            touches.get(email),
            booked.get(email, []),
            accounts.deals_of(email),
            personal_domains,
        )
        for email in people
    }


def _attending(deal: DealFact, attendees: Mapping[UUID, frozenset[str]]) -> frozenset[str]:
    return frozenset(p for m in deal.meeting_ids for p in attendees.get(m, ()))


def tenant_leads(
    *,
    touches: Mapping[str, TouchSummary],
    bookings: Sequence[BookedMeeting],
    deals: Sequence[DealFact],
    personal_domains: Sequence[str] = (),
) -> list[Lead]:
    """Every lead of a tenant from everything it recorded (all its touches, bookings, deals)."""
    people = set(touches) | {p for b in bookings for p in b.people}
    derived = derive_leads(
        sorted(people),
        touches=touches,
        bookings=bookings,
        deals=deals,
        personal_domains=personal_domains,
    )
    return [lead for lead in derived.values() if lead is not None]


def _lead(
    email: str,
    touches: TouchSummary | None,
    booked: Sequence[BookedMeeting],
    account: Sequence[DealFact],
    personal_domains: Sequence[str],
) -> Lead | None:
    if touches is None and not booked:
        return None
    seen = [b.booked_at for b in booked] + ([touches.first_at] if touches else [])
    first_seen = min(seen)
    last_booked = max((b.booked_at for b in booked), default=None)
    active = [b.booked_at for b in booked] + ([touches.last_at] if touches else [])
    return Lead(
        email=email,
        company_domain=company_domain_of(email, personal_domains)[0],
        status=lead_status(booked=bool(booked), deal_statuses=(d.status for d in account)),
        first_seen_at=first_seen,
        first_touch_at=touches.first_at if touches else None,
        first_touch_channel=touches.first_channel if touches else None,
        last_touch_at=touches.last_at if touches else None,
        touches=touches.count if touches else 0,
        meetings=len({b.meeting_id for b in booked}),
        deal_ids=tuple(sorted(d.deal_id for d in account)),
        won_since_first_seen=won_since(account, first_seen),
        last_active_at=max(active),
        last_booked_at=last_booked,
        last_won_at=last_won(account),
    )
