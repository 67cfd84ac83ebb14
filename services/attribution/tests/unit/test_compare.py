"""Models side by side: every column sums to the same won revenue over the same deals."""

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from attribution.domain.compare import compare_models
from attribution.domain.currency import CurrencyRate, RateTable, convert_runs
from attribution.domain.default_channels import default_rule_set
from attribution.domain.models import rule_based_model
from attribution.domain.recorded import RunTotals
from attribution.domain.run import RunInput, compute_run
from attribution.domain.touches import ActivityType, Touch
from attribution.domain.weighting import ModelName

WON = datetime(2026, 3, 10, tzinfo=UTC)
KINDS = [ActivityType.CALL, ActivityType.EMAIL_SENT, ActivityType.LINKEDIN_MESSAGE]
MODELS = [ModelName.FIRST_TOUCH, ModelName.LINEAR, ModelName.POSITION_BASED, ModelName.TIME_DECAY]


def totals(
    deal: str, value: int, currency: str, model: ModelName, touches: list[Touch]
) -> RunTotals:
    model_ = rule_based_model(model)
    found = compute_run(RunInput(deal, touches, WON, value, currency, model_, default_rule_set()))
    return RunTotals.from_result(found.to_dict())


def journey(rng: random.Random, deal: str) -> list[Touch]:
    def at() -> datetime:
        return WON - timedelta(hours=rng.randint(1, 900))

    return [
        Touch(f"{deal}-{i}", "a@acme.com", at(), rng.choice(KINDS))
        for i in range(rng.randint(0, 6))
    ]


class TestCompare:
    def test_every_column_sums_to_the_same_won_revenue(self) -> None:
        rng = random.Random(5)
        table = RateTable([CurrencyRate("EUR", "USD", Decimal("1.0837"), WON.date())])
        runs = []
        for n in range(40):
            touches = journey(rng, f"d{n}")
            value, currency = rng.randint(0, 10**7), rng.choice(["USD", "EUR"])
            runs += [totals(f"d{n}", value, currency, m, touches) for m in MODELS]
        names = [m.value for m in MODELS]
        found = compare_models(convert_runs(runs, "USD", table), names)
        assert found.deals == 40
        columns = {m: sum(row.cells[m].attributed_minor for row in found.rows) for m in names}
        assert set(columns.values()) == {found.won_minor}
        for m in names:
            shares = [row.cells[m].percentage_bp or 0 for row in found.rows]
            assert sum(shares) == 10_000

    def test_deals_without_a_run_for_every_model_are_counted_not_compared(self) -> None:
        touches = [Touch("t1", "a@acme.com", WON - timedelta(days=1), ActivityType.CALL)]
        runs = [
            totals("d1", 1_000, "USD", ModelName.LINEAR, touches),
            totals("d1", 1_000, "USD", ModelName.FIRST_TOUCH, touches),
            totals("d2", 500, "USD", ModelName.LINEAR, touches),
        ]
        found = compare_models(runs, ["linear", "first_touch"])
        assert (found.deals, found.won_minor) == (1, 1_000)
        assert found.missing_runs == {"linear": 0, "first_touch": 1}
        (row,) = found.rows
        assert row.cells["linear"].credited_deals == Decimal("1.000000")

    def test_a_channel_one_model_does_not_credit_is_a_zero_cell(self) -> None:
        touches = [
            Touch("t1", "a@acme.com", WON - timedelta(days=2), ActivityType.CALL),
            Touch("t2", "a@acme.com", WON - timedelta(days=1), ActivityType.SMS),
        ]
        runs = [totals("d1", 1_000, "USD", m, touches) for m in MODELS]
        found = compare_models(runs, ["first_touch", "linear"])
        cells = {row.channel: row.cells for row in found.rows}
        assert cells["Phone"]["first_touch"].attributed_minor == 1_000
        assert cells["SMS"]["first_touch"].attributed_minor == 0
        assert cells["SMS"]["linear"].attributed_minor == 500
        assert [row.channel for row in found.rows] == ["Phone", "SMS"]

    def test_runs_disagreeing_on_value_are_left_out(self) -> None:
        touches = [Touch("t1", "a@acme.com", WON - timedelta(days=1), ActivityType.CALL)]
        runs = [
            totals("d1", 1_000, "USD", ModelName.LINEAR, touches),
            totals("d1", 2_000, "USD", ModelName.FIRST_TOUCH, touches),
        ]
        found = compare_models(runs, ["linear", "first_touch"])
        assert (found.deals, found.inconsistent_deals, found.rows) == (0, 1, ())
