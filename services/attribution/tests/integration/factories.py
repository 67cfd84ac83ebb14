"""Builders for attribution's tests: deal events as the deals service publishes them, and a
journey of touches posted over HTTP."""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx

from dealflow_libs.testing.tenants import TenantCredentials
from dealflow_schemas.deals import CompanyRef, DealEvent, DealSnapshot, DealStage, DealStatus

WON_AT = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
#: The default primary contact: the CEO at the deal's company domain.
CEO = "ceo@{domain}"
_CLOSED_STAGES = {DealStatus.WON: DealStage.CLOSED_WON, DealStatus.LOST: DealStage.CLOSED_LOST}


def deal_event(
    kind: type[DealEvent],
    tenant_id: str,
    deal_id: uuid.UUID,
    domain: str | None,
    *,
    status: DealStatus = DealStatus.WON,
    value: str = "1000.00",
    currency: str = "USD",
    contact: str | None = CEO,
    meeting_ids: Sequence[uuid.UUID] = (),
    created_at: datetime = WON_AT - timedelta(days=20),
    closed_at: datetime = WON_AT,
    occurred_at: datetime | None = None,
    **extra: object,
) -> DealEvent:
    """A deal event carrying the deal's state; `closed_at` is kept only for a won or lost deal,
    and the event occurs now unless `occurred_at` says otherwise."""
    closed = status in _CLOSED_STAGES
    snapshot = DealSnapshot(
        deal_id=deal_id,
        tenant_id=tenant_id,
        name=f"{domain or 'personal'} deal",
        company=CompanyRef(company_id=uuid.uuid4(), domain=domain or "", name=domain or "-"),
        status=status,
        stage=_CLOSED_STAGES.get(status, DealStage.QUALIFICATION),
        probability=100 if status is DealStatus.WON else 40,
        value=Decimal(value),
        currency=currency,
        primary_contact_email=contact.format(domain=domain) if contact and domain else contact,
        meeting_ids=list(meeting_ids),
        closed_at=closed_at if closed else None,
        created_at=created_at,
        updated_at=datetime.now(UTC),
    )
    occurred = occurred_at or datetime.now(UTC)
    return kind(deal_id=deal_id, tenant_id=tenant_id, occurred_at=occurred, deal=snapshot, **extra)


async def post_journey(
    client: httpx.AsyncClient, tenant: TenantCredentials, domain: str, prefix: str = ""
) -> None:
    """Four touches before WON_AT: two at the company (ana's ad click, the CEO's reply), one of
    another company and one at a subdomain after the win."""

    def at(days: int) -> str:
        return (WON_AT - timedelta(days=days)).isoformat()

    body = {
        "touches": [
            {"touch_id": f"{prefix}t1", "person_email": f"ana@{domain}", "occurred_at": at(30),
             "activity_type": "ad_click", "utm_source": "google", "utm_medium": "cpc"},
            {"touch_id": f"{prefix}t2", "person_email": f"ceo@{domain}", "occurred_at": at(10),
             "activity_type": "email_replied"},
            {"touch_id": f"{prefix}t3", "person_email": "other@elsewhere.com", "occurred_at": at(5),
             "activity_type": "call"},
            {"touch_id": f"{prefix}t4", "person_email": f"bo@eu.{domain}", "occurred_at": at(-1),
             "activity_type": "call"},
        ]
    }  # fmt: skip
    answer = await client.post("/v1/touches", json=body, headers=tenant.auth)
    assert answer.json()["created"] == 4, answer.text
