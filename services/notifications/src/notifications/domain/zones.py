"""Meeting times as a recipient reads them: in their zone, with the zone named.

The zone is the recipient's own, else the organizer's, else UTC (a zone name no longer known to
the tz database counts as missing). Conversion goes through zoneinfo, so the offset is the one
in force on the meeting's date, not today's: a Berlin meeting the week the clocks change reads
10:00 CEST on Friday and 09:00 CET on Monday for the same 08:00 UTC.
Month and day names are English and fixed, not the process locale's.
"""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_UTC = ZoneInfo("UTC")
_DASH = "\u2013"  # en dash, between the start and the end


def known_zone(name: str | None) -> ZoneInfo | None:
    """The zone called `name`, or None when it is missing or unknown."""
    if not name:
        return None
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):  # ValueError: not a valid key (e.g. "../x")
        return None


def display_zone(*names: str | None) -> ZoneInfo:
    """The first known zone among `names` (the recipient's, then the organizer's), else UTC."""
    for name in names:
        zone = known_zone(name)
        if zone is not None:
            return zone
    return _UTC


@dataclass(frozen=True)
class When:
    """A meeting's time in one zone, in the pieces templates use."""

    date: str  # Tue 9 Dec 2025
    start_time: str  # 10:00
    end_time: str  # 10:30, or "" without an end
    time_zone: str  # Europe/Berlin
    text: str  # Tue 9 Dec 2025, 10:00-10:30 CET (Europe/Berlin), with an en dash


def _date(at: datetime) -> str:
    return f"{_DAYS[at.weekday()]} {at.day} {_MONTHS[at.month - 1]} {at.year}"


def _abbreviation(at: datetime) -> str:
    name = at.tzname() or ""
    # Zones without a customary abbreviation have numeric ones ("+04"): say which offset.
    return f"UTC{name}" if name[:1] in "+-" else name


def describe(start: datetime, end: datetime | None, zone: ZoneInfo) -> When:
    """`start`-`end` as read in `zone`."""
    local_start = start.astimezone(zone)
    local_end = end.astimezone(zone) if end is not None else None
    start_abbr = _abbreviation(local_start)
    name = zone.key
    suffix = start_abbr if start_abbr == name else f"{start_abbr} ({name})"
    hhmm = f"{local_start:%H:%M}"
    if local_end is None:
        span = hhmm
    elif local_end.date() != local_start.date():
        span = f"{hhmm} {_DASH} {_date(local_end)}, {local_end:%H:%M}"
    elif _abbreviation(local_end) != start_abbr:  # the clocks change during the meeting
        span = f"{hhmm} {start_abbr} {_DASH} {local_end:%H:%M}"
        suffix = f"{_abbreviation(local_end)} ({name})"
    else:
        span = f"{hhmm}{_DASH}{local_end:%H:%M}"
    return When(
        date=_date(local_start),
        start_time=hhmm,
        end_time=f"{local_end:%H:%M}" if local_end else "",
        time_zone=name,
        text=f"{_date(local_start)}, {span} {suffix}",
    )
