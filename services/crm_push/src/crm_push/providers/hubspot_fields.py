"""Dealflow's contacts, deals and meetings as HubSpot properties (crm_apis.md §1.2, §1.3).

Every value is a string on the wire; dates and times go as ISO with milliseconds and `Z`.
"""

import html
from datetime import UTC, date, datetime, time
from decimal import Decimal

from crm_push.providers.base import (
    ContactData,
    DealData,
    DealState,
    MeetingData,
    MeetingState,
    marker,
)

#: The custom property (on deals and meetings) that carries `marker(...)`, so a create whose
#: answer was lost can be found again (`HubSpotAdapter.ensure_schema` creates it).
MARKER_PROPERTY = "dealflow_id"

#: HubSpot's meeting outcomes (hs_meeting_outcome internal values; the emulator accepts the same).
MEETING_OUTCOMES: dict[MeetingState, str] = {
    MeetingState.SCHEDULED: "SCHEDULED",
    MeetingState.RESCHEDULED: "RESCHEDULED",
    MeetingState.CANCELLED: "CANCELED",
    MeetingState.COMPLETED: "COMPLETED",
    MeetingState.NO_SHOW: "NO_SHOW",
}

#: Dealflow's outcomes as a person reads them in the activity body.
_OUTCOME_LABELS = {"qualified": "Qualified", "not_a_fit": "Not a fit"}


def hubspot_time(moment: datetime) -> str:
    """UTC ISO with milliseconds and Z, as HubSpot writes times back."""
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def hubspot_date(day: date) -> str:
    """A date-only value is midnight UTC (HubSpot rejects other times on date properties)."""
    return hubspot_time(datetime.combine(day, time(), tzinfo=UTC))


def split_name(contact: ContactData) -> tuple[str | None, str | None]:
    """First and last name; a full name alone is split on its first space (as Cal.com does)."""
    if contact.first_name or contact.last_name or not contact.full_name:
        return contact.first_name, contact.last_name
    first, _, last = contact.full_name.strip().partition(" ")
    return first or None, last.strip() or None


def contact_properties(contact: ContactData) -> dict[str, str]:
    first, last = split_name(contact)
    values = {
        "email": contact.email.strip().lower(),
        "firstname": first,
        "lastname": last,
        "phone": contact.phone,
    }
    properties = {k: v for k, v in values.items() if v}
    return {**properties, **contact.properties}


def _amount(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")


def deal_properties(deal: DealData, stage_id: str | None) -> dict[str, str]:
    """The deal's properties; `stage_id` is the resolved stage (None: leave it as it is)."""
    properties: dict[str, str] = {
        "dealname": deal.name,
        "deal_currency_code": deal.currency.upper(),
        MARKER_PROPERTY: marker("deal", deal.deal_id),
    }
    if deal.pipeline_id:
        properties["pipeline"] = deal.pipeline_id
    if stage_id:
        properties["dealstage"] = stage_id
    if deal.value is not None:
        properties["amount"] = _amount(deal.value)
    if deal.owner_id:
        properties["hubspot_owner_id"] = deal.owner_id
    if deal.state is not DealState.OPEN and deal.closed_at is not None:
        properties["closedate"] = hubspot_time(deal.closed_at)
    elif deal.expected_close_date is not None:
        properties["closedate"] = hubspot_date(deal.expected_close_date)
    if deal.state is DealState.LOST:
        properties["closed_lost_reason"] = deal.lost_reason or ""
    return {**properties, **deal.properties}


def meeting_body(meeting: MeetingData) -> str:
    """What the activity shows: outcome, notes, time zone, link (HubSpot renders HTML)."""
    lines = []
    if meeting.outcome:
        label = _OUTCOME_LABELS.get(meeting.outcome, meeting.outcome.replace("_", " "))
        lines.append(f"<b>Outcome:</b> {html.escape(label)}")
    if meeting.notes:
        lines.append(html.escape(meeting.notes).replace("\n", "<br>"))
    if meeting.time_zone:
        lines.append(f"<b>Invitee time zone:</b> {html.escape(meeting.time_zone)}")
    if meeting.meeting_url:
        lines.append(f"<b>Join:</b> {html.escape(meeting.meeting_url)}")
    return "<br>".join(lines)


def meeting_properties(meeting: MeetingData) -> dict[str, str]:
    # The body is rebuilt from the whole state every time, so an undone no-show or a changed
    # outcome leaves nothing stale behind ("" clears it).
    properties = {
        "hs_timestamp": hubspot_time(meeting.starts_at),
        "hs_meeting_title": meeting.title,
        "hs_meeting_start_time": hubspot_time(meeting.starts_at),
        "hs_meeting_outcome": MEETING_OUTCOMES[meeting.state],
        "hs_meeting_body": meeting_body(meeting),
        MARKER_PROPERTY: marker("meeting", meeting.meeting_id),
    }
    if meeting.ends_at is not None:
        properties["hs_meeting_end_time"] = hubspot_time(meeting.ends_at)
    location = meeting.location or meeting.meeting_url
    if location:
        properties["hs_meeting_location"] = location
    if meeting.meeting_url:
        properties["hs_meeting_external_url"] = meeting.meeting_url
    if meeting.owner_id:
        properties["hubspot_owner_id"] = meeting.owner_id
    return {**properties, **meeting.properties}
