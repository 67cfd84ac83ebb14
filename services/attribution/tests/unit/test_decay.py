"""The integer 2^(-x): close to the true value, exact where it can be, the same everywhere."""

import random
from decimal import Context, Decimal

import pytest

from attribution.domain.decay import MANTISSA_BITS, pow2_neg

PRECISE = Context(prec=60)


def true_value(numerator: int, denominator: int) -> Decimal:
    return PRECISE.power(Decimal(2), PRECISE.divide(Decimal(-numerator), Decimal(denominator)))


def test_within_two_to_the_minus_62_of_sixty_digit_decimals() -> None:
    rng = random.Random(7)
    for _ in range(2_000):
        denominator = rng.randint(1, 10**12)
        numerator = rng.randint(0, 40 * denominator)
        mantissa, k = pow2_neg(numerator, denominator)
        assert 1 << (MANTISSA_BITS - 1) <= mantissa <= 1 << MANTISSA_BITS
        got = PRECISE.divide(Decimal(mantissa), Decimal(2) ** (MANTISSA_BITS + k))
        assert abs(got - true_value(numerator, denominator)) <= got * Decimal(2) ** -62


@pytest.mark.parametrize("halvings", [0, 1, 2, 13, 200])
def test_whole_half_lives_are_exact_powers_of_two(halvings: int) -> None:
    assert pow2_neg(halvings * 604_800, 604_800) == (1 << MANTISSA_BITS, halvings)


def test_known_bits_do_not_change() -> None:
    # Pinned: the algorithm *is* the definition, so changing it must be a visible decision
    # (stored runs would no longer reproduce).
    assert pow2_neg(30, 7) == (15_132_516_366_888_310_227, 4)
    assert pow2_neg(1, 3) == (14_641_190_473_997_345_814, 0)


def test_negative_exponents_are_refused() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        pow2_neg(-1, 7)
