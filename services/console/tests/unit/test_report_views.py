"""How the reports turn the services' answers into figures and bars."""

import pytest

from console.services import ServiceError
from console.web.rendering import basis_points, fraction, minor
from console.web.reports import (
    MissingRate,
    compare_chart,
    converted,
    funnel_chart,
    show_rate_chart,
)

WINDOW = {"since": "2026-11-01T00:00:00+00:00", "until": "2026-12-01T00:00:00+00:00"}


def test_minor_units_are_shown_with_the_currencys_own_decimals() -> None:
    assert minor(123456, "EUR") == "1,234.56 EUR"
    assert minor(1500, "JPY") == "1,500 JPY"
    assert minor(1234, "KWD") == "1.234 KWD"
    assert minor(None, "EUR") == "-"


def test_rates_undefined_for_zero_over_zero_are_a_dash_not_zero() -> None:
    assert (basis_points(1234), basis_points(None)) == ("12.3 %", "-")
    assert (fraction(0.8), fraction(None)) == ("80.0 %", "-")


def test_the_funnel_draws_its_five_steps_in_order_with_their_counts() -> None:
    funnel = {"days": 30, "total_leads": 1200, "meetings_booked": 300, "meetings_showed": 240,
              "deals_created": 100, "deals_won": 25}  # fmt: skip
    chart = funnel_chart(funnel)

    assert chart.title == "Funnel, last 30 days"
    assert [label.text for label in chart.labels] == [
        "Leads", "Meetings booked", "Meetings held", "Deals created", "Deals won"
    ]  # fmt: skip
    assert [b.text for b in chart.bars] == ["1,200", "300", "240", "100", "25"]
    widths = [b.width for b in chart.bars]
    assert widths == sorted(widths, reverse=True)


def test_show_rates_are_drawn_against_a_hundred_percent_and_unknown_as_empty() -> None:
    rates = {"days": 90, "show_rate": 0.5, "no_show_rate": None, "reschedule_rate": 1.0}
    chart = show_rate_chart(rates)

    full = chart.bars[2].width
    assert chart.bars[0].width == full / 2
    assert (chart.bars[1].width, chart.bars[1].text) == (0, "-")


def test_the_comparison_has_a_bar_per_model_in_each_channel_named_by_its_model() -> None:
    def row(channel: str, first: int, linear: int) -> dict:
        cells = {"first_touch": first, "linear": linear}
        return {
            "channel": channel,
            "models": {m: {"attributed_value": v} for m, v in cells.items()},
        }

    report = {
        "days": 90, "currency": "EUR", "models": ["first_touch", "linear"], "window": WINDOW,
        "channels": [row("Paid Search", 300000, 100000), row("Outbound Email", 0, 200000)],
    }  # fmt: skip
    chart = compare_chart(report)

    assert [label.text for label in chart.labels] == ["Paid Search", "Outbound Email"]
    assert [b.text for b in chart.bars] == [
        "First touch: 3,000.00 EUR",
        "Linear: 1,000.00 EUR",
        "First touch: 0.00 EUR",
        "Linear: 2,000.00 EUR",
    ]
    assert chart.bars[0].colour == chart.bars[2].colour != chart.bars[1].colour


async def _refused(status: int, body: dict) -> None:
    raise ServiceError("attribution", status, body["message"], body["error"], body)


async def test_a_report_without_its_rates_answers_the_pairs_and_dates_it_lacks() -> None:
    body = {
        "error": "missing_rate",
        "message": "no rate for USD->EUR on 2026-12-01",
        "missing": [{"base": "USD", "quote": "EUR", "date": "2026-12-01"}],
    }

    report, missing = await converted(_refused(422, body))

    assert report is None
    assert missing == [MissingRate("USD", "EUR", "2026-12-01")]


async def test_any_other_refusal_still_fails_the_page() -> None:
    body = {"error": "invalid_model", "message": "models: unknown model 'x'"}
    with pytest.raises(ServiceError) as refused:
        await converted(_refused(422, body))
    assert refused.value.code == "invalid_model"


async def test_a_report_with_its_rates_is_answered_as_it_came() -> None:
    async def answered() -> dict:
        return {"currency": "EUR"}

    assert await converted(answered()) == ({"currency": "EUR"}, [])
