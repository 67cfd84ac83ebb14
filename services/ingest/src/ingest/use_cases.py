"""Ingest use cases: each runs in one unit of work and commits once."""

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from dealflow_libs.auth import hash_api_key
from dealflow_libs.cloudevents import new_envelope
from dealflow_libs.domains import personal_domain_entry
from dealflow_schemas.bookings import BOOKINGS_TOPIC, Provider
from dealflow_schemas.tenants import DEFAULT_CURRENCY, TENANTS_TOPIC, TenantChanged
from ingest import credentials
from ingest.db.tables import RawEvent, Tenant
from ingest.domain.deliveries import (
    REPLAYABLE,
    Assessment,
    Delivery,
    Verdict,
    interpret,
    key_claims,
    settle,
)
from ingest.uow import IngestUnitOfWork


class NotFound(Exception):
    pass


class NotReplayable(Exception):
    pass


def _publish_booking(uow: IngestUnitOfWork, assessment: Assessment) -> None:
    event = assessment.event
    assert event is not None
    assert assessment.event_id is not None
    extensions = {"replayof": str(assessment.replay_of)} if assessment.replay_of else None
    envelope = new_envelope(
        event,
        source=f"dealflow/ingest/{event.provider.value}",
        tenant_id=event.tenant_id,
        subject=event.booking_uid,
        event_id=assessment.event_id,
        time=event.received_at,
        extensions=extensions,
    )
    uow.outbox.add(
        event,
        topic=BOOKINGS_TOPIC,
        key=event.partition_key,
        tenant_id=event.tenant_id,
        envelope=envelope,
    )


async def record_deliveries(
    uow: IngestUnitOfWork, assessments: Sequence[Assessment]
) -> list[Assessment]:
    """Stores every delivery; publishes the accepted ones that are not redeliveries.

    Returns the final assessments, in order: an accepted delivery whose dedupe key was already
    claimed (now or earlier in this batch) comes back as a duplicate of the first one.
    """
    async with uow:
        holders = await uow.deliveries.claim(key_claims(assessments))
        final = settle(assessments, holders)
        for assessment in final:
            if assessment.verdict is Verdict.ACCEPTED:
                _publish_booking(uow, assessment)
        await uow.deliveries.store(final)
        await uow.commit()
    return final


def _delivery_of(raw: RawEvent, now: datetime) -> Delivery:
    return Delivery(
        provider=Provider(raw.provider),
        tenant_id=raw.tenant_id,
        headers=dict(raw.headers),
        body=raw.body,
        received_at=now,
    )


async def replay_delivery(
    uow: IngestUnitOfWork, tenant_id: str, raw_event_id: uuid.UUID
) -> Assessment:
    """Normalizes a stored delivery again and publishes it as a new event (replayof = original)."""
    now = datetime.now(UTC)
    async with uow:
        raw = await uow.deliveries.get(tenant_id, raw_event_id)
        if raw is None:
            raise NotFound(f"no delivery {raw_event_id} for tenant '{tenant_id}'")
        if Verdict(raw.verdict) not in REPLAYABLE or raw.body_truncated:
            raise NotReplayable(
                f"delivery {raw_event_id} was {raw.verdict}: only authenticated, complete "
                "deliveries can be replayed"
            )
        assessment = interpret(_delivery_of(raw, now))
        if assessment.verdict is Verdict.ACCEPTED:
            assessment = replace(assessment, verdict=Verdict.REPLAYED, replay_of=raw.id)
            _publish_booking(uow, assessment)
        await uow.deliveries.store([assessment])
        await uow.commit()
    return assessment


def tenant_changed(tenant: Tenant, now: datetime) -> TenantChanged:
    return TenantChanged(
        tenant_id=tenant.tenant_id,
        name=tenant.name,
        api_key_hashes=list(tenant.api_key_hashes),
        default_currency=tenant.default_currency,
        disabled=tenant.disabled,
        personal_domains=list(tenant.personal_domains),
        changed_at=now,
    )


def _announce(uow: IngestUnitOfWork, tenant: Tenant, now: datetime) -> None:
    uow.outbox.add(
        tenant_changed(tenant, now),
        topic=TENANTS_TOPIC,
        key=tenant.tenant_id,
        tenant_id=tenant.tenant_id,
    )


