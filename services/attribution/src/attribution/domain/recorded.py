"""Touches, bookings, rules and runs as the service keeps them."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from attribution.domain.channels import Classification
from attribution.domain.run import ChannelCredit
from attribution.domain.touches import Touch


@dataclass(frozen=True, slots=True)
class RecordedTouch:
    """A touch as received, with the channel its tenant's rules gave it when it arrived."""

    tenant_id: str
    touch: Touch
    classification: Classification
    source: str  # "api", "kafka" or "meeting"
    received_at: datetime


@dataclass(frozen=True, slots=True)
class StoredRules:
    """One version of a tenant's channel rules as kept; `content` is
    `RuleSet.to_dict(with_version=False)` (rules and source categories)."""

    tenant_id: str
    version: int
    digest: str
    content: Mapping[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Booking:
    """A booked meeting: who booked it, with whom, and when (the lead's creation)."""

    tenant_id: str
    meeting_id: UUID
    person_email: str
    attendee_emails: tuple[str, ...]
    company_domain: str | None
    booked_at: datetime
    touch_id: str  # the booking's own touch


@dataclass(frozen=True, slots=True)
class StoredRun:
    """An attribution run as stored: its id, what it replaced, and the run's own record
    (`AttributionRun.to_dict()`)."""

    run_id: UUID
    supersedes: UUID | None
    computed_at: datetime
    result: dict[str, Any]


@dataclass(frozen=True, slots=True)
class RunTotals:
    """A stored run's channel totals, as reports read them."""

    deal_id: str
    model: str
    value_minor: int
    currency: str
    conversion_at: datetime
    channels: tuple[ChannelCredit, ...]

    @classmethod
    def from_result(cls, result: Mapping[str, Any]) -> "RunTotals":
        return cls.of(
            deal_id=result["deal_id"],
            model=result["model"],
            value_minor=result["value_minor"],
            currency=result["currency"],
            conversion_at=datetime.fromisoformat(result["conversion_at"]),
            channels=result["channels"],
        )

    @classmethod
    def of(
        cls,
        *,
        deal_id: str,
        model: str,
        value_minor: int,
        currency: str,
        conversion_at: datetime,
        channels: Sequence[Mapping[str, Any]],
    ) -> "RunTotals":
        """From a run's columns and its stored `channels` (`ChannelCredit.to_dict()` rows)."""
        credits = []
        for row in channels:
            # Stored as "n/d" in lowest terms (`fraction_text`): two ints, no Fraction to build
            # (a report reads this for every deal).
            numerator, _, denominator = row["weight"].partition("/")
            credits.append(
                ChannelCredit(
                    row["channel"],
                    row["minor_units"],
                    int(numerator),
                    int(denominator or 1),
                    row["touches"],
                )
            )
        return cls(deal_id, model, value_minor, currency, conversion_at, tuple(credits))
