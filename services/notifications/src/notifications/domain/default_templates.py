"""The templates a tenant gets until it writes its own, one per kind; the reminder's wording
follows how far ahead it goes out (a prep note days before, a nudge the day before, the join
link front and centre hours before)."""

from dealflow_schemas.notifications import NotificationKind
from notifications.domain.templates import Template

_STYLE = "font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.5;color:#1f2933"
_SIGN_OFF_HTML = "<p>Reply to this email to reach {organizer_name}.</p>"
_SIGN_OFF_TEXT = "Reply to this email to reach {organizer_name}."


def _html(*paragraphs: str) -> str:
    lines = (f'<div style="{_STYLE}">', "<p>Hi {attendee_first_name},</p>", *paragraphs)
    return "\n".join((*lines, _SIGN_OFF_HTML, "</div>")) + "\n"


def _text(*paragraphs: str) -> str:
    return "\n\n".join(("Hi {attendee_first_name},", *paragraphs, _SIGN_OFF_TEXT)) + "\n"


CONFIRMATION = Template(
    subject="Confirmed: {title} · {date}, {start_time} ({time_zone})",
    html=_html("<p>Your {title} with {organizer_name} is booked.</p>", "{details}"),
    text=_text("Your {title} with {organizer_name} is booked.", "{details}"),
)

RESCHEDULE = Template(
    subject="Rescheduled: {title} · now {date}, {start_time} ({time_zone})",
    html=_html("<p>Your {title} with {organizer_name} has moved to a new time.</p>", "{details}"),
    text=_text("Your {title} with {organizer_name} has moved to a new time.", "{details}"),
)

CANCELLATION = Template(
    subject="Cancelled: {title} · {date}, {start_time} ({time_zone})",
    html=_html("<p>Your {title} with {organizer_name} has been cancelled.</p>", "{details}"),
    text=_text("Your {title} with {organizer_name} has been cancelled.", "{details}"),
)

#: Two days or more ahead: time to prepare.
REMINDER_AHEAD = Template(
    subject="Coming up {starts_in}: {title} · {date}, {start_time} ({time_zone})",
    html=_html(
        "<p>Your {title} with {organizer_name} is coming up {starts_in}.</p>",
        "{details}",
        "<p>To make the most of it, jot down what you would like to come away with.</p>",
    ),
    text=_text(
        "Your {title} with {organizer_name} is coming up {starts_in}.",
        "{details}",
        "To make the most of it, jot down what you would like to come away with.",
    ),
)

#: Within two days: a reminder of the time.
REMINDER_DAY = Template(
    subject="Reminder: {title} {starts_in} · {date}, {start_time} ({time_zone})",
    html=_html(
        "<p>A reminder: your {title} with {organizer_name} is {starts_in}.</p>", "{details}"
    ),
    text=_text("A reminder: your {title} with {organizer_name} is {starts_in}.", "{details}"),
)

#: Within a few hours: how to join.
REMINDER_SOON = Template(
    subject="Starting {starts_in}: {title} at {start_time} ({time_zone})",
    html=_html(
        "<p>Your {title} with {organizer_name} starts {starts_in}, "
        "at {start_time} ({time_zone}).</p>",
        "{details}",
    ),
    text=_text(
        "Your {title} with {organizer_name} starts {starts_in}, at {start_time} ({time_zone}).",
        "{details}",
    ),
)

_BOOKING = {
    NotificationKind.CONFIRMATION: CONFIRMATION,
    NotificationKind.RESCHEDULE: RESCHEDULE,
    NotificationKind.CANCELLATION: CANCELLATION,
}


def default_template(kind: NotificationKind, offset_minutes: int | None = None) -> Template:
    """The default for `kind`; for a reminder, the wording for its offset (72 h: ahead,
    24 h: day, 2 h: soon)."""
    if kind is not NotificationKind.REMINDER:
        return _BOOKING[kind]
    offset = offset_minutes or 0
    if offset >= 48 * 60:
        return REMINDER_AHEAD
    if offset >= 6 * 60:
        return REMINDER_DAY
    return REMINDER_SOON
