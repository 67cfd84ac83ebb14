"""How meeting events move the pipeline (the brief's domain rules). Pure: the caller preloads a
Ledger with everything a batch may touch and persists what it holds afterwards."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dealflow_libs.money import to_cents
from dealflow_schemas.deals import DealStage
from dealflow_schemas.meetings import (
    MeetingAttended,
    MeetingBooked,
    MeetingCancelled,
    MeetingEvent,
    MeetingNoShow,
    MeetingOutcome,
    MeetingOutcomeRecorded,
    MeetingSnapshot,
)
from dealflow_schemas.tenants import DEFAULT_CURRENCY
from deals.domain.company import Company, MeetingRecord
from deals.domain.deal import Deal, Kind, Transition
from deals.domain.settings import DealPolicy, DealSettings

BY_MEETINGS = "meetings"


@dataclass
class Activity:
    deal: Deal
    kind: str
    detail: dict[str, Any]
    at: datetime


@dataclass
class Ledger:
    """Everything a batch may read or change, in memory; new objects are listed for saving."""

    companies: dict[tuple[str, str], Company] = field(default_factory=dict)
    deals: dict[uuid.UUID, Deal] = field(default_factory=dict)
    meetings: dict[uuid.UUID, MeetingRecord] = field(default_factory=dict)
    currencies: dict[str, str] = field(default_factory=dict)
    new_companies: list[Company] = field(default_factory=list)
    new_deals: list[Deal] = field(default_factory=list)
    new_meetings: list[MeetingRecord] = field(default_factory=list)
    transitions: list[tuple[Deal, Transition, uuid.UUID | None, str | None]] = field(
        default_factory=list
    )
    activities: list[Activity] = field(default_factory=list)
    people: dict[tuple[str, str], tuple[str | None, uuid.UUID | None, uuid.UUID]] = field(
        default_factory=dict
    )

    def __post_init__(self) -> None:
        self._by_company: dict[uuid.UUID, Deal] = {}
        for deal in self.deals.values():
            self._index(deal)

    def _index(self, deal: Deal) -> None:
        if deal.is_active:
            self._by_company[deal.company_id] = deal

    def add_deal(self, deal: Deal) -> None:
        self.deals[deal.id] = deal
        self._index(deal)

    def active_deal_of(self, company: Company) -> Deal | None:
        deal = self._by_company.get(company.id)
        return deal if deal is not None and deal.is_active else None

    def company(self, tenant_id: str, domain: str, now: datetime) -> Company:
        """The tenant's company at `domain`: loaded, or created (and listed for saving)."""
        key = (tenant_id, domain)
        if key not in self.companies:
            company = Company.named_after(tenant_id, domain, now)
            self.companies[key] = company
            self.new_companies.append(company)
        return self.companies[key]

    def currency_of(self, tenant_id: str) -> str:
        return self.currencies.get(tenant_id, DEFAULT_CURRENCY)

    def record(
        self,
        transition: Transition | None,
        deal: Deal,
        meeting_id: uuid.UUID | None,
        caused_by: str | None,
    ) -> None:
        if transition is not None:
            self.transitions.append((deal, transition, meeting_id, caused_by))

    def other_upcoming(self, deal: Deal, except_meeting: uuid.UUID, now: datetime) -> bool:
        return any(
            m.deal_id == deal.id and m.meeting_id != except_meeting and m.is_upcoming(now)
            for m in self.meetings.values()
        )


def _track_meeting(ledger: Ledger, snapshot: MeetingSnapshot, now: datetime) -> MeetingRecord:
    record = ledger.meetings.get(snapshot.meeting_id)
    if record is None:
        record = MeetingRecord(
            meeting_id=snapshot.meeting_id,
            tenant_id=snapshot.tenant_id,
            status=snapshot.status.value,
            updated_at=now,
        )
        ledger.meetings[record.meeting_id] = record
        ledger.new_meetings.append(record)
    organizer = snapshot.organizer.email if snapshot.organizer else None
    primary_name = snapshot.attendees[0].name if snapshot.attendees else None
    record.status, record.updated_at = snapshot.status.value, now
    record.title, record.meeting_type, record.scheduled_at = (
        snapshot.title,
        snapshot.meeting_type.value,
        snapshot.scheduled_at,
    )
    record.primary_email, record.primary_name, record.organizer_email = (
        snapshot.primary_email,
        primary_name,
        organizer,
    )
    record.utm_source, record.utm_campaign = (
        snapshot.tracking.utm_source,
        snapshot.tracking.utm_campaign,
    )
    record.converting_activity_id, record.converting_channel = (
        snapshot.converting_activity_id,
        snapshot.converting_channel,
    )
    return record


def _company_for(
    ledger: Ledger, snapshot: MeetingSnapshot, record: MeetingRecord, now: datetime
) -> Company | None:
    if snapshot.is_personal_email or not snapshot.company_domain:
        company = None
    else:
        company = ledger.company(snapshot.tenant_id, snapshot.company_domain, now)
        record.company_id = company.id
    if snapshot.primary_email:
        name = snapshot.attendees[0].name if snapshot.attendees else None
        ledger.people[(snapshot.tenant_id, snapshot.primary_email)] = (
            name,
            company.id if company else None,
            snapshot.meeting_id,
        )
    return company


def _link(
    ledger: Ledger, deal: Deal, record: MeetingRecord, caused_by: str | None, now: datetime
) -> None:
    """Links a meeting to the deal; a deal that existed before says so in a DealUpdated."""
    record.deal_id = deal.id
    if deal.link_meeting(record.meeting_id) and deal not in ledger.new_deals:
        deal.updated_at = now
        linked = Transition(
            Kind.UPDATED, BY_MEETINGS, "meeting linked", details={"changed_fields": ["meeting_ids"]}
        )
        ledger.record(linked, deal, record.meeting_id, caused_by)


