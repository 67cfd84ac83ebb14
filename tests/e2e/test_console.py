"""The console in a real browser (Debian's Chromium, headless) against the running system: a
team signs in, watches a booking arrive on the board, and closes the deal."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from dealflow_libs.testing.browser import screenshot
from dealflow_libs.testing.waiting import eventually
from ingest.samples.builders import calcom

from .conftest import PHONE, System

pytestmark = pytest.mark.e2e


async def book(system: System) -> tuple[str, str]:
    """A signed Cal.com booking from a new company; answers (domain, deal id) once the deal is."""
    domain = f"board-{uuid.uuid4().hex[:6]}.com"
    start = datetime.now(UTC) + timedelta(days=2)
    booking = calcom("BOOKING_CREATED", uid=uuid.uuid4().hex, email=f"ann@{domain}", start=start)
    response = await system.webhook("calcom", booking)
    assert response.status_code == 202, response.text

    async def deal_id() -> str | None:
        found = await system.get("deals", "/v1/deals", company_domain=domain)
        return found["items"][0]["deal_id"] if found["items"] else None

    return domain, await eventually(deal_id, within=60, what=f"the deal of {domain}")


async def test_a_wrong_api_key_cannot_sign_in(system: System, browser: Browser) -> None:
    context = await browser.new_context(base_url=system.urls["console"])
    page = await context.new_page()
    await page.goto("/board")
    await expect(page).to_have_url(f"{system.urls['console']}/login?next=/board")

    await page.get_by_label("API key").fill("not-the-key")
    await page.get_by_role("button", name="Sign in").click()

    await expect(page.get_by_role("alert")).to_contain_text("not valid")
    await screenshot(page, "sign-in refused")
    assert (await context.cookies()) == [] or all(
        c["name"] != "dealflow_session" for c in await context.cookies()
    )
    await page.goto("/board")
    await expect(page).to_have_url(f"{system.urls['console']}/login?next=/board")
    await context.close()


async def test_a_form_without_its_csrf_token_is_refused(system: System, console: Page) -> None:
    _, deal_id = await book(system)
    cookies = {c["name"]: c["value"] for c in await console.context.cookies()}

    async with httpx.AsyncClient(base_url=system.urls["console"], cookies=cookies) as http:
        refused = await http.post(f"/deals/{deal_id}/won", data={"value": "1000"})
        wrong = await http.post(
            f"/deals/{deal_id}/won", data={"value": "1000", "csrf_token": "guessed"}
        )
        signed_out = await http.post("/logout")

    assert (refused.status_code, wrong.status_code, signed_out.status_code) == (403, 403, 403)
    assert "security token" in refused.text
    deal = await system.get("deals", f"/v1/deals/{deal_id}")
    assert deal["status"] == "active"


async def test_a_booking_appears_on_the_board_and_is_won(system: System, console: Page) -> None:
    await console.goto("/board")
    _, deal_id = await book(system)
    card = console.locator(f'[data-deal-id="{deal_id}"]')

    # No reload: the board refreshes itself.
    await expect(card).to_be_visible(timeout=30_000)
    await expect(console.locator('[data-stage="booked"]').locator(card)).to_be_visible()
    await screenshot(console, "board with a new booking")

    await card.get_by_label("Move").select_option("proposal")
    await card.get_by_role("button", name="Move").click()
    await expect(console.locator('[data-stage="proposal"]').locator(card)).to_be_visible()

    await card.get_by_role("button", name="Won").click()
    dialog = console.locator("#won-dialog")
    await expect(dialog).to_be_visible()
    await dialog.get_by_label("Value").fill("12500")
    await dialog.get_by_role("button", name="Mark won").click()
    await expect(card).to_have_count(0)

    deal = await system.get("deals", f"/v1/deals/{deal_id}")
    assert (deal["status"], Decimal(deal["value"])) == ("won", Decimal("12500"))


async def test_the_board_totals_are_the_pipeline_summary(system: System, console: Page) -> None:
    await book(system)
    await console.goto("/board")
    summary = await system.get("deals", "/v1/pipeline")

    weighted = await console.get_by_test_id("pipeline-weighted").inner_text()
    total = await console.get_by_test_id("pipeline-total").inner_text()

    assert Decimal(total.replace(",", "")) == Decimal(summary["total_value"])
    assert Decimal(weighted.replace(",", "")) == Decimal(summary["weighted_value"])
    for stage in summary["stages"]:
        column = console.locator(f'[data-stage="{stage["stage"]}"]')
        assert await column.get_by_test_id("count").inner_text() == str(stage["count"])


async def test_lost_needs_a_reason_from_the_list(system: System, console: Page) -> None:
    _, deal_id = await book(system)
    await console.goto("/board")
    card = console.locator(f'[data-deal-id="{deal_id}"]')
    await card.get_by_role("button", name="Lost").click()
    dialog = console.locator("#lost-dialog")
    await dialog.get_by_label("Reason").select_option("chose_competitor")
    await dialog.get_by_label("Notes").fill("Went with the incumbent")
    await dialog.get_by_role("button", name="Mark lost").click()
    await expect(card).to_have_count(0)

    deal = await system.get("deals", f"/v1/deals/{deal_id}")
    assert (deal["status"], deal["lost_reason"], deal["lost_notes"]) == (
        "lost",
        "chose_competitor",
        "Went with the incumbent",
    )


async def test_sign_out_ends_the_session(system: System, console: Page) -> None:
    await console.get_by_role("button", name="Sign out").click()
    await expect(console).to_have_url(f"{system.urls['console']}/login")
    await console.goto("/board")
    await expect(console).to_have_url(f"{system.urls['console']}/login?next=/board")


async def test_the_board_is_readable_on_a_phone(system: System, console: Page) -> None:
    await book(system)
    await console.set_viewport_size(PHONE)
    await console.goto("/board")
    width = await console.evaluate("document.documentElement.scrollWidth")
    await screenshot(console, "board at 390px")
    assert width <= 390
