"""Tenant contracts: published by ingest (which owns tenants), read by every other service."""

from typing import ClassVar

from pydantic import Field

from dealflow_schemas.base import AwareDatetime, EventModel

TENANTS_TOPIC = "dealflow.tenants.v1"

#: A tenant's deal currency when none was chosen.
DEFAULT_CURRENCY = "USD"


class TenantChanged(EventModel):
    """Full current state of a tenant; the latest one per tenant id wins (topic is compacted)."""

    ce_type: ClassVar[str] = "dealflow.tenant.changed.v1"

    tenant_id: str = Field(description="Stable tenant slug used in URLs.", examples=["demo"])
    name: str = Field(examples=["Demo Inc."])
    api_key_hashes: list[str] = Field(
        description="SHA-256 hex digests of the tenant's API keys; "
        "the keys themselves never travel.",
        examples=[["2f1c...e9"]],
    )
    default_currency: str = Field(default=DEFAULT_CURRENCY, examples=["USD"])
    disabled: bool = False
    personal_domains: list[str] = Field(
        default_factory=list,
        description="Mailbox domains the tenant treats as personal on top of the built-in list "
        "(ASCII form, each covering its subdomains): an address there is a person, not a "
        "company. Every service classifies emails with this list.",
        examples=[["alumni.example.edu"]],
    )
    changed_at: AwareDatetime
