"""The UTC days wholly inside a time window: what a daily rollup may answer for, the rest of the
window being at most a partial day at each end (read from the rows). One rule for every
service's rollups."""

from datetime import UTC, date, datetime, time, timedelta

DAY = timedelta(days=1)


def midnight(day: date) -> datetime:
    """The UTC start of `day`."""
    return datetime.combine(day, time(), tzinfo=UTC)


def whole_days(since: datetime, until: datetime) -> tuple[date, date] | None:
    """The first and last UTC day wholly inside the window from `since` to `until`, None when
    there is none. The same whether `until` belongs to the window or not: a day ends at the next
    midnight, which it does not include."""
    start, end = since.astimezone(UTC), until.astimezone(UTC)
    first = start.date() if start.timetz() == time(tzinfo=UTC) else start.date() + DAY
    last = end.date() - DAY  # the day `until` falls on ends after it (or at it, midnight)
    return (first, last) if first <= last else None
