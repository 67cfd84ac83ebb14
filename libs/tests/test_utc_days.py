"""`whole_days`: the UTC days wholly inside a window, shared by every rollup's reads."""

from datetime import UTC, date, datetime, timedelta, timezone

from dealflow_libs.utc_days import DAY, midnight, whole_days

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
