"""The console's deals list and deal page in a real browser against the running system: a
booking's deal with its company, contact, meeting and history; moved from its page; won with
touches behind it, its attribution per model and its push to the CRM."""

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from dealflow_libs.testing.browser import screenshot
from dealflow_libs.testing.waiting import eventually
from ingest.samples.builders import calcom

from .conftest import PHONE, System, send_touches
from .test_console import book

pytestmark = pytest.mark.e2e


async def no_page_scroll(page: Page, width: int) -> None:
    assert await page.evaluate("document.documentElement.scrollWidth") <= width


async def test_a_booking_on_the_list_its_page_and_a_move_from_there(
    system: System, console: Page
) -> None:
    domain, deal_id = await book(system)

    await console.goto("/deals")
    await console.get_by_label("Company domain").fill(domain)
    await console.get_by_role("button", name="Filter").click()
    row = console.locator(f'tr[data-deal-id="{deal_id}"]')
    await expect(row).to_contain_text(domain)
    await expect(row).to_contain_text("Booked")
    await expect(console.locator("tbody tr")).to_have_count(1)
    await screenshot(console, "deals list")

    await row.get_by_role("link").click()
    await expect(console).to_have_url(f"{system.urls['console']}/deals/{deal_id}")
    await expect(console.get_by_test_id("company")).to_contain_text(domain)
    await expect(console.get_by_test_id("contacts")).to_contain_text(f"ann@{domain}")
    meeting = console.get_by_test_id("meetings").get_by_role("link").first
    [linked] = (await system.get("deals", f"/v1/deals/{deal_id}"))["meetings"]
    await expect(meeting).to_have_attribute("href", f"/meetings/{linked['meeting_id']}")
    trail = console.get_by_test_id("meetings").get_by_role("link", name="Booking trail")
    await expect(trail).to_have_attribute("href", f"/meetings/{linked['meeting_id']}/trail")
    history = console.get_by_test_id("history").locator("li")
    await expect(history).to_have_count(1)
    await expect(history.first).to_contain_text("Created")
    await expect(console.get_by_test_id("days-in-stage")).to_have_text("0 days")

    # A refusal is the service's own words, with the way back to the deal.
    await console.get_by_role("button", name="Mark won").click()
    await expect(console.get_by_role("alert")).to_contain_text("a won deal needs a value")
    await console.get_by_role("link", name="Back").click()
    await expect(console).to_have_url(f"{system.urls['console']}/deals/{deal_id}")

    await console.get_by_label("Move to stage").select_option("proposal")
    await console.get_by_role("button", name="Move", exact=True).click()

    await expect(console).to_have_url(f"{system.urls['console']}/deals/{deal_id}")
    await expect(console.get_by_test_id("deal-stage")).to_have_text("Proposal")
    await expect(history).to_have_count(2)
    await expect(history.last).to_contain_text("Booked → Proposal")
    await screenshot(console, "deal page")

    await console.goto("/board")
    card = console.locator(f'[data-stage="proposal"] [data-deal-id="{deal_id}"]')
    await expect(card).to_contain_text("0 days in stage")

    # The deal's booking, one trail: from the deal page to the booking that created it.
    await console.goto(f"/deals/{deal_id}")
    await console.get_by_role("link", name="Booking trail").click()
    await expect(console).to_have_url(re.compile(r"/bookings/[^/]+$"))
    await expect(console.get_by_role("heading", name="Booking trail")).to_be_visible()


async def test_the_list_pages_on_with_the_services_cursor_keeping_its_filters(
    system: System, console: Page
) -> None:
    await book(system)
    await book(system)
    await console.goto("/deals?status=active&limit=1")
    rows = console.locator("tbody tr")
    await expect(rows).to_have_count(1)
    first = await rows.first.get_attribute("data-deal-id")

    await console.get_by_role("link", name="Next page").click()

    await expect(console).to_have_url(re.compile(r"/deals\?status=active&limit=1&cursor=."))
    await expect(rows).to_have_count(1)
    assert await rows.first.get_attribute("data-deal-id") != first
    await expect(console.get_by_label("Status")).to_have_value("active")
    await console.get_by_role("link", name="First page").click()
    await expect(console).to_have_url(f"{system.urls['console']}/deals?status=active&limit=1")


async def test_the_list_and_the_deal_page_are_readable_on_a_phone(
    system: System, console: Page
) -> None:
    domain, deal_id = await book(system)
    await console.set_viewport_size(PHONE)

    await console.goto("/deals")
    await expect(console.locator(f'tr[data-deal-id="{deal_id}"]')).to_be_visible()
    await screenshot(console, "deals list at 390px")
    await no_page_scroll(console, 390)

    await console.goto(f"/deals/{deal_id}")
    await expect(console.get_by_test_id("company")).to_contain_text(domain)
    await screenshot(console, "deal page at 390px")
    await no_page_scroll(console, 390)