def open_deal(
    ledger: Ledger,
    company: Company,
    *,
    stage: DealStage,
    settings: DealSettings,
    now: datetime,
    by: str,
    name: str | None = None,
    record: MeetingRecord | None = None,
    caused_by: str | None = None,
    **extra: Any,
) -> Deal:
    """The one way a deal is created (from a meeting, or from a CRM without one): named after
    the company unless named, in the tenant's currency, listed for saving, its creation recorded.
    """
    if record is not None:
        extra = {
            "primary_contact_email": record.primary_email,
            "source_meeting_id": record.meeting_id,
            "converting_activity_id": record.converting_activity_id,
            "converting_channel": record.converting_channel,
            **extra,
        }
    deal, transition = Deal.open(
        tenant_id=company.tenant_id,
        company_id=company.id,
        name=name or company.default_deal_name,
        stage=stage,
        settings=settings,
        currency=ledger.currency_of(company.tenant_id),
        now=now,
        by=by,
        **extra,
    )
    ledger.add_deal(deal)
    ledger.new_deals.append(deal)
    if record is not None:
        _link(ledger, deal, record, caused_by, now)
    ledger.record(transition, deal, record.meeting_id if record else None, caused_by)
    return deal


@dataclass(frozen=True)
class _Step:
    """One meeting event being applied: what the rules below read and write."""

    ledger: Ledger
    record: MeetingRecord
    company: Company | None
    deal: Deal | None
    settings: DealSettings
    now: datetime
    caused_by: str | None

    def record_transition(self, transition: Transition | None, deal: Deal) -> None:
        self.ledger.record(transition, deal, self.record.meeting_id, self.caused_by)

    def advance(self, deal: Deal, stage: DealStage, reason: str) -> None:
        """Links the meeting and moves the deal forward to `stage` (never back)."""
        _link(self.ledger, deal, self.record, self.caused_by, self.now)
        moved = deal.advance(
            stage, settings=self.settings, by=BY_MEETINGS, reason=reason, now=self.now
        )
        self.record_transition(moved, deal)

    def open_deal(self, company: Company, stage: DealStage, **extra: Any) -> Deal:
        return open_deal(
            self.ledger,
            company,
            stage=stage,
            settings=self.settings,
            now=self.now,
            by=BY_MEETINGS,
            record=self.record,
            caused_by=self.caused_by,
            **extra,
        )


def apply_meeting_event(
    ledger: Ledger,
    event: MeetingEvent,
    *,
    settings: DealSettings,
    now: datetime,
    caused_by: str | None,
) -> None:
    record = _track_meeting(ledger, event.meeting, now)
    company = _company_for(ledger, event.meeting, record, now)
    deal = ledger.deals.get(record.deal_id) if record.deal_id else None
    if deal is None and company is not None:
        deal = ledger.active_deal_of(company)
    step = _Step(ledger, record, company, deal, settings, now, caused_by)
    if isinstance(event, MeetingBooked):
        _on_booked(step)
    elif isinstance(event, MeetingCancelled):
        _on_cancelled(step)
    elif isinstance(event, MeetingAttended):
        if deal is not None:
            step.advance(deal, DealStage.MET, "meeting attended")
    elif isinstance(event, MeetingOutcomeRecorded):
        _on_outcome(step, event)
    elif isinstance(event, MeetingNoShow) and deal is not None:
        ledger.activities.append(
            Activity(deal, "meeting_no_show", {"meeting_id": str(record.meeting_id)}, now)
        )
    # Rescheduled, confirmed and reminder events only refresh the meeting record:
    # a reschedule never creates or cancels a deal.


def _on_booked(step: _Step) -> None:
    if step.company is None:
        return  # a person only: personal email, no company, no deal
    if step.deal is not None:
        _link(step.ledger, step.deal, step.record, step.caused_by, step.now)
    elif step.settings.policy is DealPolicy.ON_BOOKING:
        step.open_deal(step.company, DealStage.BOOKED)


def _on_cancelled(step: _Step) -> None:
    """The deal is cancelled only while at `booked` with no other upcoming meeting."""
    deal = step.deal
    if (
        deal is not None
        and deal.id == step.record.deal_id
        and deal.stage is DealStage.BOOKED
        and not step.ledger.other_upcoming(deal, step.record.meeting_id, step.now)
    ):
        step.record_transition(
            deal.cancel(reason="meeting cancelled", by=BY_MEETINGS, now=step.now), deal
        )


def _on_outcome(step: _Step, event: MeetingOutcomeRecorded) -> None:
    deal, company = step.deal, step.company
    if event.outcome is not MeetingOutcome.GOOD:
        if deal is not None:
            detail = {
                "meeting_id": str(step.record.meeting_id),
                "outcome": event.outcome.value,
                "notes": event.meeting.notes,
            }
            step.ledger.activities.append(Activity(deal, "meeting_outcome", detail, step.now))
        return
    if (
        deal is None
        and company is not None
        and step.settings.policy is DealPolicy.ON_GOOD_OUTCOME
        and event.create_deal
    ):
        step.open_deal(
            company,
            DealStage.QUALIFICATION,
            name=event.deal_name,
            value=None if event.deal_value is None else to_cents(event.deal_value),
        )
    elif deal is not None:
        step.advance(deal, DealStage.QUALIFICATION, "good meeting outcome")
