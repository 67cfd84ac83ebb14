"""What a meeting activity says in a CRM that has no field for it (Pipedrive's note, Close's
notes field), and how an adapter finds its marker again in such text."""

import html
import re
from datetime import UTC, datetime

from crm_push.providers.base import MeetingData, MeetingState

STATE_LABELS: dict[MeetingState, str] = {
    MeetingState.SCHEDULED: "Scheduled",
    MeetingState.RESCHEDULED: "Rescheduled",
    MeetingState.CANCELLED: "Cancelled",
    MeetingState.COMPLETED: "Completed",
    MeetingState.NO_SHOW: "No-show",
}


def utc(moment: datetime) -> datetime:
    """Aware in UTC; a naive time is taken as UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def meeting_lines(meeting: MeetingData) -> list[str]:
    """Plain-text lines: state, outcome, the booker's local time, link, place, free notes."""
    lines = [f"Status: {STATE_LABELS[meeting.state]}"]
    if meeting.outcome:
        lines.append(f"Outcome: {meeting.outcome.replace('_', ' ')}")
    if meeting.time_zone:
        lines.append(f"Time zone: {meeting.time_zone}")
    if meeting.meeting_url:
        lines.append(f"Link: {meeting.meeting_url}")
    if meeting.location:
        lines.append(f"Location: {meeting.location}")
    if meeting.notes:
        lines.append(meeting.notes)
    return lines


def html_note(lines: list[str], marker_text: str) -> str:
    """Paragraphs of escaped text, the marker last (Pipedrive notes are HTML)."""
    paragraphs = [*lines, f"Dealflow reference: {marker_text}"]
    return "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)


def has_marker(text: str | None, marker_text: str) -> bool:
    """The marker as a whole token: `dealflow:meeting:12` is not found in `...:123`."""
    if not text:
        return False
    return re.search(re.escape(marker_text) + r"(?![\w-])", text) is not None
