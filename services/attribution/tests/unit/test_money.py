"""Minor units and the largest-remainder split that always sums to the total."""

import random
from decimal import Decimal
from fractions import Fraction

import pytest

from attribution.domain.money import (
    allocate,
    from_minor_units,
    minor_unit_exponent,
    to_minor_units,
)
from dealflow_libs.money import to_cents


class TestMinorUnits:
    @pytest.mark.parametrize(
        ("amount", "currency", "units"),
        [
            ("10000.00", "USD", 1_000_000),
            ("100.005", "USD", 10_000),  # half to even, as dealflow_libs.money.to_cents
            ("100.015", "USD", 10_002),
            ("1500", "JPY", 1_500),
            ("1500.5", "JPY", 1_500),
            ("1.2345", "KWD", 1_234),
        ],
    )
    def test_to_minor_units(self, amount: str, currency: str, units: int) -> None:
        assert to_minor_units(Decimal(amount), currency) == units

    def test_two_decimal_currencies_round_exactly_as_libs_money(self) -> None:
        rng = random.Random(5)
        for _ in range(2_000):
            amount = Decimal(rng.randint(-(10**9), 10**9)).scaleb(-rng.randint(0, 5))
            assert to_minor_units(amount, "EUR") == int(to_cents(amount).scaleb(2))

    def test_back_to_an_amount(self) -> None:
        assert from_minor_units(66_667, "USD") == Decimal("666.67")
        assert from_minor_units(1_500, "JPY") == Decimal("1500")
        assert minor_unit_exponent("EUR") == 2

    def test_a_currency_must_be_an_iso_code(self) -> None:
        with pytest.raises(ValueError, match="ISO 4217"):
            to_minor_units(Decimal(1), "usd")


class TestAllocate:
    def test_one_hundred_dollars_over_three(self) -> None:
        assert allocate(10_000, [1, 1, 1]) == [3_334, 3_333, 3_333]

    def test_ties_go_to_the_earlier_part(self) -> None:
        assert allocate(1, [1, 1]) == [1, 0]
        assert allocate(5, [1, 1, 1, 1]) == [2, 1, 1, 1]

    def test_the_largest_remainder_wins_over_order(self) -> None:
        # exact shares 0.3, 0.3, 0.4 of 1 cent: the third has the largest remainder
        assert allocate(1, [3, 3, 4]) == [0, 0, 1]

    def test_zero_weights_get_nothing(self) -> None:
        assert allocate(100, [0, 1, 0]) == [0, 100, 0]
        assert allocate(0, [1, 2]) == [0, 0]

    def test_invalid_inputs_are_refused(self) -> None:
        with pytest.raises(ValueError, match="non-negative total"):
            allocate(-1, [1])
        with pytest.raises(ValueError, match="positive sum"):
            allocate(1, [0, 0])
        with pytest.raises(ValueError, match="positive sum"):
            allocate(1, [2, -1])

    def test_sums_to_the_cent_over_many_random_splits(self) -> None:
        rng = random.Random(42)
        for _ in range(5_000):
            total = rng.randint(0, 10**9)
            weights = [rng.randint(0, 10**6) for _ in range(rng.randint(1, 20))]
            weights[rng.randrange(len(weights))] += 1
            parts = allocate(total, weights)
            assert sum(parts) == total
            for part, weight in zip(parts, weights, strict=True):
                exact = Fraction(total * weight, sum(weights))
                assert abs(part - exact) < 1
