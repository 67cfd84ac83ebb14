"""Tenant-wide settings: saved by ingest (the owner of tenants) and announced to every service."""

import orjson
import pytest

from dealflow_libs.testing.kafka import TopicProbe
from dealflow_schemas.tenants import TENANTS_TOPIC


@pytest.fixture(scope="module")
async def tenant_feed(stack, prepared_stack) -> TopicProbe:  # type: ignore[no-untyped-def]
    async with TopicProbe(stack.kafka_bootstrap, TENANTS_TOPIC) as probe:
        yield probe


async def test_personal_domains_are_validated_saved_and_announced(
    client, tenant, tenant_feed
) -> None:
    empty = await client.get("/v1/settings", headers=tenant.auth)
    assert empty.json() == {"personal_domains": []}

    saved = await client.put(
        "/v1/settings",
        json={"personal_domains": ["Family-Mail.org", "alumni.münchen.de", "family-mail.org"]},
        headers=tenant.auth,
    )

    assert saved.status_code == 200, saved.text
    expected = ["alumni.xn--mnchen-3ya.de", "family-mail.org"]
    assert saved.json() == {"personal_domains": expected}
    assert (await client.get("/v1/settings", headers=tenant.auth)).json() == saved.json()
    (announced,) = await tenant_feed.wait_for(
        lambda r: (
            orjson.loads(r.value)["tenant_id"] == tenant.id
            and orjson.loads(r.value)["personal_domains"] == expected
        )
    )
    assert announced.key == tenant.id.encode()


@pytest.mark.parametrize("entry", ["co.uk", "not a domain", "localhost"])
async def test_an_entry_no_mailbox_can_have_is_422_naming_it(client, tenant, entry) -> None:
    response = await client.put(
        "/v1/settings", json={"personal_domains": [entry]}, headers=tenant.auth
    )
    assert response.status_code == 422
    assert entry in response.json()["message"]


async def test_settings_need_an_api_key(client) -> None:
    assert (await client.get("/v1/settings")).status_code == 401


async def test_an_api_key_tells_its_tenant(client, tenant) -> None:
    response = await client.get("/v1/tenant", headers=tenant.auth)

    assert response.status_code == 200, response.text
    assert response.json()["tenant_id"] == tenant.id
    assert set(response.json()) == {"tenant_id", "name", "default_currency"}
    wrong = await client.get("/v1/tenant", headers={"Authorization": "Bearer not-a-key"})
    assert wrong.status_code == 401
