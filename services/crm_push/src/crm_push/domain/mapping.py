"""From Dealflow's event state to what the CRM should hold: contact, deal, meeting activity,
owner, and the Notion row. Pure functions of the event and the tenant's settings."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crm_push.domain.config import MEETING_DATE, CrmConfig, NotionMapping
from crm_push.providers.base import (
    CompanyData,
    ContactData,
    CrmUser,
    DealData,
    DealState,
    MeetingData,
    MeetingState,
    NotionUpdate,
    NotionValue,
)
from dealflow_libs.domains import company_name
from dealflow_schemas.attribution import MeetingAttributed
from dealflow_schemas.deals import DealSnapshot, DealStage, DealStatus, MeetingRef
from dealflow_schemas.meetings import MeetingOutcome, MeetingSnapshot, MeetingStatus

DEFAULT_MEETING_MINUTES = 30


@dataclass(frozen=True)
class Owner:
    """Who owns a CRM record, and why that one (kept in the push's reason)."""

    crm_user_id: str | None
    reason: str


def choose_owner(host_email: str | None, users: Sequence[CrmUser], default: str | None) -> Owner:
    """The meeting host's CRM user when one has the host's email, else the default owner."""
    if host_email:
        wanted = host_email.strip().casefold()
        for user in users:
            if user.email.strip().casefold() == wanted:
                return Owner(user.id, f"owner {user.id}: the host {host_email} is a CRM user")
        if default:
            reason = f"owner {default}: the default (host {host_email} is no CRM user)"
            return Owner(default, reason)
        return Owner(None, f"no owner: host {host_email} is no CRM user and no default is set")
    if default:
        return Owner(default, f"owner {default}: the default (no host known)")
    return Owner(None, "no owner: no host known and no default is set")


def split_name(full: str | None) -> tuple[str | None, str | None]:
    if not full or not full.strip():
        return None, None
    first, _, last = full.strip().partition(" ")
    return first, (last.strip() or None)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def meeting_fields(
    meeting: MeetingSnapshot, journey: MeetingAttributed | None = None
) -> dict[str, str | None]:
    """Every Dealflow field a contact's field mapping may name, for this meeting's attendee.

    The journey comes from the meeting's own snapshot once meetings has it, else from a
    MeetingAttributed event crm_push received itself."""
    tracking = meeting.tracking
    return {
        "utm_source": tracking.utm_source,
        "utm_medium": tracking.utm_medium,
        "utm_campaign": tracking.utm_campaign,
        "utm_term": tracking.utm_term,
        "utm_content": tracking.utm_content,
        "first_touch_channel": meeting.first_touch_channel
        or (journey.first_touch_channel if journey else None),
        "converting_channel": meeting.converting_channel
        or (journey.converting_channel if journey else None),
        "converting_activity_id": meeting.converting_activity_id
        or (journey.converting_activity_id if journey else None),
        "touches_before_booking": _text(
            meeting.touches_before_booking
            if meeting.touches_before_booking is not None
            else (journey.touches_before_booking if journey else None)
        ),
        "days_to_booking": _text(
            meeting.days_to_booking
            if meeting.days_to_booking is not None
            else (journey.days_to_booking if journey else None)
        ),
        "meeting_type": meeting.meeting_type.value,
        "booking_method": meeting.booking_method,
    }


def journey_fields(journey: MeetingAttributed) -> dict[str, str | None]:
    """The attribution fields alone, for a MeetingAttributed that arrives after the booking."""
    return {
        "first_touch_channel": journey.first_touch_channel,
        "converting_channel": journey.converting_channel,
        "converting_activity_id": journey.converting_activity_id,
        "touches_before_booking": _text(journey.touches_before_booking),
        "days_to_booking": _text(journey.days_to_booking),
    }


def mapped(mapping: Mapping[str, str], values: Mapping[str, str | None]) -> dict[str, str]:
    """CRM property -> value for every mapped field that has a value (no value: left alone)."""
    return {
        prop: value
        for field, prop in mapping.items()
        if (value := values.get(field)) is not None and value != ""
    }


def meeting_company(meeting: MeetingSnapshot) -> CompanyData | None:
    if meeting.is_personal_email or not meeting.company_domain:
        return None
    return CompanyData(domain=meeting.company_domain, name=company_name(meeting.company_domain))


def meeting_contact(
    meeting: MeetingSnapshot, config: CrmConfig, journey: MeetingAttributed | None = None
) -> ContactData | None:
    """The primary attendee as a CRM contact; None when the meeting has no attendee email."""
    if not meeting.primary_email:
        return None
    attendee = next(
        (a for a in meeting.attendees if a.email and a.email == meeting.primary_email), None
    )
    name = attendee.name if attendee else None
    first, last = split_name(name)
    return ContactData(
        email=meeting.primary_email,
        first_name=first,
        last_name=last,
        full_name=name,
        phone=attendee.phone if attendee else None,
        company=meeting_company(meeting),
        time_zone=(attendee.time_zone if attendee else None) or meeting.time_zone,
        properties=mapped(config.field_mapping.contact, meeting_fields(meeting, journey)),
    )


def meeting_state(meeting: MeetingSnapshot) -> MeetingState:
    if meeting.status == MeetingStatus.CANCELLED:
        return MeetingState.CANCELLED
    if meeting.showed_up is False:
        return MeetingState.NO_SHOW
    if meeting.showed_up is True or meeting.status == MeetingStatus.COMPLETED:
        return MeetingState.COMPLETED
    if meeting.rescheduled_count > 0:
        return MeetingState.RESCHEDULED
    return MeetingState.SCHEDULED


def meeting_notes(meeting: MeetingSnapshot) -> str | None:
    """What the activity's notes say about how the meeting went."""
    lines: list[str] = []
    if meeting.meeting_outcome != MeetingOutcome.PENDING:
        lines.append(f"Outcome: {meeting.meeting_outcome.value}")
    if meeting.showed_up is False:
        lines.append("No-show" + (f": {meeting.no_show_reason}" if meeting.no_show_reason else ""))
    if meeting.status == MeetingStatus.CANCELLED:
        reason = meeting.cancellation_reason
        lines.append("Cancelled" + (f": {reason}" if reason else ""))
    if meeting.notes:
        lines.append(f"Notes: {meeting.notes}")
    if meeting.next_steps:
        lines.append(f"Next steps: {meeting.next_steps}")
    return "\n".join(lines) or None


def meeting_activity(meeting: MeetingSnapshot, owner: Owner) -> MeetingData | None:
    """The meeting as a CRM activity; None for a meeting without a time (nothing to show)."""
    if meeting.scheduled_at is None:
        return None
    ends_at = meeting.ends_at or meeting.scheduled_at + timedelta(
        minutes=meeting.duration_minutes or DEFAULT_MEETING_MINUTES
    )
    outcome = meeting.meeting_outcome
    return MeetingData(
        meeting_id=str(meeting.meeting_id),
        title=meeting.title or f"{meeting.meeting_type.value.replace('_', ' ').title()} meeting",
        starts_at=meeting.scheduled_at,
        ends_at=ends_at,
        time_zone=meeting.time_zone,
        state=meeting_state(meeting),
        owner_id=owner.crm_user_id,
        location=meeting.location,
        meeting_url=meeting.meeting_url,
        outcome=None if outcome == MeetingOutcome.PENDING else outcome.value,
        notes=meeting_notes(meeting),
    )


def deal_state(deal: DealSnapshot) -> DealState:
    if deal.status == DealStatus.WON:
        return DealState.WON
    if deal.status in (DealStatus.LOST, DealStatus.CANCELLED):
        return DealState.LOST
    return DealState.OPEN


def deal_stage_id(deal: DealSnapshot, config: CrmConfig, *, is_new: bool) -> str | None:
    """The CRM stage: the mapped one; for a new deal without a mapping the configured start stage;
    otherwise None (open: leave the CRM's stage alone; won/lost: the pipeline's own)."""
    stage = DealStage(deal.stage)
    if deal.status == DealStatus.CANCELLED:
        stage = DealStage.CLOSED_LOST
    mapped_stage = config.stage_mapping.get(stage)
    if mapped_stage is not None:
        return mapped_stage
    if is_new and deal_state(deal) == DealState.OPEN:
        return config.new_deal_stage_id
    return None


def deal_fields(deal: DealSnapshot, meeting: MeetingRef | None) -> dict[str, str | None]:
    return {
        "utm_source": meeting.utm_source if meeting else None,
        "utm_campaign": meeting.utm_campaign if meeting else None,
        "converting_channel": deal.converting_channel,
        "converting_activity_id": deal.converting_activity_id,
        "probability": str(deal.probability),
        "weighted_value": _text(deal.weighted_value),
        "dealflow_stage": deal.stage.value,
        "lost_notes": deal.lost_notes,
    }


def deal_record(
    deal: DealSnapshot,
    meeting: MeetingRef | None,
    config: CrmConfig,
    owner: Owner,
    *,
    is_new: bool,
) -> DealData:
    lost_reason = None
    if deal.status == DealStatus.CANCELLED:
        lost_reason = "cancelled"
    elif deal.lost_reason is not None:
        lost_reason = deal.lost_reason.value
    return DealData(
        deal_id=str(deal.deal_id),
        name=deal.name,
        pipeline_id=config.pipeline_id,
        stage_id=deal_stage_id(deal, config, is_new=is_new),
        state=deal_state(deal),
        value=deal.value,
        currency=deal.currency,
        owner_id=owner.crm_user_id,
        expected_close_date=deal.expected_close_date,
        closed_at=deal.closed_at,
        lost_reason=lost_reason,
        properties=mapped(config.field_mapping.deal, deal_fields(deal, meeting)),
    )


def deal_contact(deal: DealSnapshot) -> ContactData | None:
    if not deal.primary_contact_email:
        return None
    return ContactData(
        email=deal.primary_contact_email,
        company=CompanyData(domain=deal.company.domain, name=deal.company.name),
    )


def local_date(at: datetime, time_zone: str | None) -> str:
    """The date of `at` where the attendee is (UTC when the zone is unknown)."""
    zone: ZoneInfo | None = None
    if time_zone:
        try:
            zone = ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            zone = None
    return (at.astimezone(zone) if zone else at).date().isoformat()


def attendee_time_zone(meeting: MeetingSnapshot) -> str | None:
    attendee = next((a for a in meeting.attendees if a.email == meeting.primary_email), None)
    return (attendee.time_zone if attendee else None) or meeting.time_zone


def notion_update(
    meeting: MeetingSnapshot, mapping: NotionMapping, property_types: Mapping[str, str]
) -> NotionUpdate | None:
    """The Notion row update for this meeting's state; None when there is nothing to set."""
    if not meeting.primary_email:
        return None
    state = meeting_state(meeting)
    if state == MeetingState.CANCELLED:
        wanted = mapping.on_cancelled
    elif state == MeetingState.COMPLETED:
        wanted = mapping.on_attended
    elif state == MeetingState.NO_SHOW:
        return None
    else:
        wanted = mapping.on_booked
    values: dict[str, NotionValue] = {}
    for prop, value in wanted.items():
        text: str | None = value
        if value == MEETING_DATE:
            if meeting.scheduled_at is None:
                continue
            text = local_date(meeting.scheduled_at, attendee_time_zone(meeting))
        values[prop] = NotionValue(kind=property_types.get(prop, "rich_text"), value=text)
    return NotionUpdate(email=meeting.primary_email, properties=values) if values else None
