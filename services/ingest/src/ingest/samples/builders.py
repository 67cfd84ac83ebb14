"""Provider deliveries built from the realistic samples, with the parts a scenario varies.

Used by end-to-end tests and benchmarks to speak to the gateway exactly as Cal.com and
Calendly would.
"""

import copy
from datetime import datetime, timedelta
from typing import Any

from ingest.samples import load


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _slug(title: str) -> str:
    return "-".join(title.lower().split())


def _set_attendee(payload: dict[str, Any], email: str, name: str) -> None:
    payload["attendees"] = [{**payload["attendees"][0], "email": email, "name": name}]
    payload["responses"]["email"]["value"] = email
    payload["responses"]["name"]["value"] = name
    payload["responses"].pop("guests", None)


def calcom(
    trigger: str,
    *,
    uid: str,
    email: str,
    start: datetime,
    minutes: int = 30,
    previous_uid: str | None = None,
    name: str = "Jamie Prospect",
    reason: str | None = None,
    title: str | None = None,
    created_at: datetime | None = None,
    company: str | None = None,
) -> dict[str, Any]:
    """BOOKING_CREATED / BOOKING_RESCHEDULED / BOOKING_CANCELLED / MEETING_ENDED (wrapped shape).
    `title` names the event type (its slug follows); `created_at` is when the provider says the
    change happened; `company` answers the booking form's company question (defaults: the
    sample's)."""
    sample = {
        "BOOKING_CREATED": "calcom_booking_created",
        "BOOKING_RESCHEDULED": "calcom_booking_rescheduled",
        "BOOKING_CANCELLED": "calcom_booking_cancelled",
        "MEETING_ENDED": "calcom_booking_created",
    }[trigger]
    body = copy.deepcopy(load(sample))
    body["triggerEvent"] = trigger
    payload = body["payload"]
    payload["uid"] = uid
    payload["startTime"], payload["endTime"] = _iso(start), _iso(start + timedelta(minutes=minutes))
    _set_attendee(payload, email, name)
    if previous_uid:
        payload["rescheduleUid"] = previous_uid
    if reason is not None:
        payload["cancellationReason"] = reason
    if title is not None:
        payload["title"] = payload["eventTitle"] = title
        payload["type"] = _slug(title)
    if created_at is not None:
        body["createdAt"] = _iso(created_at)
    if company is not None:
        payload["responses"]["company"]["value"] = company
    return body


def calendly(
    event: str,
    *,
    uri: str,
    email: str,
    start: datetime,
    minutes: int = 30,
    old_invitee: str | None = None,
    new_invitee: str | None = None,
    name: str = "Jamie Prospect",
    title: str | None = None,
    created_at: datetime | None = None,
    company: str | None = None,
) -> dict[str, Any]:
    """invitee.created (optionally the new half of a reschedule) or invitee.canceled (with
    `new_invitee`: the cancel half of a reschedule). `title` names the event type; `created_at`
    is when Calendly says the change happened; `company` answers the company question
    (defaults: the sample's)."""
    sample = (
        "calendly_invitee_created"
        if event == "invitee.created"
        else ("calendly_invitee_rescheduled_cancel" if new_invitee else "calendly_invitee_canceled")
    )
    body = copy.deepcopy(load(sample))
    body["event"] = event
    payload = body["payload"]
    payload.update(
        uri=uri, email=email, name=name, old_invitee=old_invitee, new_invitee=new_invitee
    )
    payload["rescheduled"] = bool(new_invitee)
    payload["scheduled_event"]["start_time"] = _iso(start)
    payload["scheduled_event"]["end_time"] = _iso(start + timedelta(minutes=minutes))
    payload["scheduled_event"]["event_guests"] = []
    if title is not None:
        payload["scheduled_event"]["name"] = title
    if created_at is not None:
        body["created_at"] = _iso(created_at)
    if company is not None:
        for answer in payload["questions_and_answers"]:
            if answer["question"] == "Company name":
                answer["answer"] = company
    return body
