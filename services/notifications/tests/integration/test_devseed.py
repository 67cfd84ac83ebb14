"""`make run`'s seed: the demo tenant sends through the Resend emulator with the demo sender
table, so its first booking's confirmation is in the emulator. Seeded here for a tenant of the
test's own."""

import uuid

import httpx

from dealflow_emulators.resend import ResendConfig
from dealflow_libs.testing.tenants import TenantCredentials
from notifications.config import NotificationsSettings
from notifications.devseed import RESEND_API_KEY, RESEND_WEBHOOK_SECRET, seed
from notifications.domain.senders import DEMO_SENDERS
from notifications.settings_store import ResendSettings, tenant_config

from .conftest import Publish, ResendControl
from .test_sending import booking, emails_to


def test_the_seeded_secrets_are_the_emulators() -> None:
    emulator = ResendConfig()
    assert RESEND_API_KEY in emulator.api_keys
    assert emulator.webhook_secret == RESEND_WEBHOOK_SECRET


async def test_the_seeded_tenant_sends_its_confirmation_through_the_emulator(
    api: httpx.AsyncClient,
    tenant: TenantCredentials,
    notify_settings: NotificationsSettings,
    emulator: ResendControl,
    publish: Publish,
    uow_factory,  # type: ignore[no-untyped-def]
) -> None:
    await seed(notify_settings.own_database_url, tenant_id=tenant.id)
    await seed(notify_settings.own_database_url, tenant_id=tenant.id)  # again: changes nothing

    assert (await api.get("/v1/settings/senders")).json() == DEMO_SENDERS.model_dump(mode="json")
    transport = await api.get("/v1/settings/transport")
    assert transport.json() == {
        "kind": "resend",
        "settings": {"kind": "resend", "api_key": "****", "webhook_secret": "****"},
    }
    async with uow_factory() as uow:
        row = (await uow.notifications.settings_of([tenant.id]))[tenant.id]
    stored = tenant_config(row).transport
    assert stored is not None
    assert RESEND_API_KEY not in str(stored.values)  # sealed at rest
    assert stored.opened(notify_settings.secret_box(), tenant.id) == ResendSettings(
        api_key=RESEND_API_KEY, webhook_secret=RESEND_WEBHOOK_SECRET
    )

    attendee = f"newcomer-{uuid.uuid4().hex[:6]}@prospect.io"
    await publish(booking(tenant.id, attendee))
    (confirmation,) = await emails_to(emulator, attendee)
    assert confirmation["from"] == "benjamin.crane@revenueengineer.com"


async def test_settings_changed_since_the_seed_are_kept(
    api: httpx.AsyncClient, tenant: TenantCredentials, notify_settings: NotificationsSettings
) -> None:
    await seed(notify_settings.own_database_url, tenant_id=tenant.id)
    own = {"routes": [], "default": {"from_address": "hello@acme.com"}}
    saved = await api.put("/v1/settings/senders", json=own)
    assert saved.status_code == 200, saved.text
    smtp = {"kind": "smtp", "host": "smtp.acme.com", "port": 587, "password": "app-password"}
    assert (await api.put("/v1/settings/transport", json=smtp)).status_code == 200

    await seed(notify_settings.own_database_url, tenant_id=tenant.id)

    senders = (await api.get("/v1/settings/senders")).json()
    assert senders["default"]["from_address"] == "hello@acme.com"
    assert (await api.get("/v1/settings/transport")).json()["kind"] == "smtp"
