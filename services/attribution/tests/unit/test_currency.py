"""Converting deals to one currency: the rate of the close date, exact, rounded once per deal,
and channel parts that still sum to the converted total."""

import random
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction

import pytest

from attribution.domain.currency import (
    CurrencyRate,
    MissingRates,
    RateTable,
    convert_minor,
    convert_runs,
    rate_date,
    split_converted,
)
from attribution.domain.recorded import RunTotals
from attribution.domain.run import ChannelCredit

JAN, FEB, MAR = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)


def rate(base: str, quote: str, value: str, on: date) -> CurrencyRate:
    return CurrencyRate(base, quote, Decimal(value), on)


def run(deal: str, value: int, currency: str, closed: datetime, parts: list[int]) -> RunTotals:
    channels = tuple(
        ChannelCredit(f"c{i}", part, part, value or 1, 1) for i, part in enumerate(parts)
    )
    return RunTotals(deal, "linear", value, currency, closed, channels)


class TestRateTable:
    def test_latest_rate_on_or_before_the_date(self) -> None:
        table = RateTable([rate("EUR", "USD", "1.10", JAN), rate("EUR", "USD", "1.20", MAR)])
        assert table.factor("EUR", "USD", date(2026, 2, 28)) == Fraction(11, 10)
        assert table.factor("EUR", "USD", MAR) == Fraction(6, 5)  # effective that very day
        assert table.factor("USD", "USD", date(1999, 1, 1)) == 1

    def test_missing_rate_names_the_pair_and_date(self) -> None:
        table = RateTable([rate("EUR", "USD", "1.10", MAR)])
        with pytest.raises(MissingRates, match=r"no EUR->USD rate on or before 2026-02-01"):
            table.factor("EUR", "USD", FEB)
        with pytest.raises(MissingRates, match=r"no GBP->USD rate"):
            table.factor("GBP", "USD", MAR)  # no cross rates through a third currency

    def test_inverse_pair_is_its_exact_inverse(self) -> None:
        table = RateTable([rate("USD", "EUR", "0.8", JAN)])
        assert table.factor("EUR", "USD", FEB) == Fraction(5, 4)
        third = RateTable([rate("USD", "EUR", "3", JAN)])
        assert third.factor("EUR", "USD", FEB) == Fraction(1, 3)  # not 0.333...

    def test_the_later_direction_wins_and_the_pair_asked_on_a_tie(self) -> None:
        table = RateTable([rate("EUR", "USD", "1.10", JAN), rate("USD", "EUR", "0.8", FEB)])
        assert table.factor("EUR", "USD", MAR) == Fraction(5, 4)  # the inverse is newer
        assert table.factor("EUR", "USD", JAN) == Fraction(11, 10)
        tie = RateTable([rate("EUR", "USD", "1.10", FEB), rate("USD", "EUR", "0.8", FEB)])
        assert tie.factor("EUR", "USD", MAR) == Fraction(11, 10)
        assert tie.factor("USD", "EUR", MAR) == Fraction(4, 5)

    @pytest.mark.parametrize(
        ("base", "quote", "value", "problem"),
        [
            ("EUR", "EUR", "1", "two currencies"),
            ("EUR", "USD", "0", "positive"),
            ("EUR", "USD", "-1", "positive"),
            ("eur", "USD", "1", "ISO 4217"),
        ],
    )
    def test_invalid_rates_are_refused(
        self, base: str, quote: str, value: str, problem: str
    ) -> None:
        with pytest.raises(ValueError, match=problem):
            rate(base, quote, value, JAN)


class TestConversion:
    def test_exact_and_rounded_half_to_even_once(self) -> None:
        assert convert_minor(10_000, source="EUR", target="USD", factor=Fraction(11, 10)) == 11_000
        # 0.05 EUR at 1.5 = 7.5 cents -> 8 (half to even); 0.15 at 1.5 = 22.5 -> 22.
        assert convert_minor(5, source="EUR", target="USD", factor=Fraction(3, 2)) == 8
        assert convert_minor(15, source="EUR", target="USD", factor=Fraction(3, 2)) == 22

    def test_minor_unit_exponents_differ(self) -> None:
        # 1,000 JPY (no minor unit) at 0.0065 USD = 6.50 USD = 650 cents.
        assert convert_minor(1_000, source="JPY", target="USD", factor=Fraction("0.0065")) == 650
        # 6.50 USD at 153.846 JPY = 999.999 JPY -> 1000.
        assert convert_minor(650, source="USD", target="JPY", factor=Fraction("153.846")) == 1_000

    def test_parts_sum_to_the_converted_total(self) -> None:
        rng = random.Random(9)
        for _ in range(2_000):
            parts = [rng.randint(0, 10**6) for _ in range(rng.randint(1, 12))]
            total = rng.randint(0, 10**7)
            assert sum(split_converted(total, parts)) == (total if any(parts) else 0)
        assert split_converted(10, [1, 1, 1]) == [4, 3, 3]  # ties to the earlier part

    def test_runs_converted_at_their_close_date(self) -> None:
        table = RateTable([rate("EUR", "USD", "1.10", JAN), rate("EUR", "USD", "1.20", MAR)])
        runs = [
            run("d1", 10_000, "EUR", datetime(2026, 2, 15, tzinfo=UTC), [3_334, 3_333, 3_333]),
            run("d2", 10_000, "EUR", datetime(2026, 3, 2, tzinfo=UTC), [10_000]),
            run("d3", 999, "USD", datetime(2026, 3, 2, tzinfo=UTC), [999]),
        ]
        converted = convert_runs(runs, "USD", table)
        assert [r.value_minor for r in converted] == [11_000, 12_000, 999]
        assert [c.minor_units for c in converted[0].channels] == [3_668, 3_666, 3_666]
        assert all(sum(c.minor_units for c in r.channels) == r.value_minor for r in converted)
        assert {r.currency for r in converted} == {"USD"}

    def test_every_missing_pair_and_date_is_named(self) -> None:
        table = RateTable([rate("EUR", "USD", "1.10", MAR)])
        runs = [
            run("d1", 100, "EUR", datetime(2026, 2, 15, tzinfo=UTC), [100]),
            run("d2", 100, "GBP", datetime(2026, 3, 15, tzinfo=UTC), [100]),
            run("d3", 100, "EUR", datetime(2026, 3, 15, tzinfo=UTC), [100]),
        ]
        with pytest.raises(MissingRates) as raised:
            convert_runs(runs, "USD", table)
        assert [str(m) for m in raised.value.missing] == [
            "no EUR->USD rate on or before 2026-02-15",
            "no GBP->USD rate on or before 2026-03-15",
        ]

    def test_the_close_date_is_the_utc_date(self) -> None:
        late = datetime.fromisoformat("2026-02-28T23:30:00-05:00")
        assert rate_date(late) == date(2026, 3, 1)
