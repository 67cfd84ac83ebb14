"""The deal page's pure parts: attribution bars, the list's page links, the model shown."""

from decimal import Decimal

from console.web.deals import chosen_model, page_link, touch_bars


def touch(touch_id: str, weight: str, minor_units: int) -> dict[str, object]:
    return {
        "touch_id": touch_id,
        "person_email": "jane@acme.com",
        "occurred_at": "2026-11-20T10:00:00Z",
        "activity_type": "ad_click",
        "channel": "Paid Search",
        "channel_rule_id": "r1",
        "roles": ["first"],
        "raw_weight": weight,
        "weight": weight,
        "minor_units": minor_units,
        "reason": "",
    }


def test_a_bar_is_the_touchs_share_of_the_deal_and_its_credit() -> None:
    run = {"touches": [touch("a", "1/3", 1_000_001), touch("b", "2/3", 1_999_999)]}

    bars = touch_bars(run)

    assert [(b.touch_id, b.percent, b.amount) for b in bars] == [
        ("a", Decimal("33.3"), Decimal("10000.01")),
        ("b", Decimal("66.7"), Decimal("19999.99")),
    ]


def test_decimal_and_whole_weights_read_as_shares() -> None:
    bars = touch_bars(
        {"touches": [touch("a", "0.25", 25), touch("b", "1", 100), touch("c", "0", 0)]}
    )

    assert [b.percent for b in bars] == [Decimal("25.0"), Decimal("100.0"), Decimal("0.0")]


def test_the_next_page_keeps_the_filters_and_drops_the_empty_ones() -> None:
    filters = {"status": "active", "stage": "", "company_domain": "acme.co.uk"}

    assert (
        page_link(filters, "abc=") == "/deals?status=active&company_domain=acme.co.uk&cursor=abc%3D"
    )
    assert page_link(filters) == "/deals?status=active&company_domain=acme.co.uk"
    assert page_link({"status": ""}) == "/deals"


def test_the_model_asked_for_else_linear_when_run_else_the_tenants_first() -> None:
    assert chosen_model("w_shaped", ["linear"]) == "w_shaped"
    assert chosen_model(None, ["first_touch", "linear"]) == "linear"
    assert chosen_model(None, ["first_touch", "last_touch"]) == "first_touch"
    assert chosen_model(None, []) == "linear"
