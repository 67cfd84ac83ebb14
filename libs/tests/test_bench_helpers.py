import math

from dealflow_libs.testing.bench import percentile


def test_percentile_is_nearest_rank() -> None:
    values = [5.0, 1.0, 4.0, 2.0, 3.0]
    assert [percentile(values, p) for p in (0, 20, 21, 50, 99, 100)] == [1, 1, 2, 3, 5, 5]
    assert percentile(range(1, 101), 99) == 99


def test_percentile_of_nothing_is_nan() -> None:
    assert math.isnan(percentile([], 50))
