"""The console's reports in a real browser against the running system: a deal won after touches
and a deal lost, then every report shows the figures its service answers, for the period and the
attribution model the team switches to."""

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect
from playwright.async_api import Error as PlaywrightError

from dealflow_libs.devstack.stack import Stack
from dealflow_libs.testing.browser import screenshot
from dealflow_libs.testing.waiting import eventually
from ingest.samples.builders import calcom

from .conftest import PHONE, System, new_tenant, send_touches, signed_in
from .test_journey import company, deals_of, meeting_of, soon

pytestmark = pytest.mark.e2e


async def won_after_touches(system: System) -> str:
    """Touches in two channels, a booking, a good outcome and a win; answers the deal id once
    attribution has run every model for it."""
    domain = company()
    email = f"jane-{uuid.uuid4().hex[:4]}@{domain}"
    await send_touches(system, domain, email)

    uid = uuid.uuid4().hex
    booking = calcom("BOOKING_CREATED", uid=uid, email=email, start=soon(1))
    assert (await system.webhook("calcom", booking)).status_code == 202
    [deal] = await deals_of(system, domain)
    ended = calcom("MEETING_ENDED", uid=uid, email=email, start=soon(1))
    assert (await system.webhook("calcom", ended)).status_code == 202
    done = await meeting_of(system, email, lambda m: m["status"] == "completed")
    outcome = await system.post(
        "meetings", f"/v1/meetings/{done['meeting_id']}/outcome", {"outcome": "good"}
    )
    assert outcome.status_code == 200, outcome.text
    await deals_of(system, domain, lambda d: d["stage"] == "qualification")
    won = await system.post("deals", f"/v1/deals/{deal['deal_id']}/won", {"value": "12000"})
    assert won.status_code == 200, won.text

    async def attributed() -> bool:
        report = await system.get("attribution", "/v1/reports/compare", days=30, models="linear")
        return report["deals"] >= 1 and any(
            row["channel"] == "Paid Search" for row in report["channels"]
        )

    await eventually(attributed, within=60, what="the won deal's attribution runs")
    return str(deal["deal_id"])


async def lost_deal(system: System) -> None:
    domain = company()
    booking = calcom("BOOKING_CREATED", uid=uuid.uuid4().hex, email=f"bo@{domain}", start=soon(2))
    assert (await system.webhook("calcom", booking)).status_code == 202
    [deal] = await deals_of(system, domain)
    lost = await system.post(
        "deals",
        f"/v1/deals/{deal['deal_id']}/lost",
        {"reason": "price_too_high", "notes": "over budget"},
    )
    assert lost.status_code == 200, lost.text


@pytest.fixture(scope="module")
async def reported(system: System) -> System:
    await won_after_touches(system)
    await lost_deal(system)
    return system


async def shows_what_the_api_answers(
    page: Page,
    url: str,
    answer: Callable[[], Awaitable[Any]],
    shown: Callable[[Page, Any], Awaitable[None]],
) -> Any:
    """Opens `url` and checks it against the service's answer read right after; other tests'
    bookings may land in between, so a page and answer that differ are both read again."""

    mismatch: list[str] = []

    async def agree() -> Any:
        await page.goto(url)
        expected = await answer()
        try:
            await shown(page, expected)
        except (AssertionError, PlaywrightError) as error:
            mismatch[:] = [f"{type(error).__name__}: {error}"]
            return None
        return expected

    try:
        return await eventually(agree, within=60, what=f"{url} showing the API's figures")
    except TimeoutError as error:
        raise AssertionError(f"{url} never showed the API's figures: {mismatch}") from error


async def cell(page: Page, selector: str) -> str:
    return (await page.locator(selector).inner_text(timeout=5_000)).strip()


def money_text(minor_units: int, currency: str) -> str:
    return f"{minor_units / 100:,.2f} {currency}"


