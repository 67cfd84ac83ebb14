"""`calendar_split`: a report's whole days as the months wholly inside them and the days left
around them, covering every day exactly once."""

import random
from datetime import date, timedelta

from attribution.db.credit_totals import calendar_split


def covered(days: list[tuple[date, date]], months: tuple[date, date] | None) -> list[date]:
    found = []
    for first, last in days:
        found += [first + timedelta(days=i) for i in range((last - first).days + 1)]
    month = months[0] if months else None
    while months and month and month <= months[1]:
        day = month
        while day.month == month.month:
            found.append(day)
            day += timedelta(days=1)
        month = day
    return found


def test_examples() -> None:
    assert calendar_split(date(2024, 1, 1), date(2024, 1, 31)) == ([], (date(2024, 1, 1),) * 2)
    assert calendar_split(date(2024, 1, 5), date(2024, 1, 20)) == (
        [(date(2024, 1, 5), date(2024, 1, 20))],
        None,
    )
    # February 2024 whole (a leap year), January and March in part.
    assert calendar_split(date(2024, 1, 2), date(2024, 3, 30)) == (
        [(date(2024, 1, 2), date(2024, 1, 31)), (date(2024, 3, 1), date(2024, 3, 30))],
        (date(2024, 2, 1), date(2024, 2, 1)),
    )
    assert calendar_split(date(2024, 1, 2), date(2024, 2, 29)) == (
        [(date(2024, 1, 2), date(2024, 1, 31))],
        (date(2024, 2, 1), date(2024, 2, 1)),
    )
    # Two partial months, none whole.
    assert calendar_split(date(2024, 1, 2), date(2024, 2, 28)) == (
        [(date(2024, 1, 2), date(2024, 2, 28))],
        None,
    )
    assert calendar_split(date(2016, 12, 5), date(2026, 12, 2)) == (
        [(date(2016, 12, 5), date(2016, 12, 31)), (date(2026, 12, 1), date(2026, 12, 2))],
        (date(2017, 1, 1), date(2026, 11, 1)),
    )


def test_every_day_exactly_once() -> None:
    rng = random.Random(3)
    for _ in range(5_000):
        first = date(2019, 1, 1) + timedelta(days=rng.randint(0, 3_000))
        last = first + timedelta(days=rng.randint(0, 800))
        days, months = calendar_split(first, last)
        found = covered(days, months)
        assert len(set(found)) == len(found)  # no day twice
        assert sorted(found) == [first + timedelta(days=i) for i in range((last - first).days + 1)]
        assert all(a <= b for a, b in days)
