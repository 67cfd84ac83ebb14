"""The UTC days (or months) wholly inside a time window: what a daily (monthly) rollup may
answer for, the rest of the window being at most a partial day (month) at each end, read from
the rows. One rule for every service's rollups."""

from datetime import UTC, date, datetime, time, timedelta

DAY = timedelta(days=1)


def midnight(day: date) -> datetime:
    """The UTC start of `day`."""
    return datetime.combine(day, time(), tzinfo=UTC)


def first_whole_day(since: datetime) -> date:
    """The first UTC day that starts at or after `since`."""
    start = since.astimezone(UTC)
    return start.date() if start.timetz() == time(tzinfo=UTC) else start.date() + DAY


def first_whole_month(since: datetime) -> date:
    """The first day of the first UTC month that starts at or after `since`."""
    day = first_whole_day(since)
    if day.day == 1:
        return day
    return (day.replace(day=28) + 4 * DAY).replace(day=1)  # the 28th + 4 days is next month


def whole_days(since: datetime, until: datetime) -> tuple[date, date] | None:
    """The first and last UTC day wholly inside the window from `since` to `until`, None when
    there is none. The same whether `until` belongs to the window or not: a day ends at the next
    midnight, which it does not include."""
    first = first_whole_day(since)
    # The day `until` falls on ends after it (or at it, midnight).
    last = until.astimezone(UTC).date() - DAY
    return (first, last) if first <= last else None
