"""The tenant's personal domains (from the tenant feed) decide whether an attendee is a company."""

import asyncio
import uuid

from dealflow_libs.testing.factories import booking_event
from dealflow_libs.testing.tenants import seed_tenant
from meetings.db.tables import tenants


async def meeting_of(client, tenant, email: str) -> dict:
    for _ in range(150):
        response = await client.get(
            "/v1/meetings", params={"attendee_email": email}, headers=tenant.auth
        )
        if items := response.json()["items"]:
            return items[0]
        await asyncio.sleep(0.1)
    raise TimeoutError(email)


async def test_an_attendee_at_a_tenant_personal_domain_is_a_person(
    client, sessions, publish
) -> None:
    listing = await seed_tenant(
        sessions, tenants, prefix="pd", personal_domains=["family-mail.org"]
    )
    other = await seed_tenant(sessions, tenants, prefix="pd")
    email = f"jo-{uuid.uuid4().hex[:6]}@eu.family-mail.org"

    await publish(booking_event(tenant_id=listing.id, email=email))
    await publish(booking_event(tenant_id=other.id, email=email))

    person = await meeting_of(client, listing, email)
    assert (person["company_domain"], person["is_personal_email"]) == (None, True)
    company = await meeting_of(client, other, email)
    assert (company["company_domain"], company["is_personal_email"]) == ("family-mail.org", False)
