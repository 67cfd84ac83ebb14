"""HubSpot contacts and companies, found before created (crm_apis.md §1.3a-b).

A contact is found by email through `GET ...?idProperty=email` (the primary store: a contact
made a moment ago is there, unlike in search); a create that loses a race answers 409
"Existing ID: N" and that contact is used. A company is found through the contact's own
associations, else by domain, else created already associated with the contact, so a retried
push finds it through the contact and never makes a second.
"""

import re

from crm_push.providers.base import ContactData, ContactRef
from crm_push.providers.hubspot_api import (
    OBJECTS,
    PRIMARY_COMPANY_TO_CONTACT,
    associate,
    association,
    equals,
    first_found,
    update,
)
from crm_push.providers.hubspot_fields import contact_properties
from crm_push.providers.transport import ProviderError, ProviderHttp

_EXISTING_ID = re.compile(r"Existing ID:\s*(\d+)")


async def upsert_contact(
    http: ProviderHttp, contact: ContactData, known: ContactRef | None
) -> ContactRef:
    properties = contact_properties(contact)
    contact_id: str | None = None
    companies: list[str] = []
    if known is not None:
        contact_id = await update(http, "update_contact", "contacts", known.contact_id, properties)
        companies = [known.company_id] if known.company_id else []
    if contact_id is None:
        contact_id, companies = await _find_or_create(http, properties)
    if companies:
        return ContactRef(contact_id, companies[0])
    if contact.company is None:
        return ContactRef(contact_id)
    return ContactRef(contact_id, await _company_for(http, contact_id, contact))


async def _find_or_create(http: ProviderHttp, properties: dict[str, str]) -> tuple[str, list[str]]:
    """The contact's id and its companies."""
    found = await _read(http, properties["email"], by_email=True)
    if found is not None:
        await update(http, "update_contact", "contacts", found[0], properties)
        return found
    try:
        created = await http.request(
            "create_contact", "POST", f"{OBJECTS}/contacts", json={"properties": properties}
        )
    except ProviderError as exc:
        existing = _EXISTING_ID.search(exc.message) if exc.status == 409 else None
        if existing is None:
            raise
        # Made meanwhile (a concurrent push, or our own earlier attempt): that one is ours.
        contact_id = existing.group(1)
        await update(http, "update_contact", "contacts", contact_id, properties)
        return await _read(http, contact_id, by_email=False) or (contact_id, [])
    return str(created["id"]), []


async def _read(http: ProviderHttp, key: str, *, by_email: bool) -> tuple[str, list[str]] | None:
    """The contact's id and its associated companies; None when there is no such contact."""
    params = {"associations": "companies", "properties": "email"}
    if by_email:
        params["idProperty"] = "email"
    try:
        answer = await http.request(
            "get_contact", "GET", f"{OBJECTS}/contacts/{key}", params=params
        )
    except ProviderError as exc:
        if exc.status == 404:
            return None
        raise
    linked = ((answer.get("associations") or {}).get("companies") or {}).get("results", [])
    return str(answer["id"]), list(dict.fromkeys(str(link["id"]) for link in linked))


async def _company_for(http: ProviderHttp, contact_id: str, contact: ContactData) -> str:
    assert contact.company is not None
    domain = contact.company.domain.strip().lower()
    search = equals("domain", domain, "name")
    company_id = await first_found(http, "search_company", "companies", search)
    if company_id is not None:
        await associate(
            http, "associate_contact_company", "contacts", contact_id, "companies", company_id
        )
        return company_id
    created = await http.request(
        "create_company",
        "POST",
        f"{OBJECTS}/companies",
        json={
            "properties": {"domain": domain, "name": contact.company.name},
            "associations": [association(contact_id, PRIMARY_COMPANY_TO_CONTACT)],
        },
    )
    return str(created["id"])
