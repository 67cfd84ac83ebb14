"""A meeting's version: one number that rises with every change an attendee is told about.

It is both the `v{version}` of a booking email's key (one confirmation, reschedule notice or
cancellation per version) and the iCalendar SEQUENCE of the invite it carries. Calendar clients
ignore a REQUEST or CANCEL whose SEQUENCE is not above the last one they saw, so the number must
strictly rise over any history the meetings service can produce:

    version = 2 * rescheduled_count + (1 if the meeting is cancelled else 0)

- booked: 0; every reschedule adds 2 (the meetings service counts each one, including a move
  that revives a cancelled meeting, which also drops the +1: still a net rise of 1);
- a cancellation adds 1, and a meeting is cancelled at most once per slot (cancelling a
  cancelled meeting is no change), so it never repeats.

book -> cancel -> rebook elsewhere -> cancel is 0, 1, 2, 3; book -> reschedule -> cancel is 0, 2, 3.
The snapshot alone determines it, so every redelivery of an event computes the same number.
"""

from dealflow_schemas.meetings import MeetingSnapshot, MeetingStatus


def meeting_version(meeting: MeetingSnapshot) -> int:
    """The meeting's version (see the module docstring); also its iCalendar SEQUENCE."""
    cancelled = 1 if meeting.status == MeetingStatus.CANCELLED else 0
    return 2 * meeting.rescheduled_count + cancelled
