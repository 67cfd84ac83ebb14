"""fraction_text: exact "n/d" text, also past Python's 4,300-digit limit on str(int), which a
report's sum of many deals' time_decay shares reaches (it answered 500 before)."""

import sys
from fractions import Fraction

import pytest

from attribution.domain.canonical import fraction_text


def test_small_fractions_are_written_as_before() -> None:
    assert fraction_text(Fraction(1, 3)) == "1/3"
    assert fraction_text(Fraction(0)) == "0/1"
    assert fraction_text(Fraction(-10, 4)) == "-5/2"


@pytest.mark.parametrize("digits", [3_611, 3_613, 4_301, 20_000, 100_003])
def test_long_fractions_are_written_exactly(digits: int) -> None:
    numerator = 10 ** (digits - 1) + 7 * 10 ** (digits // 2) + 3  # zeros inside both halves
    value = Fraction(-numerator, 2**40_001)
    text = fraction_text(value)  # under the default limit
    sys.set_int_max_str_digits(0)
    try:
        assert text == f"{value.numerator}/{value.denominator}"
        assert len(text.split("/")[0]) == digits + 1
    finally:
        sys.set_int_max_str_digits(sys.int_info.default_max_str_digits)