async def test_show_rate_and_funnel_follow_the_period(reported: System, console: Page) -> None:
    system = reported

    async def shown(page: Page, answers: tuple[dict, dict]) -> None:
        rates, funnel = answers
        assert await cell(page, '[data-figure="total_meetings"]') == str(rates["total_meetings"])
        known = rates["show_rate"]
        expected_rate = "-" if known is None else f"{known * 100:.1f} %"
        assert await cell(page, '[data-figure="show_rate"]') == expected_rate
        for key in ("total_leads", "meetings_booked", "deals_created", "deals_won"):
            assert await cell(page, f'[data-figure="{key}"]') == f"{funnel[key]:,}"
        assert await cell(page, '[data-figure="total_won_value"]') == money_text(
            funnel["total_won_value"], funnel["currency"]
        )

    for days in (30, 365):

        async def answer(days: int = days) -> tuple[dict, dict]:
            return (
                await system.get("meetings", "/v1/analytics/show-rate", days=days),
                await system.get("attribution", "/v1/reports/funnel", days=days),
            )

        rates, funnel = await shows_what_the_api_answers(
            console, f"/reports?days={days}", answer, shown
        )
        assert funnel["deals_won"] >= 1
        assert funnel["total_won_value"] >= 1_200_000
        assert rates["days"] == days
        await expect(console.get_by_role("navigation", name="Period").get_by_role(
            "link", name=f"{days} days"
        )).to_have_attribute("aria-current", "true")  # fmt: skip
        chart = console.get_by_role("img", name=f"Funnel, last {days} days")
        await expect(chart).to_be_visible()
        await expect(chart.locator("rect")).to_have_count(5)
    await screenshot(console, "reports show rate and funnel")

    # The period switch is a link the keyboard reaches.
    await console.get_by_role("link", name="90 days").click()
    await expect(console).to_have_url(f"{system.urls['console']}/reports?days=90")


async def test_channel_revenue_follows_model_and_period(reported: System, console: Page) -> None:
    system = reported

    async def shown(page: Page, report: dict) -> None:
        rows = page.locator('[data-testid="channels"] tbody tr[data-channel]')
        assert await rows.count() == len(report["channels"])
        for row in report["channels"]:
            value = await cell(
                page,
                f'[data-testid="channels"] tr[data-channel="{row["channel"]}"] '
                '[data-figure="attributed_value"]',
            )
            assert value == money_text(row["attributed_value"], report["currency"])

    figures = {}
    for model, days in (("linear", 30), ("first_touch", 30), ("first_touch", 365)):

        async def answer(model: str = model, days: int = days) -> dict:
            return await system.get("attribution", "/v1/reports/channels", days=days, model=model)

        await console.goto(f"/reports/channels?days={days}&model=linear")
        if model != "linear":  # switch as a team does: the model link
            await (
                console.get_by_role("navigation", name="Attribution model")
                .get_by_role("link", name="First touch")
                .click()
            )
        if days != 30:
            await (
                console.get_by_role("navigation", name="Period")
                .get_by_role("link", name=f"{days} days")
                .click()
            )
        await expect(console).to_have_url(
            f"{system.urls['console']}/reports/channels?days={days}&model={model}"
        )
        figures[(model, days)] = await shows_what_the_api_answers(
            console, f"/reports/channels?days={days}&model={model}", answer, shown
        )
        chart = console.get_by_role(
            "img",
            name=f"Revenue by channel ({model.replace('_', ' ').capitalize()}), last {days} days",
        )
        await expect(chart).to_be_visible()
        await screenshot(console, f"reports channels {model} {days} days")

    # Linear splits the won deal between its channels; first touch gives it all to the ad.
    linear = {r["channel"]: r["attributed_value"] for r in figures[("linear", 30)]["channels"]}
    first = {r["channel"]: r["attributed_value"] for r in figures[("first_touch", 30)]["channels"]}
    assert linear != first

    # The comparison shows every model the tenant runs, as attribution compares them.
    settings = await system.get("attribution", "/v1/settings")
    compared = await system.get(
        "attribution", "/v1/reports/compare", days=365, models=",".join(settings["models"])
    )
    table = console.locator('[data-testid="compare"]')
    for model in compared["models"]:
        await expect(table.locator("thead")).to_contain_text(model.replace("_", " ").capitalize())
    paid = next(r for r in compared["channels"] if r["channel"] == "Paid Search")
    await expect(
        table.locator('tr[data-channel="Paid Search"] td[data-model="first_touch"]')
    ).to_have_text(money_text(paid["models"]["first_touch"]["attributed_value"], "EUR"))
    await expect(
        console.get_by_role("img", name="Revenue by channel under each model, last 365 days")
    ).to_be_visible()


async def test_lost_deals_by_reason(reported: System, console: Page) -> None:
    system = reported

    async def answer() -> dict:
        return await system.get("deals", "/v1/analytics/lost", days=90)

    async def shown(page: Page, lost: dict) -> None:
        assert await cell(page, '[data-figure="total_lost"]') == str(lost["total_lost"])
        for reason in lost["reasons"]:
            count = await cell(page, f'tr[data-reason="{reason["reason"]}"] [data-figure="count"]')
            assert count == str(reason["count"])

    lost = await shows_what_the_api_answers(console, "/reports/lost?days=90", answer, shown)
    assert any(r["reason"] == "price_too_high" for r in lost["reasons"])
    await expect(
        console.get_by_role("img", name="Lost deals by reason, last 90 days")
    ).to_be_visible()
    await screenshot(console, "reports lost deals")


