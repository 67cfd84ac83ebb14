"""Deciding what a webhook delivery is: verified, parsed and normalized, or why not. Pure."""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

import orjson
from pydantic import ValidationError

from dealflow_libs.ids import new_id
from dealflow_schemas.bookings import BookingEvent, Provider
from dealflow_schemas.bounded import ID, NAME, TEXT, TextKind
from ingest.domain.normalize import (
    Ignored,
    PayloadError,
    normalize_calcom,
    normalize_calendly,
    provider_trigger,
)
from ingest.domain.signatures import (
    CALCOM_HEADER,
    CALENDLY_HEADER,
    SignatureCheck,
    verify_calcom,
    verify_calendly,
)

#: Never stored: they authenticate the sender (or a user) and must not end up in the audit log.
SECRET_HEADERS = frozenset({CALCOM_HEADER, CALENDLY_HEADER, "authorization", "cookie"})


class Verdict(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    UNAUTHORIZED = "unauthorized"
    UNKNOWN_TENANT = "unknown_tenant"
    MALFORMED = "malformed"
    INVALID = "invalid"
    TOO_LARGE = "too_large"
    REPLAYED = "replayed"


STATUS = {
    Verdict.ACCEPTED: 202,
    Verdict.REPLAYED: 202,
    Verdict.DUPLICATE: 200,
    Verdict.IGNORED: 200,
    Verdict.UNAUTHORIZED: 401,
    Verdict.UNKNOWN_TENANT: 404,
    Verdict.MALFORMED: 400,
    Verdict.INVALID: 422,
    Verdict.TOO_LARGE: 413,
}

#: Deliveries whose sender was authenticated and whose body can be normalized again.
REPLAYABLE = frozenset(
    {Verdict.ACCEPTED, Verdict.DUPLICATE, Verdict.IGNORED, Verdict.INVALID, Verdict.REPLAYED}
)


@dataclass(frozen=True)
class TenantSecrets:
    tenant_id: str
    calcom_secrets: tuple[str, ...]
    calendly_secrets: tuple[str, ...]
    disabled: bool = False


@dataclass(frozen=True)
class Delivery:
    provider: Provider
    tenant_id: str
    headers: dict[str, str]
    body: bytes
    received_at: datetime
    body_truncated: bool = False

    def stored_headers(self) -> dict[str, str]:
        return {
            audit_text(k, NAME): audit_text(v, TEXT)
            for k, v in self.headers.items()
            if k.lower() not in SECRET_HEADERS
        }


def audit_text(value: str, kind: TextKind) -> str:
    """`value` as the audit log can keep it, whatever a sender put in it: NUL spelled out as
    `\\u0000` (text and jsonb columns refuse it), cut to the kind's length (indexes refuse
    long rows). The raw body is kept byte for byte; this is only for the columns beside it."""
    if "\x00" in value:
        value = value.replace("\x00", "\\u0000")
    return value[: kind.max_length]


@dataclass(frozen=True)
class Assessment:
    raw_event_id: uuid.UUID
    delivery: Delivery
    verdict: Verdict
    trigger: str = ""
    error: str | None = None
    missing: list[str] = field(default_factory=list)
    event: BookingEvent | None = None
    event_id: uuid.UUID | None = None
    dedupe_key: str | None = None
    replay_of: uuid.UUID | None = None

    @property
    def status_code(self) -> int:
        return STATUS[self.verdict]

    def as_duplicate_of(self, event_id: uuid.UUID) -> "Assessment":
        return replace(self, verdict=Verdict.DUPLICATE, event_id=event_id, event=None)


@dataclass(frozen=True)
class KeyClaim:
    """An accepted delivery's bid for its dedupe key: the first to hold it is published."""

    tenant_id: str
    dedupe_key: str
    event_id: uuid.UUID
    raw_event_id: uuid.UUID


@dataclass(frozen=True)
class KeyHolder:
    event_id: uuid.UUID
    raw_event_id: uuid.UUID


def key_claims(assessments: Sequence[Assessment]) -> list[KeyClaim]:
    """One claim per dedupe key: the first accepted delivery that carries it."""
    claims: dict[tuple[str, str], KeyClaim] = {}
    for a in assessments:
        if a.verdict is Verdict.ACCEPTED and a.dedupe_key and a.event_id:
            key = (a.delivery.tenant_id, a.dedupe_key)
            claims.setdefault(key, KeyClaim(*key, a.event_id, a.raw_event_id))
    return list(claims.values())


def settle(
    assessments: Sequence[Assessment], holders: Mapping[tuple[str, str], KeyHolder]
) -> list[Assessment]:
    """Final verdicts: an accepted delivery whose key another delivery holds is its duplicate."""
    final = []
    for a in assessments:
        if a.verdict is Verdict.ACCEPTED and a.dedupe_key:
            holder = holders[(a.delivery.tenant_id, a.dedupe_key)]
            if holder.raw_event_id != a.raw_event_id:
                a = a.as_duplicate_of(holder.event_id)
        final.append(a)
    return final


def reject(delivery: Delivery, verdict: Verdict, error: str) -> Assessment:
    return Assessment(raw_event_id=new_id(), delivery=delivery, verdict=verdict, error=error)


def check_signature(
    delivery: Delivery, tenant: TenantSecrets, *, now: float, tolerance_seconds: int
) -> SignatureCheck:
    if delivery.provider is Provider.CALCOM:
        return verify_calcom(
            delivery.body, delivery.headers.get(CALCOM_HEADER), tenant.calcom_secrets
        )
    return verify_calendly(
        delivery.body,
        delivery.headers.get(CALENDLY_HEADER),
        tenant.calendly_secrets,
        now=now,
        tolerance_seconds=tolerance_seconds,
    )


def assess(
    delivery: Delivery,
    tenant: TenantSecrets | None,
    *,
    now: float,
    tolerance_seconds: int = 180,
) -> Assessment:
    """Everything about a delivery that can be decided without the database."""
    if tenant is None or tenant.disabled:
        shown = audit_text(delivery.tenant_id, ID)
        return reject(delivery, Verdict.UNKNOWN_TENANT, f"unknown tenant '{shown}'")
    signature = check_signature(delivery, tenant, now=now, tolerance_seconds=tolerance_seconds)
    if not signature.ok:
        return reject(delivery, Verdict.UNAUTHORIZED, signature.problem)
    return interpret(delivery)


def interpret(delivery: Delivery, *, raw_event_id: uuid.UUID | None = None) -> Assessment:
    """Parses and normalizes an authenticated delivery."""
    raw_event_id = raw_event_id or new_id()
    try:
        body = orjson.loads(delivery.body)
    except orjson.JSONDecodeError as exc:
        return Assessment(
            raw_event_id, delivery, Verdict.MALFORMED, error=f"body is not valid JSON: {exc}"
        )
    trigger = provider_trigger(delivery.provider, body)
    normalize = normalize_calcom if delivery.provider is Provider.CALCOM else normalize_calendly
    try:
        result = normalize(
            body,
            tenant_id=delivery.tenant_id,
            raw_event_id=raw_event_id,
            received_at=delivery.received_at,
        )
    except PayloadError as exc:
        return Assessment(
            raw_event_id, delivery, Verdict.INVALID, trigger, error=exc.message, missing=exc.missing
        )
    except ValidationError as exc:
        # The contract's bounds caught a value the normalizer let through: still the sender's.
        fields = [".".join(str(step) for step in error["loc"]) for error in exc.errors()]
        problems = "; ".join(f"{f}: {e['msg']}" for f, e in zip(fields, exc.errors(), strict=True))
        error = f"{delivery.provider.value} delivery makes an unusable booking event: {problems}"
        return Assessment(
            raw_event_id, delivery, Verdict.INVALID, trigger, error=error, missing=fields
        )
    if isinstance(result, Ignored):
        return Assessment(raw_event_id, delivery, Verdict.IGNORED, trigger, error=result.reason)
    return Assessment(
        raw_event_id,
        delivery,
        Verdict.ACCEPTED,
        trigger,
        event=result.event,
        event_id=new_id(),
        dedupe_key=result.dedupe_key,
    )
