"""The whole system as `make run` starts it: one process per service, real PostgreSQL and broker,
and the provider emulators (one process) standing in for HubSpot, Pipedrive, Close, Notion and
Resend.

Tests talk to it only as its users do: signed webhooks, HTTP APIs and Kafka topics; the
emulators are looked at through their control endpoints (`/_emulator/state`).
"""

import asyncio
import contextlib
import dataclasses
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
import orjson
import pytest
from playwright.async_api import Browser, Page

from dealflow_libs.devstack.__main__ import start_services, stop_processes
from dealflow_libs.devstack.emulators import LocalEmulators, emulator_env
from dealflow_libs.devstack.services import installed_services
from dealflow_libs.devstack.stack import Stack
from dealflow_libs.testing.browser import chromium
from dealflow_libs.testing.devstack import free_emulator_base
from dealflow_libs.testing.kafka import TopicProbe
from dealflow_libs.testing.otlp import OtlpCollector, otlp_collector
from dealflow_libs.testing.servers import free_port
from dealflow_libs.testing.waiting import eventually
from dealflow_schemas.attribution import ATTRIBUTION_TOPIC
from dealflow_schemas.deals import DEALS_TOPIC
from ingest.domain.signatures import signed_headers
from ingest.samples.builders import calcom

T = TypeVar("T")

#: The e2e tenant's own personal mailbox domain (not in the built-in list).
PERSONAL_DOMAIN = "family-mail.org"

#: The HubSpot emulator's private-app token (docs/emulators.md).
HUBSPOT_TOKEN = "pat-na1-dealflow-dev"

#: The Resend emulator's API key and webhook signing secret (docs/emulators.md).
RESEND_API_KEY = "re_dev_api_key"
RESEND_WEBHOOK_SECRET = "whsec_ZGVhbGZsb3ctZGV2LXJlc2VuZC13ZWJob29rLWtleSE="

#: The e2e tenant's sender routing: an organizer's registrable domain -> from-address.
SENDERS = {
    "routes": [
        {"domain": "revenueengineer.com", "from_address": "benjamin.crane@revenueengineer.com"},
        {"domain": "outboundsolutions.com", "from_address": "team@outboundsolutions.com"},
    ],
    "default": {"from_address": "team@outboundsolutions.com"},
}


