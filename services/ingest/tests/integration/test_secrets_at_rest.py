"""Webhook secrets are sealed in the database, open only with the key ring, and survive rotation."""

import asyncio
import time

import orjson
import pytest
from sqlalchemy import text

from dealflow_libs.db import create_engine, session_factory
from dealflow_libs.migrate import upgrade
from dealflow_libs.secretbox import SecretBox, new_key_spec
from ingest.domain.signatures import signed_headers
from ingest.uow import IngestUnitOfWork
from ingest.use_cases import reseal_secrets, save_tenant

from .test_webhooks import calcom_created


async def _stored(url: str, tenant_id: str) -> tuple[list[str], list[str]]:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            row = (
                await conn.execute(
                    text(
                        "SELECT calcom_secrets, calendly_secrets FROM tenants WHERE tenant_id = :t"
                    ),
                    {"t": tenant_id},
                )
            ).one()
            return list(row[0]), list(row[1])
    finally:
        await engine.dispose()


async def test_stored_secrets_are_sealed_not_plain(tenant, ingest_settings) -> None:
    calcom, calendly = await _stored(ingest_settings.own_database_url, tenant.id)
    assert calcom
    assert calendly
    assert all(s.startswith("v1:") for s in [*calcom, *calendly])
    assert tenant.calcom_secret not in "".join(calcom)
    assert tenant.calendly_secret not in "".join(calendly)


async def test_key_rotation_reseals_with_the_new_primary_key(tenant, ingest_settings) -> None:
    old_ring = ingest_settings.secret_box()
    new_spec = new_key_spec("rotated")
    ring = SecretBox.from_spec(f"{new_spec},{old_ring.keys[0][0]}:{_key_of(ingest_settings)}")
    engine = create_engine(ingest_settings.own_database_url, pool_size=1)
    try:
        changed = await reseal_secrets(IngestUnitOfWork(session_factory(engine), ring))
    finally:
        await engine.dispose()
    assert changed >= 1
    calcom, _ = await _stored(ingest_settings.own_database_url, tenant.id)
    assert all(s.startswith("v1:rotated:") for s in calcom)
    assert SecretBox.from_spec(new_spec).open_all(
        calcom, context=f"ingest/tenant/{tenant.id}/calcom_secret"
    ) == [tenant.calcom_secret]


def _key_of(settings) -> str:  # type: ignore[no-untyped-def]
    return settings.secret_keys.get_secret_value().split(",")[0].split(":", 1)[1]


async def test_secret_sealed_with_a_key_not_in_the_ring_is_not_a_500(
    client, ingest_settings
) -> None:
    engine = create_engine(ingest_settings.own_database_url, pool_size=1)
    stranger = SecretBox.from_spec(new_key_spec("stranger"))
    tenant_id = f"t-stranger-{int(time.time() * 1000)}"
    try:
        await save_tenant(
            IngestUnitOfWork(session_factory(engine), stranger),
            tenant_id=tenant_id,
            calcom_secret="whsec",
        )
    finally:
        await engine.dispose()
    body = orjson.dumps(calcom_created())
    response = await client.post(
        f"/webhooks/calcom/{tenant_id}",
        content=body,
        headers=signed_headers("calcom", body, "whsec", timestamp=int(time.time())),
    )
    # The service cannot open the tenant's secrets (its key ring lacks the key): the sender is
    # told to retry later, and nothing about the secret leaks into the answer.
    assert response.status_code == 503, response.text
    assert "whsec" not in response.text


@pytest.mark.usefixtures("prepared_stack")
async def test_migration_seals_secrets_left_in_plain_text(stack, ingest_settings) -> None:
    from dealflow_libs.migrate import ensure_database

    name = f"dealflow_ingest_plain_{int(time.time() * 1000)}"
    await ensure_database(stack.database_url, name)
    url = ingest_settings.own_database_url.rsplit("/", 1)[0] + f"/{name}"
    await asyncio.to_thread(upgrade, "ingest", url, "0001")
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO tenants (tenant_id, name, calcom_secrets, calendly_secrets, "
                    "api_key_hashes, default_currency, disabled) VALUES ('old', 'Old', "
                    "ARRAY['plain-cal'], ARRAY['plain-cly'], ARRAY[]::text[], 'USD', false)"
                )
            )
    finally:
        await engine.dispose()
    await asyncio.to_thread(upgrade, "ingest", url)
    calcom, calendly = await _stored(url, "old")
    box = ingest_settings.secret_box()
    assert box.open_all(calcom, context="ingest/tenant/old/calcom_secret") == ["plain-cal"]
    assert box.open_all(calendly, context="ingest/tenant/old/calendly_secret") == ["plain-cly"]
