"""Report arithmetic: basis points summing to 10,000, rates that are None, never NaN."""

import random
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from attribution.domain.default_channels import default_rule_set
from attribution.domain.models import LINEAR
from attribution.domain.reports import (
    FunnelCounts,
    Rate,
    basis_points,
    channel_report,
    funnel_rates,
)
from attribution.domain.run import AttributionRun, RunInput, compute_run
from attribution.domain.touches import ActivityType, Touch

WON = datetime(2025, 6, 30, tzinfo=UTC)


class TestBasisPoints:
    def test_thirds_sum_to_exactly_ten_thousand(self) -> None:
        assert basis_points([1, 1, 1]) == [3_334, 3_333, 3_333]

    def test_no_revenue_has_no_percentages(self) -> None:
        assert basis_points([0, 0]) == [None, None]
        assert basis_points([]) == []

    def test_random_rows_always_sum_to_ten_thousand(self) -> None:
        rng = random.Random(3)
        for _ in range(2_000):
            amounts = [rng.randint(0, 10**8) for _ in range(rng.randint(1, 30))]
            amounts[0] += 1
            shares = basis_points(amounts)
            assert sum(s for s in shares if s is not None) == 10_000


class TestRates:
    def test_a_zero_denominator_is_none_not_nan(self) -> None:
        assert Rate(0, 0).value is None
        assert Rate(0, 0).percent() is None

    def test_value_and_percent_are_exact(self) -> None:
        assert Rate(1, 3).value == Fraction(1, 3)
        assert Rate(1, 3).percent() == Decimal("33.33")
        assert Rate(2, 3).percent(1) == Decimal("66.7")

    def test_funnel_rates_carry_their_numerators_and_denominators(self) -> None:
        counts = FunnelCounts(
            total_leads=40,
            leads_with_meeting=10,
            leads_won=2,
            meetings_booked=12,
            meetings_showed=8,
            meetings_no_show=2,
            deals_created=6,
            deals_won=2,
            deals_lost=1,
        )
        rates = funnel_rates(counts)
        assert rates.show_rate == Rate(8, 10)
        assert rates.deal_win_rate == Rate(2, 3)
        assert rates.deal_conversion_rate == Rate(2, 6)
        assert rates.lead_to_meeting_rate == Rate(10, 40)
        assert rates.lead_to_win_rate == Rate(2, 40)

    def test_an_empty_funnel_has_only_none_rates(self) -> None:
        rates = funnel_rates(FunnelCounts(0, 0, 0, 0, 0, 0, 0, 0, 0))
        assert [getattr(rates, f.name).value for f in fields(rates)] == [None] * 5


def linear_run(
    deal: str, value: int, kinds: list[ActivityType], currency: str = "USD"
) -> AttributionRun:
    touches = [
        Touch(f"{deal}-{i}", "jane@acme.com", WON - timedelta(days=i + 1), kind)
        for i, kind in enumerate(kinds)
    ]
    return compute_run(RunInput(deal, touches, WON, value, currency, LINEAR, default_rule_set()))


class TestChannelReport:
    def test_per_channel_figures(self) -> None:
        runs = [
            linear_run("d1", 9_000, [ActivityType.CALL, ActivityType.EMAIL_SENT]),
            linear_run("d2", 1_000, [ActivityType.CALL]),
            linear_run("d3", 500, []),
        ]
        rows = {row.channel: row for row in channel_report(runs)}
        phone = rows["Phone"]
        assert (phone.deals_attributed, phone.credited_deals, phone.attributed_minor) == (
            2,
            Decimal("1.500000"),
            5_500,
        )
        assert phone.avg_deal_minor == 3_667  # 5500 / 1.5, half to even
        assert rows["Outbound Email"].attributed_minor == 4_500
        assert rows["(unattributed)"].attributed_minor == 500
        assert [r.channel for r in channel_report(runs)] == [
            "Phone",
            "Outbound Email",
            "(unattributed)",
        ]
        assert sum(r.percentage_bp or 0 for r in rows.values()) == 10_000
        assert sum(r.attributed_minor for r in rows.values()) == 10_500

    def test_mixed_currencies_are_never_summed(self) -> None:
        runs = [
            linear_run("d1", 100, [ActivityType.CALL]),
            linear_run("d2", 100, [ActivityType.CALL], "EUR"),
        ]
        with pytest.raises(ValueError, match="one currency"):
            channel_report(runs)
