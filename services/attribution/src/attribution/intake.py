"""From a touch contract to the domain's Touch, classified by the tenant's channel rules."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from attribution.domain.channels import RuleSet
from attribution.domain.default_channels import default_rule_set
from attribution.domain.recorded import Booking, RecordedTouch
from attribution.domain.touches import ActivityType, Touch, Utm
from dealflow_libs.domains import person_key
from dealflow_schemas.attribution import TouchIn
from dealflow_schemas.meetings import MeetingBooked

#: Tenant settings key holding a custom rule set (`RuleSet.to_dict()`); absent = the defaults.
CHANNEL_RULES_SETTING = "channel_rules"


def rules_for(settings: Mapping[str, Any]) -> RuleSet:
    """The tenant's versioned channel rules: its own when it has some, else the defaults."""
    custom = settings.get(CHANNEL_RULES_SETTING)
    return RuleSet.from_dict(custom) if custom else default_rule_set()


def to_touch(item: TouchIn) -> Touch:
    return Touch(
        touch_id=item.touch_id,
        person_email=item.person_email,
        occurred_at=item.occurred_at,
        activity_type=ActivityType(item.activity_type.value),
        channel=item.channel or None,
        utm=Utm(
            source=item.utm_source,
            medium=item.utm_medium,
            campaign=item.utm_campaign,
            content=item.utm_content,
            term=item.utm_term,
        ),
        campaign_id=item.campaign_id,
        external_activity_id=item.external_activity_id,
        metadata=dict(item.metadata),
    )


def recorded(
    tenant_id: str, item: TouchIn, rules: RuleSet, source: str, now: datetime
) -> RecordedTouch:
    return classified(tenant_id, to_touch(item), rules, source, now)


def classified(
    tenant_id: str, touch: Touch, rules: RuleSet, source: str, now: datetime
) -> RecordedTouch:
    return RecordedTouch(tenant_id, touch, rules.classify(touch), source, now)


def booking_of(event: MeetingBooked) -> Booking | None:
    """The booking a MeetingBooked records; None when no attendee email is known."""
    meeting = event.meeting
    # The same normal form as every other touch, so timelines meet.
    email = person_key(meeting.primary_email or "")
    if "@" not in email:
        return None
    attendees = (person_key(a.email or "") for a in meeting.attendees)
    return Booking(
        tenant_id=event.tenant_id,
        meeting_id=event.meeting_id,
        person_email=email,
        attendee_emails=tuple(sorted({a for a in attendees if "@" in a} | {email})),
        company_domain=meeting.company_domain,
        booked_at=event.occurred_at,
        touch_id=f"meeting:{event.meeting_id}",
    )


def booking_touch(event: MeetingBooked, booking: Booking) -> Touch:
    """The booking as a touch of the person who booked, with the booking's tracking data."""
    tracking = event.meeting.tracking
    return Touch(
        touch_id=booking.touch_id,
        person_email=booking.person_email,
        occurred_at=booking.booked_at,
        activity_type=ActivityType.MEETING_BOOKED,
        utm=Utm(
            source=tracking.utm_source,
            medium=tracking.utm_medium,
            campaign=tracking.utm_campaign,
            content=tracking.utm_content,
            term=tracking.utm_term,
        ),
        external_activity_id=str(event.meeting_id),
        metadata={"tracking": dict(tracking.extra)} if tracking.extra else {},
    )
