"""The deal page's pure parts: attribution bars, the list's page links, the model shown."""

from decimal import Decimal
from types import SimpleNamespace

from console.web.deals import attribution_chart, chosen_model, page_link, touch_bars
from console.web.rendering import templates


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

    assert [(b.touch_id, b.percent, b.minor_units) for b in bars] == [
        ("a", Decimal("33.3"), 1_000_001),
        ("b", Decimal("66.7"), 1_999_999),
    ]


def test_decimal_and_whole_weights_read_as_shares() -> None:
    bars = touch_bars(
        {"touches": [touch("a", "0.25", 25), touch("b", "1", 100), touch("c", "0", 0)]}
    )

    assert [b.percent for b in bars] == [Decimal("25.0"), Decimal("100.0"), Decimal("0.0")]


def test_the_chart_draws_a_bar_per_touch_against_the_whole_deal() -> None:
    run = {
        "model": "first_touch",
        "currency": "JPY",
        "touches": [touch("a", "1", 30_000), touch("b", "0", 0)],
    }

    chart = attribution_chart(run)

    assert chart.title == "Credit per touch (First touch)"
    assert [label.text for label in chart.labels] == ["Paid Search · Ad click · 2026-11-20"] * 2
    full, empty = chart.bars
    assert (full.text, empty.text, empty.width) == ("100.0% · 30,000 JPY", "0.0% · 0 JPY", 0)
    assert full.width > 0


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


def deal_page(pushes: list[dict[str, object]]) -> str:
    """deal.html as the console renders it, for a deal with these CRM pushes."""
    deal = {
        "deal_id": "d-1", "name": "Acme - new business", "status": "won", "stage": "closed_won",
        "company": {"name": "Acme", "domain": "acme.com"}, "value": "10.00", "currency": "EUR",
        "weighted_value": "10.00", "probability": 100, "created_at": "2026-11-20T10:00:00Z",
        "stage_entered_at": "2026-11-21T10:00:00Z", "closed_at": "2026-11-21T10:00:00Z",
        "days_to_close": 1, "contacts": [], "meetings": [], "stage_history": [],
    }  # fmt: skip
    signin = SimpleNamespace(tenant_name="Acme team", csrf_token="t0ken")
    return templates.get_template("deal.html").render(
        request=SimpleNamespace(url=SimpleNamespace(path="/deals/d-1")),
        signin=signin,
        csrf_field="csrf_token",
        csrf_token="t0ken",
        deal=deal,
        attribution={
            "model": "linear",
            "models": ["linear"],
            "run": None,
            "bars": [],
            "error": None,
        },
        pushes=pushes,
        crm_error=None,
        here="/deals/d-1",
        open_stages=[],
        lost_reasons=[],
    )


def push(push_id: str, status: str, **values: object) -> dict[str, object]:
    return {
        "id": push_id, "target": "crm", "provider": "hubspot", "entity": "deal",
        "operation": "sync_deal", "source_event_type": "dealflow.deal.won.v1", "status": status,
        "attempts": 1, "reason": None, "error": None, "error_code": None,
        "crm_contact_id": None, "crm_org_id": None, "crm_deal_id": None,
        "crm_activity_id": None, "notion_page_id": None, "created_at": "2026-11-21T10:00:00Z",
        **values,
    }  # fmt: skip


def test_only_a_parked_push_offers_a_retry_with_the_csrf_token() -> None:
    html = deal_page(
        [
            push("p-ok", "succeeded", crm_deal_id="5001"),
            push("p-parked", "parked", error="stage not in pipeline", error_code="INVALID_OPTION"),
        ]
    )

    assert html.count('action="/deals/d-1/crm/') == 1
    assert 'action="/deals/d-1/crm/p-parked/retry"' in html
    assert 'name="csrf_token" value="t0ken"' in html
    assert "stage not in pipeline" in html
    assert "INVALID_OPTION" in html
    assert "<code>5001</code>" in html
