"""When reminders are due: derived from the meeting's state and the tenant's offsets."""

from datetime import datetime, timedelta

from dealflow_schemas.meetings import MeetingStatus
from meetings.domain.meeting import Meeting

#: A meeting booked closer to its start than this gets no reminders at all.
MIN_LEAD = timedelta(hours=2)


def planned_reminders(
    meeting: Meeting, offsets_minutes: tuple[int, ...], now: datetime, *, min_lead: bool = True
) -> list[tuple[int, datetime]]:
    """(offset, due time) pairs still ahead; empty for cancelled, moved or imminent meetings
    (imminent: booked less than MIN_LEAD ahead; `min_lead=False` only requires a future start).

    The lead counts from when the meeting was booked, not from `now`: re-planning a meeting that
    was booked well ahead keeps its short reminders (e.g. 1 h) even when touched close to the start.
    """
    start = meeting.scheduled_at
    if (
        start is None
        or meeting.status is not MeetingStatus.SCHEDULED
        or meeting.deleted_at is not None
        or meeting.awaiting_reschedule
        or start < now
        or (min_lead and start - meeting.created_at < MIN_LEAD)
    ):
        return []
    due = (
        (offset, start - timedelta(minutes=offset))
        for offset in sorted(set(offsets_minutes), reverse=True)
    )
    return [(offset, at) for offset, at in due if at > now]
