"""HubSpot contacts and companies, found before created (crm_apis.md §1.3a-b).

A contact is upserted by email (`batch/upsert` with `idProperty=email`: found in the primary
store, updated, else created; no search lag, no create race). A company is found through the
contact's own associations, else by domain, else created already associated with the contact,
so a retried push finds it through the contact and never makes a second.
"""

from crm_push.providers.base import ContactData, ContactRef
from crm_push.providers.hubspot_api import (
    PRIMARY_COMPANY_TO_CONTACT,
    associate,
    association,
    update,
)
from crm_push.providers.hubspot_batches import HubSpotBatches
from crm_push.providers.hubspot_fields import contact_properties
from crm_push.providers.transport import ProviderHttp


async def upsert_contact(
    http: ProviderHttp, batches: HubSpotBatches, contact: ContactData, known: ContactRef | None
) -> ContactRef:
    properties = contact_properties(contact)
    contact_id: str | None = None
    companies: list[str] = []
    if known is not None:
        contact_id = await update(http, "update_contact", "contacts", known.contact_id, properties)
        companies = [known.company_id] if known.company_id else []
    if contact_id is None:
        contact_id, created = await batches.upsert_contact(properties)
        companies = [] if created else await batches.companies_of(contact_id)
    if companies:
        return ContactRef(contact_id, companies[0])
    if contact.company is None:
        return ContactRef(contact_id)
    return ContactRef(contact_id, await _company_for(http, batches, contact_id, contact))


async def _company_for(
    http: ProviderHttp, batches: HubSpotBatches, contact_id: str, contact: ContactData
) -> str:
    assert contact.company is not None
    domain = contact.company.domain.strip().lower()
    company_id = await batches.company_by_domain(domain)
    if company_id is not None:
        await associate(
            http, "associate_contact_company", "contacts", contact_id, "companies", company_id
        )
        return company_id
    return await batches.create_company(
        {
            "properties": {"domain": domain, "name": contact.company.name},
            "associations": [association(contact_id, PRIMARY_COMPANY_TO_CONTACT)],
        }
    )
