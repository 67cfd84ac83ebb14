"""Credited deals from fixed-point bounds: the same rounding as the exact sum, or undecided."""

import random
from decimal import Decimal
from fractions import Fraction

import pytest

from attribution.domain.credit_bounds import SCALE, CreditBounds, average_deal, round_credit
from attribution.domain.reports import ChannelSums, CreditTotal


def bounded(weights: list[Fraction]) -> CreditBounds:
    return sum((CreditBounds.of(w) for w in weights), start=CreditBounds())


# 1/3 + 4000003/6000000 = 1.0000005 exactly, a tie at six places; both inexact at SCALE, so the
# bounds straddle the tie: [1.000000499999999999, 1.000000500000000001].
TIE = [Fraction(1, 3), Fraction(4_000_003, 6_000_000)]


class TestCreditBounds:
    def test_exact_weights_sum_exactly(self) -> None:
        bounds = bounded([Fraction(1, 2), Fraction(1, 4), Fraction(1, 1)])
        assert bounds == CreditBounds(floor=SCALE * 7 // 4, inexact=0)
        assert bounds.exact == Fraction(7, 4)

    def test_inexact_weights_bound_the_sum(self) -> None:
        rng = random.Random(3)
        for _ in range(200):
            weights = [Fraction(rng.randint(0, 10**30), 10**30 + rng.randint(1, 10**20))
                       for _ in range(rng.randint(1, 40))]  # fmt: skip
            bounds = bounded(weights)
            exact = sum(weights, start=Fraction(0))
            assert Fraction(bounds.floor, SCALE) <= exact
            assert exact < Fraction(bounds.floor + bounds.inexact, SCALE) or bounds.inexact == 0
            assert bounds.exact in (None, exact)

    def test_decided_figures_are_the_exact_sums_rounding(self) -> None:
        rng = random.Random(4)
        for _ in range(500):
            # time_decay-like weights: 64-bit mantissas over their sum, denominators all distinct
            weights = [Fraction(rng.getrandbits(64), rng.getrandbits(70) | 1 << 69)
                       for _ in range(rng.randint(1, 30))]  # fmt: skip
            bounds = bounded(weights)
            exact = sum(weights, start=Fraction(0))
            value = rng.randint(0, 10**9)
            for rounding in (round_credit, average_deal(value)):
                known, figure = bounds.decide(rounding)
                assert known
                assert figure == rounding(exact)

    def test_a_sum_at_a_rounding_tie_is_left_undecided(self) -> None:
        bounds = bounded(TIE)
        assert bounds.inexact == 2
        assert bounds.decide(round_credit) == (False, None)
        assert round_credit(sum(TIE, start=Fraction(0))) == Decimal("1.000000")  # half to even

    def test_no_credit_has_no_average_and_a_tiny_one_is_undecided(self) -> None:
        assert CreditBounds().decide(average_deal(500)) == (True, None)
        assert bounded([Fraction(1, 3 * SCALE)]).decide(average_deal(500)) == (False, None)

    def test_credited_deals_are_shown_to_six_places_half_to_even(self) -> None:
        assert str(round_credit(Fraction(3, 2))) == "1.500000"
        assert str(round_credit(Fraction(1, 3))) == "0.333333"
        assert str(round_credit(Fraction(5, 10**7))) == "0.000000"  # the tie to even
        assert str(round_credit(Fraction(15, 10**7))) == "0.000002"
        assert str(round_credit(Fraction(12345))) == "12345.000000"


class TestChannelSumsSettling:
    def test_runs_added_one_by_one_are_summed_exactly_when_undecided(self) -> None:
        sums = ChannelSums()
        for weight in TIE:
            sums.add_run(_Run([_Credit("Phone", 100, weight)]))
        assert sums.unsettled() == []  # nothing summed elsewhere
        (row,) = sums.rows()
        assert (row.credited_deals, row.avg_deal_minor) == (Decimal("1.000000"), 200)

    def test_totals_summed_elsewhere_wait_for_their_exact_sum(self) -> None:
        sums = ChannelSums()
        sums.add_total(CreditTotal("Phone", deals=2, minor_units=200, credit=bounded(TIE)))
        sums.add_total(CreditTotal("Email", 1, 50, bounded([Fraction(1, 3)])))
        sums.add_run(_Run([_Credit("Phone", 10, Fraction(0))]))  # touched, not credited
        assert sums.unsettled() == ["Phone"]
        with pytest.raises(LookupError, match="Phone"):
            sums.rows()
        sums.settle("Phone", sum(TIE, start=Fraction(0)))
        assert sums.unsettled() == []
        phone, email = sums.rows()
        # 1.0000005 to even: 1.000000; 210 / 1.0000005 = 209.999895...
        assert (phone.channel, phone.deals_attributed, phone.credited_deals) == (
            "Phone", 3, Decimal("1.000000"),
        )  # fmt: skip
        assert phone.avg_deal_minor == 210
        assert (email.credited_deals, email.avg_deal_minor) == (Decimal("0.333333"), 150)


class _Credit:
    def __init__(self, channel: str, minor_units: int, weight: Fraction) -> None:
        self.channel, self.minor_units, self.weight = channel, minor_units, weight


class _Run:
    currency = "USD"

    def __init__(self, channels: list[_Credit]) -> None:
        self.channels = channels
