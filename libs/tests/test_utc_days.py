"""`whole_days`, `first_whole_month`: the UTC days and months wholly inside a window, shared by
every rollup's reads."""

from datetime import UTC, date, datetime, timedelta, timezone

from dealflow_libs.utc_days import DAY, first_whole_month, midnight, whole_days

NOW = datetime(2026, 3, 14, 15, 30, tzinfo=UTC)
TODAY = NOW.date()


def test_a_window_inside_one_day_or_across_one_midnight_has_none() -> None:
    assert whole_days(NOW - timedelta(hours=2), NOW) is None
    assert whole_days(NOW - timedelta(hours=20), NOW) is None


def test_the_days_between_partial_ends() -> None:
    assert whole_days(NOW - timedelta(days=2), NOW) == (TODAY - DAY, TODAY - DAY)
    assert whole_days(NOW - timedelta(days=30), NOW) == (TODAY - 29 * DAY, TODAY - DAY)


def test_a_window_from_or_to_midnight_keeps_that_day() -> None:
    at_midnight = midnight(TODAY)
    assert whole_days(at_midnight - 7 * DAY, NOW) == (TODAY - 7 * DAY, TODAY - DAY)
    assert whole_days(at_midnight - DAY, at_midnight) == (TODAY - DAY, TODAY - DAY)
    assert whole_days(at_midnight, at_midnight + DAY) == (TODAY, TODAY)
    assert whole_days(at_midnight, at_midnight) is None


def test_other_offsets_are_read_in_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    since = datetime(2026, 3, 13, 2, 0, tzinfo=plus_two)  # 00:00 UTC on the 13th
    until = datetime(2026, 3, 15, 2, 0, tzinfo=plus_two)  # 00:00 UTC on the 15th
    assert whole_days(since, until) == (date(2026, 3, 13), date(2026, 3, 14))


def test_midnight_is_the_utc_start_of_the_day() -> None:
    assert midnight(TODAY) == datetime(2026, 3, 14, tzinfo=UTC)


def test_the_first_whole_month_starts_at_or_after_the_instant() -> None:
    assert first_whole_month(NOW) == date(2026, 4, 1)
    assert first_whole_month(midnight(date(2026, 3, 1))) == date(2026, 3, 1)
    assert first_whole_month(midnight(date(2026, 3, 1)) + timedelta(microseconds=1)) == date(
        2026, 4, 1
    )
    assert first_whole_month(datetime(2026, 12, 31, 23, 59, tzinfo=UTC)) == date(2027, 1, 1)
    assert first_whole_month(datetime(2024, 1, 31, 12, tzinfo=UTC)) == date(2024, 2, 1)
    # 01:00 on April 1st at +02:00 is 23:00 UTC on March 31st: April starts after it.
    plus_two = timezone(timedelta(hours=2))
    assert first_whole_month(datetime(2026, 4, 1, 1, 0, tzinfo=plus_two)) == date(2026, 4, 1)
