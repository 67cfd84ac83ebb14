"""Timelines the meeting page and the booking trail show, built from the services' answers
(plain dictionaries as the APIs return them) so tests call them directly."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

Answer = Mapping[str, Any]


@dataclass(frozen=True)
class Entry:
    """One thing that happened: when, what, in whose words, and where its detail is."""

    at: datetime | None
    kind: str
    title: str
    text: str = ""
    href: str | None = None
    by: tuple[str, ...] = field(default=())


def _instant(value: Any) -> datetime | None:
    if not value:
        return None
    at = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return at if at.tzinfo else at.replace(tzinfo=UTC)


_EARLIEST = datetime.min.replace(tzinfo=UTC)


def _in_order(entries: Sequence[Entry]) -> list[Entry]:
    """Oldest first; what has no time yet (a reminder still due, an outcome) goes last."""
    timed = sorted((e for e in entries if e.at), key=lambda e: e.at or _EARLIEST)
    return timed + [e for e in entries if not e.at]


def email_entry(email: Answer) -> Entry:
    kind = str(email["kind"])
    if email.get("offset_minutes"):
        kind = f"{kind} ({int(email['offset_minutes']) // 60} h before)"
    status = str(email["status"])
    reason = email.get("reason") or email.get("error")
    return Entry(
        at=_instant(email.get("sent_at") or email.get("created_at")),
        kind="email",
        title=f"Email: {kind.replace('_', ' ')} {status}",
        text=f"{email['subject']} → {', '.join(email.get('recipients') or [])}"
        + (f" ({reason})" if reason else ""),
        href=f"/details/email/{email['id']}",
    )


_OUTCOME_EVENT = "dealflow.meeting.outcome_recorded.v1"
_NO_SHOW_EVENT = "dealflow.meeting.no_show.v1"


def _latest(trail: Sequence[Answer], event_type: str) -> datetime | None:
    times = [_instant(i["at"]) for i in trail if i.get("event_type") == event_type]
    return times[-1] if times else None


def meeting_lifecycle(
    meeting: Answer, emails: Sequence[Answer], trail: Sequence[Answer] = ()
) -> list[Entry]:
    """Booked, confirmed, reminded, rescheduled, cancelled, attended or not, the outcome, and
    every email about the meeting. `trail`: meetings' trail of the meeting's booking, which
    dates the outcome (the meeting itself keeps no time for it)."""
    first_slot = meeting.get("original_scheduled_at") or meeting.get("scheduled_at")
    entries = [
        Entry(
            _instant(meeting["created_at"]),
            "booked",
            "Booked",
            f"{meeting.get('provider')} booking for {_when(first_slot)}",
        )
    ]
    if meeting.get("confirmed"):
        entries.append(Entry(_instant(meeting.get("confirmed_at")), "confirmed", "Confirmed"))
    for reminder in meeting.get("reminders") or []:
        sent = reminder.get("status") == "sent"
        hours = int(reminder["offset_minutes"]) / 60
        entries.append(
            Entry(
                _instant(reminder.get("sent_at")) if sent else None,
                "reminded" if sent else "reminder",
                f"Reminder {hours:g} h before: {reminder['status']}",
                "" if sent else f"due {_when(reminder.get('due_at'))}",
            )
        )
    for move in meeting.get("reschedule_history") or []:
        entries.append(
            Entry(
                _instant(move["rescheduled_at"]),
                "rescheduled",
                "Rescheduled",
                f"{_when(move.get('from_scheduled_at'))} → {_when(move.get('to_scheduled_at'))}",
            )
        )
    if meeting.get("status") == "cancelled":
        entries.append(
            Entry(
                _instant(meeting.get("cancelled_at")),
                "cancelled",
                "Cancelled",
                meeting.get("cancellation_reason") or "",
            )
        )
    if meeting.get("showed_up") is True:
        by = meeting.get("attendance_confirmed_by")
        entries.append(
            Entry(
                _instant(meeting.get("showed_up_at")),
                "attended",
                "Attended",
                f"confirmed by {by}" if by else "",
            )
        )
    elif meeting.get("showed_up") is False:
        # A no-show keeps no time of its own: its event's, else the meeting's last change.
        entries.append(
            Entry(
                _latest(trail, _NO_SHOW_EVENT) or _instant(meeting.get("updated_at")),
                "no_show",
                "No-show",
                meeting.get("no_show_reason") or "",
            )
        )
    outcome = meeting.get("meeting_outcome")
    if outcome and outcome != "pending":
        text = " · ".join(
            f"{name}: {meeting[key]}"
            for key, name in (("notes", "Notes"), ("next_steps", "Next steps"))
            if meeting.get(key)
        )
        entries.append(
            Entry(
                _latest(trail, _OUTCOME_EVENT),
                "outcome",
                f"Outcome: {str(outcome).replace('_', ' ')}",
                text,
                href=f"/deals/{meeting['deal_id']}" if meeting.get("deal_id") else None,
            )
        )
    entries += [email_entry(e) for e in emails]
    return _in_order(entries)


def _when(value: Any) -> str:
    at = _instant(value)
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if at else "-"


def _event_href(event_type: str, subject: str | None) -> str | None:
    if not subject:
        return None
    if event_type.startswith("dealflow.meeting."):
        return f"/meetings/{subject}"
    if event_type.startswith("dealflow.deal."):
        return f"/deals/{subject}"
    return None


def _event_title(event_type: str) -> str:
    """'dealflow.meeting.outcome_recorded.v1' -> 'Meeting outcome recorded'."""
    name = event_type.removeprefix("dealflow.").rsplit(".v", 1)[0]
    text = name.replace(".", " ").replace("_", " ")
    return text[:1].upper() + text[1:]


def booking_timeline(
    trails: Sequence[Answer],
    deliveries: Sequence[Answer] = (),
    emails: Sequence[Answer] = (),
    crm_calls: Sequence[Answer] = (),
) -> list[Entry]:
    """One timeline of a booking: each event once, at its publication, naming the services
    that took it in; the raw deliveries with their verdicts; the emails and the CRM calls."""
    published: dict[str, Entry] = {}
    consumers: dict[str, list[str]] = {}
    for answer in trails:
        for item in answer["items"]:
            if item["direction"] == "consumed":
                consumers.setdefault(item["event_id"], []).append(str(answer["service"]))
                continue
            published[item["event_id"]] = Entry(
                _instant(item["at"]),
                "event",
                _event_title(item["event_type"]),
                f"published by {answer['service']} to {item['channel']}",
                _event_href(item["event_type"], item.get("subject")),
            )
    entries = [
        Entry(e.at, e.kind, e.title, e.text, e.href, tuple(sorted(consumers.get(event_id, []))))
        for event_id, e in published.items()
    ]
    for delivery in deliveries:
        replay = f", replay of {delivery['replay_of']}" if delivery.get("replay_of") else ""
        entries.append(
            Entry(
                _instant(delivery["received_at"]),
                "delivery",
                f"Delivery: {delivery['provider']} {delivery['trigger']} {delivery['verdict']}",
                f"HTTP {delivery['status_code']}{replay}"
                + (f" ({delivery['error']})" if delivery.get("error") else ""),
                f"/details/delivery/{delivery['id']}",
            )
        )
    entries += [email_entry(e) for e in emails]
    for call in crm_calls:
        status = call.get("status")
        entries.append(
            Entry(
                _instant(call["started_at"]),
                "crm",
                f"CRM call: {call['provider']} {call['operation']}",
                f"{call['method']} {call['path']} → {status if status is not None else 'no answer'}"
                + (f" ({call['error_message']})" if call.get("error_message") else ""),
                f"/details/crm-call/{call['id']}",
            )
        )
    return _in_order(entries)