async def save_tenant(
    uow: IngestUnitOfWork,
    *,
    tenant_id: str,
    name: str | None = None,
    calcom_secret: str | None = None,
    calendly_secret: str | None = None,
    api_key: str | None = None,
    default_currency: str | None = None,
    personal_domains: Sequence[str] | None = None,
    keep_previous: bool = True,
) -> Tenant:
    """Creates a tenant or updates it. A new secret or key goes first; with `keep_previous` the
    one before stays valid too (two at most), so senders can be switched over without downtime."""
    now = datetime.now(UTC)
    domains = None if personal_domains is None else personal_domain_list(personal_domains)
    async with uow:
        tenant = await uow.tenants.get(tenant_id)
        if tenant is None:
            tenant = Tenant(
                tenant_id=tenant_id,
                name=name or tenant_id,
                calcom_secrets=[],
                calendly_secrets=[],
                api_key_hashes=[],
                default_currency=default_currency or DEFAULT_CURRENCY,
                disabled=False,
                personal_domains=[],
            )
            uow.tenants.add(tenant)
        if name:
            tenant.name = name
        if default_currency:
            tenant.default_currency = default_currency
        if domains is not None:
            tenant.personal_domains = domains
        if calcom_secret:
            tenant.calcom_secrets = _rotate_secret(
                uow, tenant_id, "calcom", tenant.calcom_secrets, calcom_secret, keep_previous
            )
        if calendly_secret:
            tenant.calendly_secrets = _rotate_secret(
                uow, tenant_id, "calendly", tenant.calendly_secrets, calendly_secret, keep_previous
            )
        if api_key:
            tenant.api_key_hashes = _rotate(
                tenant.api_key_hashes, hash_api_key(api_key), keep_previous
            )
        tenant.updated_at = now
        await uow.flush()
        _announce(uow, tenant, now)
        await uow.commit()
    return tenant


def _rotate(current: Sequence[str], new: str, keep_previous: bool) -> list[str]:
    if current and current[0] == new:
        return list(current)
    return [new, current[0]] if keep_previous and current else [new]


def _rotate_secret(
    uow: IngestUnitOfWork,
    tenant_id: str,
    kind: credentials.SecretKind,
    sealed: Sequence[str],
    new: str,
    keep_previous: bool,
) -> list[str]:
    """`_rotate` on plaintext; what is stored is sealed (a fresh nonce each time)."""
    current = credentials.open_all(uow.secrets, tenant_id, kind, sealed)
    rotated = _rotate(current, new, keep_previous)
    if rotated == current:
        return list(sealed)
    return [credentials.seal(uow.secrets, tenant_id, kind, s) for s in rotated]


async def reseal_secrets(uow: IngestUnitOfWork) -> int:
    """Re-seals every stored secret with the key ring's primary key (key rotation); returns
    how many tenants changed."""
    changed = 0
    async with uow:
        for tenant in await uow.tenants.all_for_update():
            calcom = credentials.reseal_all(
                uow.secrets, tenant.tenant_id, "calcom", tenant.calcom_secrets
            )
            calendly = credentials.reseal_all(
                uow.secrets, tenant.tenant_id, "calendly", tenant.calendly_secrets
            )
            if calcom != tenant.calcom_secrets or calendly != tenant.calendly_secrets:
                tenant.calcom_secrets, tenant.calendly_secrets = calcom, calendly
                changed += 1
        await uow.commit()
    return changed


def personal_domain_list(entries: Sequence[str]) -> list[str]:
    """A tenant's personal domains as stored and announced: valid, ASCII, sorted, each once.

    Raises ValueError naming the first entry that is not a domain a mailbox can have.
    """
    return sorted({personal_domain_entry(e) for e in entries if e.strip()})


async def replace_personal_domains(
    uow: IngestUnitOfWork, tenant_id: str, entries: Sequence[str]
) -> Tenant:
    """Replaces the tenant's personal domains and announces them to every service."""
    domains = personal_domain_list(entries)
    now = datetime.now(UTC)
    async with uow:
        tenant = await uow.tenants.get(tenant_id)
        if tenant is None:
            raise NotFound(f"unknown tenant '{tenant_id}'")
        if tenant.personal_domains != domains:
            tenant.personal_domains, tenant.updated_at = domains, now
            _announce(uow, tenant, now)
        await uow.commit()
    return tenant


async def drop_previous_secrets(uow: IngestUnitOfWork, tenant_id: str) -> Tenant:
    """Ends a rotation: only the newest secret of each kind stays valid."""
    now = datetime.now(UTC)
    async with uow:
        tenant = await uow.tenants.get(tenant_id)
        if tenant is None:
            raise NotFound(f"unknown tenant '{tenant_id}'")
        tenant.calcom_secrets = list(tenant.calcom_secrets[:1])
        tenant.calendly_secrets = list(tenant.calendly_secrets[:1])
        tenant.api_key_hashes = list(tenant.api_key_hashes[:1])
        tenant.updated_at = now
        _announce(uow, tenant, now)
        await uow.commit()
    return tenant
