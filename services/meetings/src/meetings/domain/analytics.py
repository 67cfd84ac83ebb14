"""Show-rate figures over a set of meetings. Rates are over meetings whose attendance is known."""

from collections.abc import Iterable
from dataclasses import dataclass

from dealflow_schemas.meetings import MeetingStatus


@dataclass(frozen=True)
class AttendanceRow:
    status: MeetingStatus
    showed_up: bool | None
    confirmed: bool
    reminder_sent: bool
    rescheduled_count: int


@dataclass(frozen=True)
class ShowRate:
    total_meetings: int
    attendance_known: int
    show_rate: float | None
    no_show_rate: float | None
    reschedule_rate: float | None
    cancelled: int
    confirmed_show_rate: float | None
    reminded_show_rate: float | None


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _show_rate(rows: list[AttendanceRow]) -> float | None:
    known = [r for r in rows if r.showed_up is not None]
    return _rate(sum(1 for r in known if r.showed_up), len(known))


def show_rate(rows: Iterable[AttendanceRow]) -> ShowRate:
    everything = list(rows)
    known = [r for r in everything if r.showed_up is not None]
    showed = sum(1 for r in known if r.showed_up)
    return ShowRate(
        total_meetings=len(everything),
        attendance_known=len(known),
        show_rate=_rate(showed, len(known)),
        no_show_rate=_rate(len(known) - showed, len(known)),
        reschedule_rate=_rate(
            sum(1 for r in everything if r.rescheduled_count > 0), len(everything)
        ),
        cancelled=sum(1 for r in everything if r.status is MeetingStatus.CANCELLED),
        confirmed_show_rate=_show_rate([r for r in everything if r.confirmed]),
        reminded_show_rate=_show_rate([r for r in everything if r.reminder_sent]),
    )
