"""The console's settings in a real browser against the running system and its emulators: a CRM
connected through HubSpot's OAuth consent (and Pipedrive with its key), where deals go, email
templates previewed, reminders and stage probabilities saved; each read back through the
services' APIs, and a refused value shown in the service's own words."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from dealflow_libs.devstack.stack import Stack
from dealflow_libs.testing.browser import screenshot

from .conftest import PHONE, System, connect_hubspot, new_tenant, signed_in

pytestmark = pytest.mark.e2e

#: The Pipedrive emulator's API token (docs/emulators.md).
PIPEDRIVE_TOKEN = "pd-dev-api-token"
#: The Close emulator's API key (docs/emulators.md).
CLOSE_KEY = "close-dev-api-key"


@pytest.fixture(scope="module")
async def restored(system: System) -> AsyncIterator[System]:
    """The tenant's settings as they were before, put back after (the session's other modules
    share the tenant), and no CRM left connected (journeys that want one connect their own)."""
    meetings = await system.get("meetings", "/v1/settings")
    deals = await system.get("deals", "/v1/settings")
    crm = (await system.get("crm_push", "/v1/crm/connection"))["crm"]
    yield system
    for service, path, body in (
        ("meetings", "/v1/settings", meetings),
        ("deals", "/v1/settings", deals),
        ("notifications", "/v1/templates/confirmation", {}),
    ):
        put = await system.http.put(f"{system.urls[service]}{path}", json=body, headers=system.auth)
        assert put.status_code == 200, put.text
    await system.http.delete(
        f"{system.urls['crm_push']}/v1/crm/disconnect", params={"target": "crm"},
        headers=system.auth,
    )  # fmt: skip
    if crm and crm.get("provider") == "hubspot":  # the session's `hubspot` fixture connected it
        await connect_hubspot(system)


#: `window.settled` resolves once htmx has swapped in its next answer.
WATCH_SETTLE = (
    "() => { window.settled = new Promise(done => document.body.addEventListener("
    "'htmx:afterSettle', () => done(true), {once: true})); }"
)


async def disconnected(page: Page) -> None:
    await page.goto("/settings/crm")
    disconnect = page.get_by_role("button", name="Disconnect")
    if await disconnect.count():
        await disconnect.click()
        await expect(page.get_by_role("button", name="Connect HubSpot")).to_be_visible()


async def saved(page: Page) -> None:
    await expect(page.get_by_test_id("saved")).to_be_visible()


async def test_hubspot_connects_through_its_consent_and_deals_go_where_chosen(
    restored: System, console: Page
) -> None:
    system = restored
    await disconnected(console)
    await screenshot(console, "settings crm not connected")

    # The consent happens at HubSpot (the emulator), which sends the browser through crm_push's
    # callback back to the console.
    await console.get_by_role("button", name="Connect HubSpot").click()
    await console.wait_for_url("**/settings/crm?crm_connected=hubspot")
    await expect(console.get_by_test_id("crm-connected")).to_contain_text("connected")
    facts = console.get_by_test_id("crm-connection")
    await expect(facts.locator('[data-fact="provider"]')).to_have_text("Hubspot")
    await expect(facts.locator('[data-fact="status"]')).to_have_text("Connected")
    connection = (await system.get("crm_push", "/v1/crm/connection"))["crm"]
    assert (connection["provider"], connection["status"]) == ("hubspot", "connected")

    pipelines = await system.get("crm_push", "/v1/crm/pipelines")
    users = await system.get("crm_push", "/v1/crm/users")
    pipeline = pipelines[0]
    start, met, won = pipeline["stages"][0], pipeline["stages"][1], pipeline["stages"][-1]
    owner = users[0]
    # Picking a pipeline reloads its stages' selects: choose stages once they are in.
    await console.evaluate(WATCH_SETTLE)
    await console.get_by_label("Pipeline").select_option(pipeline["id"])
    await console.evaluate("window.settled")
    await console.get_by_label("Stage new deals start in").select_option(start["id"])
    await console.get_by_label("Met", exact=True).select_option(met["id"])
    await console.get_by_label("Closed won", exact=True).select_option(won["id"])
    await console.get_by_label("Owner when the meeting's host is not a CRM user").select_option(
        owner["id"]
    )
    await console.get_by_role("button", name="Save CRM settings").click()
    await saved(console)
    await screenshot(console, "settings crm hubspot connected")

    config = (await system.get("crm_push", "/v1/crm/config"))["config"]
    assert (
        config["pipeline_id"],
        config["new_deal_stage_id"],
        config["default_owner_id"],
        {k: config["stage_mapping"].get(k) for k in ("met", "closed_won")},
    ) == (pipeline["id"], start["id"], owner["id"], {"met": met["id"], "closed_won": won["id"]})
    # The page shows what was saved.
    await expect(console.get_by_label("Met", exact=True)).to_have_value(met["id"])

    await console.get_by_role("button", name="Test connection").click()
    await expect(console.locator("#crm-test")).to_contain_text("the connection works")


async def test_a_pipedrive_key_is_checked_saved_masked_and_tested(
    restored: System, console: Page
) -> None:
    system = restored
    await disconnected(console)

    # A key Pipedrive refuses: crm_push's words, nothing saved.
    await console.get_by_label("Pipedrive API token").fill("not-a-pipedrive-token")
    await console.get_by_role("button", name="Connect Pipedrive").click()
    await expect(console.get_by_role("alert")).to_contain_text(
        "crm_push: pipedrive refused the credentials"
    )
    await expect(console.get_by_label("Pipedrive API token")).to_have_value(
        "not-a-pipedrive-token"
    )  # kept, to correct it
    refused = (await system.get("crm_push", "/v1/crm/connection"))["crm"]
    assert refused is None or refused["status"] == "disconnected"
    await screenshot(console, "settings crm pipedrive key refused")

    await console.goto("/settings/crm")
    await console.get_by_label("Pipedrive API token").fill(PIPEDRIVE_TOKEN)
    await console.get_by_role("button", name="Connect Pipedrive").click()
    await console.wait_for_url("**/settings/crm?crm_connected=pipedrive")
    connection = (await system.get("crm_push", "/v1/crm/connection"))["crm"]
    assert (connection["provider"], connection["status"]) == ("pipedrive", "connected")
    credential = console.get_by_test_id("crm-connection").locator('[data-fact="credential"]')
    await expect(credential).to_have_text(connection["credential"])
    assert PIPEDRIVE_TOKEN not in await console.content()

    await console.get_by_role("button", name="Test connection").click()
    await expect(console.locator("#crm-test")).to_contain_text("Pipedrive answered in")
    await screenshot(console, "settings crm pipedrive connected")


async def test_close_connects_with_its_key(restored: System, console: Page) -> None:
    system = restored
    await disconnected(console)
    await console.get_by_label("Close API key").fill(CLOSE_KEY)
    await console.get_by_role("button", name="Connect Close").click()
    await console.wait_for_url("**/settings/crm?crm_connected=close")
    connection = (await system.get("crm_push", "/v1/crm/connection"))["crm"]
    assert (connection["provider"], connection["status"]) == ("close", "connected")
    assert CLOSE_KEY not in await console.content()
    await expect(console.get_by_label("Pipeline")).to_be_visible()  # Close's pipelines, live
    await screenshot(console, "settings crm close connected")


async def test_a_template_preview_renders_and_a_bad_placeholder_is_refused(
    restored: System, console: Page
) -> None:
    system = restored
    await console.goto("/settings/emails?kind=confirmation")
    await console.get_by_label("Subject").fill("Booked: {title} on {date}")
    await console.get_by_label("Plain text body").fill("Hi {attendee_first_name},\n\n{details}")
    await console.get_by_role("button", name="Preview").click()
    subject = console.get_by_test_id("preview-subject")
    await expect(subject).to_contain_text("Booked: ")
    await expect(subject).not_to_contain_text("{title}")
    await expect(console.get_by_test_id("preview-text")).to_contain_text("Hi ")
    # The HTML body is shown as the email, sandboxed.
    html = console.frame_locator('iframe[title="The email as HTML"]').locator("body")
    await expect(html).not_to_be_empty()
    await screenshot(console, "settings emails template preview")

    # The preview is what notifications renders for the same template.
    answer = await system.post(
        "notifications",
        "/v1/templates/confirmation/preview",
        {"template": {"subject": "Booked: {title} on {date}"}},
    )
    assert (await subject.inner_text()) == answer.json()["subject"]

    await console.get_by_label("Subject").fill("Booked: {titel}")
    await console.get_by_role("button", name="Save template").click()
    await expect(console.get_by_role("alert")).to_contain_text(
        "unknown placeholders in subject: {titel}"
    )
    assert (await system.get("notifications", "/v1/templates/confirmation")) is None

    await console.get_by_label("Subject").fill("Booked: {title}")
    await console.get_by_role("button", name="Save template").click()
    await saved(console)
    stored = await system.get("notifications", "/v1/templates/confirmation")
    assert stored["subject"] == "Booked: {title}"
    await expect(console.get_by_label("Subject")).to_have_value("Booked: {title}")


async def test_a_sender_route_notifications_refuses_is_shown_in_its_words(
    restored: System, console: Page
) -> None:
    """Refused, so nothing changes: the session's other modules rely on the tenant having no
    senders until they ask for the mailer (notifications cannot forget a sender table)."""
    system = restored
    before = await system.get("notifications", "/v1/settings/senders")
    await console.goto("/settings/emails")
    await screenshot(console, "settings emails")
    row = len(before["routes"]) if before else 0
    await console.get_by_label(f"Route {row + 1} domain").fill("mail.console-example.com")
    await console.get_by_label(f"Route {row + 1} from address").fill("hi@console-example.com")
    await console.get_by_label("Default from address").fill("team@console-example.com")
    await console.get_by_role("button", name="Save sender routing").click()
    await expect(console.get_by_role("alert")).to_contain_text(
        "'mail.console-example.com' is below its registrable domain 'console-example.com'"
    )
    # The form keeps what was typed, to correct it.
    await expect(console.get_by_label(f"Route {row + 1} domain")).to_have_value(
        "mail.console-example.com"
    )
    assert await system.get("notifications", "/v1/settings/senders") == before


async def test_sender_routes_are_saved_edited_and_removed(
    system: System, stack: Stack, browser: Browser
) -> None:
    """On a tenant of its own (the shared one must keep no sender table): routes by organizer
    domain and the default are saved as typed, read back through notifications, and a route
    is removed by emptying its row."""
    tenant = await new_tenant(system, stack, "senders")
    async with signed_in(browser, tenant) as page:
        await page.goto("/settings/emails")
        for row, (domain, address, name) in enumerate(
            (
                ("revenueengineer.com", "benjamin.crane@revenueengineer.com", "Benjamin Crane"),
                ("substrate.build", "team@substrate.build", ""),
            ),
            start=1,
        ):
            await page.get_by_label(f"Route {row} domain").fill(domain)
            await page.get_by_label(f"Route {row} from address").fill(address)
            await page.get_by_label(f"Route {row} from name").fill(name)
        await page.get_by_label("Default from address").fill("team@outboundsolutions.com")
        await page.get_by_role("button", name="Save sender routing").click()
        await saved(page)

        stored = await tenant.get("notifications", "/v1/settings/senders")
        routes = {r["domain"]: (r["from_address"], r["from_name"]) for r in stored["routes"]}
        assert routes == {
            "revenueengineer.com": ("benjamin.crane@revenueengineer.com", "Benjamin Crane"),
            "substrate.build": ("team@substrate.build", None),
        }
        assert stored["default"]["from_address"] == "team@outboundsolutions.com"
        # The page shows what notifications holds, with blank rows for more.
        await expect(page.get_by_label("Route 1 domain")).not_to_have_value("")
        await screenshot(page, "settings emails saved routes")

        # Emptying a row removes its route (from the page without the notice, so the notice
        # seen next is this save's).
        await page.goto("/settings/emails")
        position = [r["domain"] for r in stored["routes"]].index("substrate.build") + 1
        for field in ("domain", "from address", "from name"):
            await page.get_by_label(f"Route {position} {field}").fill("")
        await page.get_by_role("button", name="Save sender routing").click()
        await saved(page)
        left = await tenant.get("notifications", "/v1/settings/senders")
        assert [r["domain"] for r in left["routes"]] == ["revenueengineer.com"]


async def test_reminder_offsets_are_saved_and_a_bad_one_is_refused(
    restored: System, console: Page
) -> None:
    system = restored
    await console.goto("/settings/meetings")
    for slot, value in enumerate(["4320", "60", "", "", ""], start=1):
        await console.get_by_label(f"Reminder {slot}, minutes before").fill(value)
    await console.get_by_role("button", name="Save reminders").click()
    await saved(console)
    await screenshot(console, "settings meetings")
    found = await system.get("meetings", "/v1/settings")
    assert found["reminder_offsets_minutes"] == [4320, 60]
    await expect(console.get_by_label("Reminder 1, minutes before")).to_have_value("4320")

    await console.get_by_label("Reminder 3, minutes before").fill("0")
    await console.get_by_role("button", name="Save reminders").click()
    await expect(console.get_by_role("alert")).to_contain_text(
        "meetings: reminder_offsets_minutes.2: Input should be greater than or equal to 1"
    )
    assert (await system.get("meetings", "/v1/settings"))["reminder_offsets_minutes"] == [
        4320,
        60,
    ]


async def test_policy_and_stage_probabilities_are_saved_and_a_bad_one_is_refused(
    restored: System, console: Page
) -> None:
    system = restored
    await console.goto("/settings/deals")
    await console.get_by_label("Proposal", exact=True).fill("45")
    await console.get_by_label("Only when a meeting's good outcome asks for one").check()
    await console.get_by_role("button", name="Save deal settings").click()
    await saved(console)
    await screenshot(console, "settings deals")
    found: dict[str, Any] = await system.get("deals", "/v1/settings")
    assert found["stage_probabilities"]["proposal"] == 45
    assert found["policy"] == "on_good_outcome"
    await expect(console.get_by_label("Proposal", exact=True)).to_have_value("45")

    await console.get_by_label("Negotiation", exact=True).fill("150")
    await console.get_by_role("button", name="Save deal settings").click()
    await expect(console.get_by_role("alert")).to_contain_text(
        "deals: stage_probabilities.negotiation: must be 0-100"
    )
    assert (await system.get("deals", "/v1/settings"))["stage_probabilities"]["negotiation"] != 150


async def test_settings_are_usable_on_a_phone(restored: System, browser: Browser) -> None:
    async with signed_in(browser, restored, PHONE) as page:
        for tab in ("crm", "emails", "meetings", "deals"):
            await page.goto(f"/settings/{tab}")
            await expect(page.get_by_role("heading", name="Settings")).to_be_visible()
            # No sideways scrolling of the page: wide tables scroll in their own box.
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, (tab, width)
            await screenshot(page, f"settings {tab} 390px")