async def test_a_won_deal_shows_its_attribution_per_model_and_its_crm_push(
    hubspot: System, console: Page
) -> None:
    system = hubspot
    domain = f"won-{uuid.uuid4().hex[:6]}.com"
    email = f"jane@{domain}"
    await send_touches(system, domain, email)
    start = datetime.now(UTC) + timedelta(days=1)
    booking = calcom("BOOKING_CREATED", uid=uuid.uuid4().hex, email=email, start=start)
    assert (await system.webhook("calcom", booking)).status_code == 202

    async def attributed_deal() -> str | None:
        """The deal once it shows its meeting's journey (the touches were counted)."""
        found = await system.get("deals", "/v1/deals", company_domain=domain)
        ready = [d for d in found["items"] if d["touches_before_deal"] is not None]
        return ready[0]["deal_id"] if ready else None

    deal_id = await eventually(attributed_deal, within=90, what=f"the journey of {domain}'s deal")

    await console.goto(f"/deals/{deal_id}")
    await console.get_by_label("Won value").fill("30000")
    await console.get_by_role("button", name="Mark won").click()
    await expect(console).to_have_url(f"{system.urls['console']}/deals/{deal_id}")
    await expect(console.get_by_test_id("deal-status")).to_have_text("Won")
    await expect(console.get_by_test_id("history").locator("li").last).to_contain_text("Won")

    await eventually(
        lambda: _ok(system, "attribution", f"/v1/deals/{deal_id}/attribution", model="linear"),
        within=90,
        what="the won deal's linear attribution",
    )
    await eventually(
        lambda: _succeeded_deal_push(system, deal_id), within=90, what="the deal's HubSpot push"
    )
    await console.goto(f"/deals/{deal_id}")

    # A bar per touch: the two touches and the meeting itself, each in the table too.
    await expect(console.locator("#attribution-chart rect")).to_have_count(3)
    await expect(console.get_by_test_id("attribution-touches").locator("tbody tr")).to_have_count(3)
    for touch_id in (f"{domain}-ad", f"{domain}-reply"):
        bar = console.locator(f'[data-touch-id="{touch_id}"]')
        await expect(bar).to_contain_text("33.3%")
        await expect(bar).to_contain_text("10,000.00 EUR")
    await expect(console.locator(f'[data-touch-id="{domain}-ad"]')).to_contain_text("Paid Search")

    pushed = console.locator(
        '[data-testid="crm-pushes"] tr[data-entity="deal"][data-status="succeeded"]'
    )
    await expect(pushed).not_to_have_count(0)
    await expect(pushed.first).to_contain_text("Hubspot")
    await expect(pushed.first).to_contain_text("Deal")  # the CRM's deal id is shown
    await screenshot(console, "won deal with attribution and CRM sync")

    await (
        console.get_by_role("navigation", name="Attribution model")
        .get_by_role("link", name="First touch")
        .click()
    )
    await expect(console).to_have_url(
        f"{system.urls['console']}/deals/{deal_id}?model=first_touch#attribution"
    )
    await expect(console.locator(f'[data-touch-id="{domain}-ad"]')).to_contain_text("100.0%")
    await screenshot(console, "won deal under first touch")


async def _ok(system: System, service: str, path: str, **params: Any) -> bool:
    response = await system.http.get(
        f"{system.urls[service]}{path}", params=params, headers=system.auth
    )
    return response.status_code == 200


async def _succeeded_deal_push(system: System, deal_id: str) -> bool:
    pushes = await system.get("crm_push", "/v1/crm/pushes", deal_id=deal_id)
    return any(p["entity"] == "deal" and p["status"] == "succeeded" for p in pushes["items"])


async def test_retrying_a_push_needs_the_csrf_token_and_shows_crm_push_refusals(
    system: System, console: Page
) -> None:
    """The retry route needs the session's token like every change; with it, crm_push's answer
    (here: no such push) is shown in its own words."""
    _, deal_id = await book(system)
    await console.goto(f"/deals/{deal_id}")
    token = await console.locator('input[name="csrf_token"]').first.input_value()
    cookies = {c["name"]: c["value"] for c in await console.context.cookies()}
    unknown = uuid.uuid4()
    async with httpx.AsyncClient(base_url=system.urls["console"], cookies=cookies) as http:
        refused = await http.post(f"/deals/{deal_id}/crm/{unknown}/retry")
        missing = await http.post(
            f"/deals/{deal_id}/crm/{unknown}/retry", data={"csrf_token": token}
        )
    assert refused.status_code == 403
    assert missing.status_code == 404
    assert f"crm_push: no push {unknown}" in missing.text