async def test_reports_are_readable_on_a_phone(reported: System, browser: Browser) -> None:
    async with signed_in(browser, reported, PHONE) as page:
        for path, name in (
            ("/reports?days=30", "show rate and funnel"),
            ("/reports/channels?days=30&model=linear", "channels"),
            ("/reports/lost?days=90", "lost deals"),
        ):
            await page.goto(path)
            await expect(page.get_by_role("heading", name="Reports")).to_be_visible()
            # No sideways scrolling of the page: wide tables scroll in their own box.
            page_width = await page.evaluate("document.documentElement.scrollWidth")
            assert page_width <= 390, (path, page_width)
            await screenshot(page, f"reports {name} 390px")


async def test_a_deal_won_in_another_currency_asks_for_its_rate_then_counts(
    system: System, stack: Stack, browser: Browser
) -> None:
    """A team wins a deal in another currency than its own: the reports name the missing rate
    instead of failing, its link opens the rate form filled in, and once the rate is saved the
    deal is counted at it. (A tenant of its own: the shared tenant's reports keep converting.)"""
    tenant = await new_tenant(system, stack, "fx")
    home = (await tenant.get("attribution", "/v1/reports/funnel", days=30))["currency"]
    foreign = "EUR" if home != "EUR" else "USD"
    pair = f"{foreign} to {home}"
    domain = company()
    booking = calcom("BOOKING_CREATED", uid=uuid.uuid4().hex, email=f"al@{domain}", start=soon(1))
    assert (await tenant.webhook("calcom", booking)).status_code == 202
    [deal] = await deals_of(tenant, domain)
    in_foreign = await tenant.http.patch(
        f"{tenant.urls['deals']}/v1/deals/{deal['deal_id']}",
        json={"currency": foreign},
        headers=tenant.auth,
    )
    assert in_foreign.status_code == 200, in_foreign.text
    won = await tenant.post("deals", f"/v1/deals/{deal['deal_id']}/won", {"value": "1000"})
    assert won.status_code == 200, won.text
    today = datetime.now(UTC).date().isoformat()

    async with signed_in(browser, tenant) as page:

        async def asks_for_the_rate() -> bool:
            await page.goto("/reports?days=30")
            return await page.get_by_test_id("missing-rates").count() == 1

        await eventually(asks_for_the_rate, within=60, what=f"the funnel asking for {pair}")
        missing = page.get_by_test_id("missing-rates")
        await expect(missing).to_contain_text(f"{pair} on {today}")
        # The rest of the page stands: the show rate comes from meetings.
        await expect(page.get_by_test_id("show-rate")).to_be_visible()
        await screenshot(page, "reports missing exchange rate")

        # The funnel asks as soon as the deal is in the other currency (its pipeline value);
        # the channel report only once the won deal's run is stored, a later event.
        async def channels_ask_for_the_rate() -> bool:
            await page.goto("/reports/channels?days=30")
            return await page.get_by_test_id("missing-rates").count() == 1

        await eventually(channels_ask_for_the_rate, within=60, what=f"channels asking for {pair}")
        await expect(page.get_by_test_id("missing-rates")).to_contain_text(f"{pair} on {today}")

        await page.get_by_role("link", name="add this rate").first.click()
        await expect(page.get_by_label("From currency (e.g. USD)")).to_have_value(foreign)
        await expect(page.get_by_label("To currency")).to_have_value(home)
        await expect(page.get_by_label("In effect from (date)")).to_have_value(today)
        await page.get_by_label("1 from-currency is, in the to-currency").fill("0.9")
        await screenshot(page, "settings exchange rates")
        await page.get_by_role("button", name="Save rate").click()
        await expect(page.get_by_test_id("saved")).to_be_visible()
        await expect(page.get_by_test_id("rates")).to_contain_text(f"0.9 {home}")
        rates = await tenant.get("attribution", "/v1/settings/currency-rates")
        assert rates["rates"] == [
            {"base": foreign, "quote": home, "rate": "0.9", "effective_from": today}
        ]

        await page.goto("/reports?days=30")
        await expect(page.get_by_test_id("missing-rates")).to_have_count(0)
        await expect(page.locator('[data-figure="total_won_value"]')).to_have_text(f"900.00 {home}")
        await page.goto("/reports/channels?days=30")
        await expect(page.get_by_test_id("channels")).to_be_visible()

        # A rate the service refuses is said in its words, and nothing is saved.
        await page.goto("/settings/currency")
        await page.get_by_label("From currency (e.g. USD)").fill(foreign)
        await page.get_by_label("1 from-currency is, in the to-currency").fill("-1")
        await page.get_by_label("In effect from (date)").fill(today)
        await page.get_by_role("button", name="Save rate").click()
        await expect(page.get_by_text("must be a positive number")).to_be_visible()
        assert len((await tenant.get("attribution", "/v1/settings/currency-rates"))["rates"]) == 1
