"""Show-rate figures over a set of meetings. Rates are over meetings whose attendance is known."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

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


@dataclass(frozen=True)
class AttendanceCounts:
    """What the figures are made of; SQL counts these over the window (one row back, not one
    per meeting), `counts_of` over rows in memory: both must agree (tested)."""

    total: int = 0
    known: int = 0
    showed: int = 0
    rescheduled: int = 0
    cancelled: int = 0
    confirmed_known: int = 0
    confirmed_showed: int = 0
    reminded_known: int = 0
    reminded_showed: int = 0


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def counts_of(rows: Iterable[AttendanceRow]) -> AttendanceCounts:
    everything = list(rows)
    known = [r for r in everything if r.showed_up is not None]
    return AttendanceCounts(
        total=len(everything),
        known=len(known),
        showed=sum(1 for r in known if r.showed_up),
        rescheduled=sum(1 for r in everything if r.rescheduled_count > 0),
        cancelled=sum(1 for r in everything if r.status is MeetingStatus.CANCELLED),
        confirmed_known=sum(1 for r in known if r.confirmed),
        confirmed_showed=sum(1 for r in known if r.confirmed and r.showed_up),
        reminded_known=sum(1 for r in known if r.reminder_sent),
        reminded_showed=sum(1 for r in known if r.reminder_sent and r.showed_up),
    )


def show_rate_of(counts: AttendanceCounts) -> ShowRate:
    c = counts
    return ShowRate(
        total_meetings=c.total,
        attendance_known=c.known,
        show_rate=_rate(c.showed, c.known),
        no_show_rate=_rate(c.known - c.showed, c.known),
        reschedule_rate=_rate(c.rescheduled, c.total),
        cancelled=c.cancelled,
        confirmed_show_rate=_rate(c.confirmed_showed, c.confirmed_known),
        reminded_show_rate=_rate(c.reminded_showed, c.reminded_known),
    )


def show_rate(rows: Iterable[AttendanceRow]) -> ShowRate:
    return show_rate_of(counts_of(rows))


@dataclass(frozen=True)
class RollupDifference:
    """One (tenant, day) where the kept show-rate rollup and a recompute from the rows differ."""

    tenant_id: str
    day: date
    kept: AttendanceCounts
    recomputed: AttendanceCounts
