"""Resend's delivery events (`email.delivered`, `email.bounced`, ...): what each one says about
an email we sent, and which of them mean an address must not be written to again."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from dealflow_libs.domains import person_key
from dealflow_schemas.bounded import parse_instant


class DeliveryType(StrEnum):
    SENT = "email.sent"
    DELIVERED = "email.delivered"
    DELIVERY_DELAYED = "email.delivery_delayed"
    BOUNCED = "email.bounced"
    COMPLAINED = "email.complained"
    FAILED = "email.failed"
    SUPPRESSED = "email.suppressed"
    OPENED = "email.opened"
    CLICKED = "email.clicked"
    SCHEDULED = "email.scheduled"


#: A hard bounce or a spam complaint: writing again hurts the sender's reputation (and a
#: complaint is the recipient saying stop). `email.suppressed` is Resend refusing an address on
#: its own suppression list: every later send to it would be refused the same way.
SUPPRESSING = frozenset({DeliveryType.BOUNCED, DeliveryType.COMPLAINED, DeliveryType.SUPPRESSED})


class MalformedDeliveryEvent(ValueError):
    """A signed delivery whose body is not a Resend email event: keep it, apply nothing."""


@dataclass(frozen=True)
class DeliveryEvent:
    """One delivery event: `email_id` is the id Resend answered the send with."""

    type: DeliveryType
    email_id: str
    recipients: tuple[str, ...]
    at: datetime
    detail: str | None = None
    #: Resend's `bounce.type`: "Permanent" or "Transient" (a soft bounce, e.g. a full mailbox).
    bounce_type: str | None = None

    @property
    def suppresses(self) -> bool:
        """Whether the recipients must be suppressed for later sends (a transient bounce
        does not: the next email may well arrive)."""
        if self.type is DeliveryType.BOUNCED and self.bounce_type == "Transient":
            return False
        return self.type in SUPPRESSING


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _object(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def parse_delivery_event(payload: Any) -> DeliveryEvent | None:
    """The event in a parsed webhook body; None for a type this service does not track
    (domain, contact events, or ones added later); MalformedDeliveryEvent for a broken body."""
    if not isinstance(payload, Mapping):
        raise MalformedDeliveryEvent("body is not a JSON object")
    try:
        kind = DeliveryType(str(payload.get("type")))
    except ValueError:
        return None
    data = payload.get("data")
    if not isinstance(data, Mapping) or not _text(data.get("email_id")):
        raise MalformedDeliveryEvent(f"{kind.value} without data.email_id")
    stamp = _text(payload.get("created_at")) or _text(data.get("created_at"))
    try:
        at = parse_instant(stamp or "")
    except ValueError as exc:
        raise MalformedDeliveryEvent(f"{kind.value} without a valid created_at") from exc
    to = data.get("to")
    addresses = [to] if isinstance(to, str) else to if isinstance(to, list) else []
    bounce, failed = _object(data.get("bounce")), _object(data.get("failed"))
    return DeliveryEvent(
        type=kind,
        email_id=data["email_id"],
        recipients=tuple(person_key(a) for a in addresses if isinstance(a, str) and a.strip()),
        at=at,
        detail=_text(bounce.get("message")) or _text(failed.get("reason")),
        bounce_type=_text(bounce.get("type")),
    )


#: How far along an email is, as its delivery events say; events arrive in any order (Resend
#: promises none), so a send's delivery only moves forward. A bounce, complaint, failure or
#: suppression is where an email ends.
_PROGRESS: dict[str, int] = {
    "scheduled": 0,
    "sent": 1,
    "delivery_delayed": 2,
    "delivered": 3,
    "opened": 4,
    "clicked": 5,
    "bounced": 6,
    "complained": 6,
    "failed": 6,
    "suppressed": 6,
}


def delivery_name(kind: DeliveryType) -> str:
    return kind.value.removeprefix("email.")


def advances(current: str | None, kind: DeliveryType) -> bool:
    """Whether an event of `kind` moves a send whose delivery is `current` forward."""
    if current is None:
        return True
    return _PROGRESS.get(delivery_name(kind), 0) > _PROGRESS.get(current, 0)


def delivery_after(current: str | None, recorded_types: list[str]) -> str | None:
    """A send's delivery once the events recorded for its email before the send itself was
    written are applied (the provider's webhook can beat our commit); other texts are skipped."""
    known = {kind.value: kind for kind in DeliveryType}
    for text in recorded_types:
        kind = known.get(text)
        if kind is not None and advances(current, kind):
            current = delivery_name(kind)
    return current
