"""HubSpot's wire conventions shared by the adapter's parts (crm_apis.md §1.2-§1.5): the error
shape, record paths, association specs, update-or-gone, and the marker search."""

from collections.abc import Mapping
from typing import Any

import httpx

from crm_push.providers.hubspot_fields import MARKER_PROPERTY
from crm_push.providers.transport import QUOTA_CODE, Auth, ProviderError, ProviderHttp

OBJECTS = "/crm/v3/objects"

# HUBSPOT_DEFINED association type ids (crm_apis.md §1.3).
DEAL_TO_CONTACT = 3
PRIMARY_DEAL_TO_COMPANY = 5
PRIMARY_COMPANY_TO_CONTACT = 2  # the contact's primary company, seen from the company
MEETING_TO_CONTACT = 200
MEETING_TO_DEAL = 212
MEETING_TO_COMPANY = 188


def hubspot_error(response: httpx.Response, body: Any) -> tuple[str | None, str]:
    """`{category, message}` (CRM) or `{error, message|error_description}` (OAuth); a 429 of
    the DAILY policy is a quota, not a window (crm_apis.md §1.5)."""
    if not isinstance(body, Mapping):
        return None, response.reason_phrase or f"HTTP {response.status_code}"
    message = str(
        body.get("message") or body.get("error_description") or response.reason_phrase or ""
    )
    if response.status_code == 429 and body.get("policyName") == "DAILY":
        return QUOTA_CODE, message
    code = body.get("category") or body.get("error")
    return (str(code) if code is not None else None), message


def hubspot_http(client: httpx.AsyncClient, base_url: str, auth: Auth) -> ProviderHttp:
    return ProviderHttp(client=client, base_url=base_url, auth=auth, error_reader=hubspot_error)


def association(to_id: str, type_id: int) -> dict[str, Any]:
    """One inline association of a create body."""
    return {
        "to": {"id": to_id},
        "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}],
    }


def equals(name: str, value: str, *properties: str) -> dict[str, Any]:
    """A search body: the first record (lowest id) whose `name` equals `value`."""
    return {
        "filterGroups": [{"filters": [{"propertyName": name, "operator": "EQ", "value": value}]}],
        "properties": [name, *properties],
        "sorts": ["hs_object_id"],
        "limit": 1,
    }


async def update(
    http: ProviderHttp,
    operation: str,
    object_type: str,
    object_id: str,
    properties: Mapping[str, str],
) -> str | None:
    """PATCH the record; None when it is gone (deleted in the CRM), so the caller finds or
    creates it again."""
    try:
        await http.request(
            operation,
            "PATCH",
            f"{OBJECTS}/{object_type}/{object_id}",
            json={"properties": dict(properties)},
        )
    except ProviderError as exc:
        if exc.status == 404:
            return None
        raise
    return object_id


async def first_found(
    http: ProviderHttp, operation: str, object_type: str, body: Mapping[str, Any]
) -> str | None:
    answer = await http.request(operation, "POST", f"{OBJECTS}/{object_type}/search", json=body)
    results = answer.get("results") or []
    return str(results[0]["id"]) if results else None


async def find_marked(
    http: ProviderHttp, operation: str, object_type: str, value: str
) -> str | None:
    """The record carrying this marker, made by an attempt whose answer was lost."""
    return await first_found(http, operation, object_type, equals(MARKER_PROPERTY, value))


async def associate(
    http: ProviderHttp, operation: str, from_type: str, from_id: str, to_type: str, to_id: str
) -> None:
    """The default association between two records (idempotent)."""
    path = f"/crm/v4/objects/{from_type}/{from_id}/associations/default/{to_type}/{to_id}"
    await http.request(operation, "PUT", path)
