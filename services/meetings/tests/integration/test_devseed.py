"""`make run`'s seed: the demo tenant's pre-call sequence (72 h, 24 h, 2 h before), seeded before
the tenant feed has announced the tenant, kept by every later TenantChanged and by a second seed.
Seeded here for a tenant of the test's own."""

import uuid
from datetime import UTC, datetime, timedelta

from dealflow_libs.auth import hash_api_key
from dealflow_libs.tenants import record_tenant_changes
from dealflow_libs.testing.factories import booking_event
from dealflow_libs.testing.tenants import TenantCredentials
from dealflow_schemas.tenants import TenantChanged
from meetings.config import MeetingsSettings
from meetings.devseed import PRE_CALL_SEQUENCE, seed

from .test_reminders import book, meeting_of, reminder_rows


def announced(tenant: TenantCredentials, *, name: str, at: datetime) -> TenantChanged:
    return TenantChanged(
        tenant_id=tenant.id,
        name=name,
        api_key_hashes=[hash_api_key(tenant.api_key)],
        default_currency="EUR",
        changed_at=at,
    )


async def feed(uow_factory, change: TenantChanged) -> None:
    await record_tenant_changes(uow_factory("meetings-tenants"), [(str(uuid.uuid4()), change)])


def fresh_tenant() -> TenantCredentials:
    return TenantCredentials(id=f"seed-{uuid.uuid4().hex[:8]}", api_key=f"key-{uuid.uuid4().hex}")


async def offsets(client, tenant: TenantCredentials) -> list[int]:
    answer = await client.get("/v1/settings", headers=tenant.auth)
    assert answer.status_code == 200, answer.text
    return answer.json()["reminder_offsets_minutes"]


async def test_seeded_before_the_feed_the_sequence_survives_every_tenant_change(
    client, uow_factory, meetings_settings: MeetingsSettings
) -> None:
    tenant = fresh_tenant()
    await seed(meetings_settings.own_database_url, tenant_id=tenant.id)

    now = datetime.now(UTC)
    await feed(uow_factory, announced(tenant, name="Demo", at=now))
    assert await offsets(client, tenant) == list(PRE_CALL_SEQUENCE)
    await feed(uow_factory, announced(tenant, name="Demo renamed", at=now + timedelta(seconds=1)))
    assert await offsets(client, tenant) == list(PRE_CALL_SEQUENCE)
    async with uow_factory() as uow:
        profile = (await uow.tenants.profiles([tenant.id]))[tenant.id]
    assert profile.default_currency == "EUR"  # the feed's columns are the feed's

    start = (now + timedelta(days=4)).replace(microsecond=0)
    booking = booking_event(tenant_id=tenant.id, email="pat@acme.com", start=start)
    await book(uow_factory, booking)
    meeting = await meeting_of(uow_factory, tenant.id, booking.booking_uid)
    planned = [
        (r["offset_minutes"], r["due_at"]) for r in await reminder_rows(uow_factory, meeting.id)
    ]
    assert planned == [(m, start - timedelta(minutes=m)) for m in PRE_CALL_SEQUENCE]


async def test_settings_saved_since_are_kept_by_the_next_seed(
    client, uow_factory, meetings_settings: MeetingsSettings
) -> None:
    tenant = fresh_tenant()
    await feed(uow_factory, announced(tenant, name="Known first", at=datetime.now(UTC)))
    await seed(meetings_settings.own_database_url, tenant_id=tenant.id)
    assert await offsets(client, tenant) == list(PRE_CALL_SEQUENCE)

    saved = await client.put(
        "/v1/settings", json={"reminder_offsets_minutes": [60]}, headers=tenant.auth
    )
    assert saved.status_code == 200, saved.text
    await seed(meetings_settings.own_database_url, tenant_id=tenant.id)  # make run again

    assert await offsets(client, tenant) == [60]


async def test_a_placeholder_row_authenticates_nobody(
    client, meetings_settings: MeetingsSettings
) -> None:
    tenant = fresh_tenant()
    await seed(meetings_settings.own_database_url, tenant_id=tenant.id)

    assert (await client.get("/v1/settings", headers=tenant.auth)).status_code == 401
