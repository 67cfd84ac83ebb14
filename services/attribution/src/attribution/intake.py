"""From a touch contract to the domain's Touch, classified by the tenant's channel rules."""

from datetime import datetime

from attribution.domain.channels import RuleSet
from attribution.domain.default_channels import default_rule_set
from attribution.domain.recorded import Booking, RecordedTouch, StoredRules
from attribution.domain.touches import ActivityType, Touch, Utm
from dealflow_libs.domains import person_key
from dealflow_schemas.attribution import TouchIn
from dealflow_schemas.meetings import MeetingBooked

DEFAULT_RULES = default_rule_set()
#: A stored version never changes, so it is parsed once per process and its classification
#: memo stays warm across batches (bounded: cleared when full).
_PARSED: dict[tuple[int, str], RuleSet] = {}
_PARSED_LIMIT = 256


def rules_for(stored: StoredRules | None) -> RuleSet:
    """The tenant's current channel rules (`channel_rule_versions`), else the defaults."""
    if stored is None:
        return DEFAULT_RULES
    key = (stored.version, stored.digest)
    found = _PARSED.get(key)
    if found is None:
        found = RuleSet.from_dict({**stored.content, "version": stored.version})
        if len(_PARSED) >= _PARSED_LIMIT:
            _PARSED.clear()
        _PARSED[key] = found
    return found


def to_touch(item: TouchIn) -> Touch:
    return Touch(
        touch_id=item.touch_id,
        person_email=item.person_email,
        occurred_at=item.occurred_at,
        activity_type=item.activity_type,
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