@dataclass
class System:
    urls: dict[str, str]
    tenant: str
    calcom_secret: str
    calendly_secret: str
    api_key: str
    http: httpx.AsyncClient
    emulators: dict[str, str]

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    async def webhook(self, provider: str, body: dict[str, Any]) -> httpx.Response:
        raw = orjson.dumps(body)
        secret = self.calcom_secret if provider == "calcom" else self.calendly_secret
        headers = signed_headers(provider, raw, secret, timestamp=int(time.time()))
        return await self.http.post(
            f"{self.urls['ingest']}/webhooks/{provider}/{self.tenant}", content=raw, headers=headers
        )

    async def get(self, service: str, path: str, **params: Any) -> Any:
        response = await self.http.get(
            f"{self.urls[service]}{path}", params=params, headers=self.auth
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def post(
        self, service: str, path: str, body: dict[str, Any] | None = None
    ) -> httpx.Response:
        return await self.http.post(
            f"{self.urls[service]}{path}", json=body or {}, headers=self.auth
        )

    async def emulated(self, name: str) -> dict[str, list[dict[str, Any]]]:
        """What an emulator holds, per object type."""
        response = await self.http.get(f"{self.emulators[name]}/_emulator/state")
        assert response.status_code == 200, response.text
        objects: dict[str, list[dict[str, Any]]] = response.json()["objects"]
        return objects


@pytest.fixture(scope="session")
async def collector() -> AsyncIterator[OtlpCollector]:
    """Receives the services' traces: the journeys run with tracing on."""
    async with otlp_collector() as running:
        yield running


@pytest.fixture(scope="session")
def emulators(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The provider emulators as `make run` runs them, on ports of their own: name -> URL."""
    running = LocalEmulators(
        free_emulator_base(), tmp_path_factory.mktemp("emulators") / "emulators.log"
    )
    running.start()
    try:
        yield running.urls
    finally:
        running.stop()


@pytest.fixture(scope="session")
async def system(
    stack: Stack,
    prepared_stack: dict[str, str],
    collector: OtlpCollector,
    emulators: dict[str, str],
) -> AsyncIterator[System]:
    services = installed_services()
    ports = {spec.name: free_port() for spec in services}
    env = {
        "DEALFLOW_OTEL_ENDPOINT": collector.url,
        "OTEL_BSP_SCHEDULE_DELAY": "200",
        **emulator_env(emulators, f"http://127.0.0.1:{ports['crm_push']}"),
    }
    processes = await asyncio.to_thread(
        start_services, stack, services, ports=ports, quiet=True, extra_env=env
    )
    suffix = uuid.uuid4().hex[:6]
    tenant, calcom_secret, calendly_secret, api_key = (
        f"e2e-{suffix}",
        f"cal-{suffix}",
        f"cly-{suffix}",
        f"key-{suffix}",
    )
    await create_tenant(
        stack,
        tenant,
        calcom_secret,
        calendly_secret,
        api_key,
        "--currency",
        "EUR",
        "--personal-domain",
        PERSONAL_DOMAIN,
    )
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    try:
        async with httpx.AsyncClient(timeout=15) as http:
            system = System(urls, tenant, calcom_secret, calendly_secret, api_key, http, emulators)

            async def keys_known() -> bool:
                answers = [
                    await http.get(f"{urls[s]}/v1/settings", headers=system.auth)
                    for s in ("meetings", "deals")
                ]
                return all(a.status_code == 200 for a in answers)

            await eventually(keys_known, within=60, what="tenant known to meetings and deals")
            await _warm_up(system)
            yield system
    finally:
        await asyncio.to_thread(stop_processes, processes)


async def _warm_up(system: System) -> None:
    """One booking through every hop before the first test: freshly started services join their
    consumer groups and may first work through what earlier test modules left on the topics;
    the tests' own deadlines are for the journey, not for that."""
    domain = f"warmup-{uuid.uuid4().hex[:6]}.com"
    start = datetime.now(UTC) + timedelta(days=3)
    booking = calcom("BOOKING_CREATED", uid=uuid.uuid4().hex, email=f"w@{domain}", start=start)
    response = await system.webhook("calcom", booking)
    assert response.status_code == 202, response.text

    missing: list[str] = []

    async def every_hop_done() -> bool:
        found = await system.get("deals", "/v1/deals", company_domain=domain)
        lead = await system.http.get(
            f"{system.urls['attribution']}/v1/leads/w@{domain}", headers=system.auth
        )
        meetings = await system.get("meetings", "/v1/meetings", attendee_email=f"w@{domain}")
        # The booking's journey back in meetings and deals (0 touches: attributed, not null).
        hops = {
            "meeting": bool(meetings["items"]),
            "deal": bool(found["items"]),
            "lead": lead.status_code == 200,
            "journey on the meeting": bool(meetings["items"])
            and meetings["items"][0]["touches_before_booking"] is not None,
            "journey on the deal": bool(found["items"])
            and found["items"][0]["touches_before_deal"] is not None,
        }
        missing[:] = [hop for hop, done in hops.items() if not done]
        return not missing

    # Generous: the first booking after a cold start waits for every consumer group to join,
    # which takes minutes on a loaded 2-core machine; the message names the hops not done.
    try:
        await eventually(every_hop_done, within=240, what="the warm-up booking's every hop")
    except TimeoutError as error:
        raise TimeoutError(f"{error}; not done: {', '.join(missing)}") from error


async def connect_hubspot(system: System) -> None:
    """The HubSpot emulator connected with its private-app token and configured through
    crm_push's API, as a customer does it."""

    async def crm_push_knows_the_tenant() -> bool:
        response = await system.http.get(
            f"{system.urls['crm_push']}/v1/crm/connection", headers=system.auth
        )
        return response.status_code == 200

    await eventually(crm_push_knows_the_tenant, within=60, what="tenant known to crm_push")
    connected = await system.post(
        "crm_push", "/v1/crm/connect/hubspot", {"private_app_token": HUBSPOT_TOKEN}
    )
    assert connected.status_code == 201, connected.text
    assert HUBSPOT_TOKEN not in connected.text
    config = {
        "pipeline_id": "default",
        "stage_mapping": {
            "booked": "appointmentscheduled",
            "met": "qualifiedtobuy",
            "qualification": "presentationscheduled",
            "closed_won": "closedwon",
            "closed_lost": "closedlost",
        },
    }
    configured = await system.http.put(
        f"{system.urls['crm_push']}/v1/crm/config", json=config, headers=system.auth
    )
    assert configured.status_code == 200, configured.text


@pytest.fixture(scope="session")
async def hubspot(system: System) -> System:
    """The e2e tenant's CRM: the HubSpot emulator (asked for by the journeys that look into the
    CRM, so that the others do not spend the portal's rate limit). A module that changes the
    connection puts it back with `connect_hubspot`."""
    await connect_hubspot(system)
    return system


@pytest.fixture(scope="session")
async def mailer(system: System) -> System:
    """The e2e tenant's emails: senders and the Resend transport (the emulator) set through
    notifications' API as a customer does it. Until then its bookings send nothing (no senders),
    so the journeys that do not look at emails leave the emulator's rate limit alone."""

    async def notifications_knows_the_tenant() -> bool:
        response = await system.http.get(
            f"{system.urls['notifications']}/v1/settings/senders", headers=system.auth
        )
        return response.status_code == 200

    await eventually(
        notifications_knows_the_tenant, within=60, what="tenant known to notifications"
    )
    senders = await system.http.put(
        f"{system.urls['notifications']}/v1/settings/senders", json=SENDERS, headers=system.auth
    )
    assert senders.status_code == 200, senders.text
    transport = await system.http.put(
        f"{system.urls['notifications']}/v1/settings/transport",
        json={"kind": "resend", "api_key": RESEND_API_KEY, "webhook_secret": RESEND_WEBHOOK_SECRET},
        headers=system.auth,
    )
    assert transport.status_code == 200, transport.text
    assert RESEND_API_KEY not in transport.text
    assert RESEND_WEBHOOK_SECRET not in transport.text
    return system


@pytest.fixture(scope="session")
async def deal_stream(stack: Stack, prepared_stack: dict[str, str]) -> AsyncIterator[TopicProbe]:
    async with TopicProbe(stack.kafka_bootstrap, DEALS_TOPIC) as probe:
        yield probe


@pytest.fixture(scope="session")
async def attribution_stream(
    stack: Stack, prepared_stack: dict[str, str]
) -> AsyncIterator[TopicProbe]:
    async with TopicProbe(stack.kafka_bootstrap, ATTRIBUTION_TOPIC) as probe:
        yield probe


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium, headless, for the console's tests."""
    async with chromium() as running:
        yield running


async def sign_in(page: Page, api_key: str) -> None:
    await page.goto("/login")
    await page.get_by_label("API key").fill(api_key)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url("**/board")


#: The desktop and phone widths every page is checked at.
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@contextlib.asynccontextmanager
async def signed_in(
    browser: Browser, system: System, viewport: dict[str, int] = DESKTOP
) -> AsyncIterator[Page]:
    """A console page in a browser context of its own, signed in as `system`'s tenant."""
    context = await browser.new_context(base_url=system.urls["console"], viewport=viewport)
    try:
        page = await context.new_page()
        await sign_in(page, system.api_key)
        yield page
    finally:
        await context.close()


@pytest.fixture
async def console(system: System, browser: Browser) -> AsyncIterator[Page]:
    """A page of the console at 1280 px, signed in as the e2e tenant's team."""
    async with signed_in(browser, system) as page:
        yield page


async def send_touches(system: System, domain: str, email: str) -> None:
    """Two touches of `email` before a booking: a Google ad click 10 days ago (Paid Search) and
    a reply to an email 3 days ago (Outbound Email), ids `<domain>-ad` and `<domain>-reply`."""
    now = datetime.now(UTC)
    touches = [
        {"touch_id": f"{domain}-ad", "person_email": email, "activity_type": "ad_click",
         "occurred_at": (now - timedelta(days=10)).isoformat(),
         "utm_source": "google", "utm_medium": "cpc"},
        {"touch_id": f"{domain}-reply", "person_email": email, "activity_type": "email_replied",
         "occurred_at": (now - timedelta(days=3)).isoformat()},
    ]  # fmt: skip
    posted = await system.post("attribution", "/v1/touches", {"touches": touches})
    assert posted.status_code == 200, posted.text


async def create_tenant(
    stack: Stack,
    tenant: str,
    calcom_secret: str,
    calendly_secret: str,
    api_key: str,
    *options: str,
) -> None:
    """Creates a tenant the way an operator does it: with the CLI."""
    await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "ingest.cli",
            "tenants",
            "create",
            tenant,
            "--calcom-secret",
            calcom_secret,
            "--calendly-secret",
            calendly_secret,
            "--api-key",
            api_key,
            *options,
        ],
        env={**os.environ, **stack.env()},
        check=True,
        capture_output=True,
    )


async def new_tenant(system: System, stack: Stack, name: str) -> System:
    """Another tenant of the running system (its own key and secrets), once every service
    knows it: for a test whose data would change the shared e2e tenant's reports."""
    suffix = uuid.uuid4().hex[:6]
    tenant = dataclasses.replace(
        system,
        tenant=f"{name}-{suffix}",
        api_key=f"key-{name}-{suffix}",
        calcom_secret=f"cal-{name}-{suffix}",
        calendly_secret=f"cly-{name}-{suffix}",
    )
    await create_tenant(
        stack, tenant.tenant, tenant.calcom_secret, tenant.calendly_secret, tenant.api_key
    )

    async def known() -> bool:
        paths = (
            ("meetings", "/v1/settings"),
            ("deals", "/v1/settings"),
            ("attribution", "/v1/leads"),
        )
        answers = [
            await tenant.http.get(f"{tenant.urls[s]}{p}", headers=tenant.auth) for s, p in paths
        ]
        return all(a.status_code == 200 for a in answers)

    await eventually(known, within=60, what=f"tenant {tenant.tenant} known to every service")
    return tenant
