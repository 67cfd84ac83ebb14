"""What normalizing one provider delivery can produce: an event, a polite no, or an error."""

import hashlib
from dataclasses import dataclass

from dealflow_schemas.bookings import BookingEvent, Provider

#: Dedupe keys longer than this are replaced by a sha256 digest.
MAX_DEDUPE_KEY_LENGTH = 200


class PayloadError(Exception):
    """Valid JSON that lacks what we need. `missing` names the JSON paths, e.g. ["payload.uid"]."""

    def __init__(self, message: str, missing: list[str]) -> None:
        super().__init__(message)
        self.message = message
        self.missing = list(missing)


@dataclass(frozen=True)
class Ignored:
    """A well-formed delivery that carries nothing for the booking pipeline."""

    reason: str
    trigger: str


@dataclass(frozen=True)
class Normalized:
    """A booking event plus the key that identifies a redelivery of the same provider event."""

    event: BookingEvent
    dedupe_key: str


def dedupe_key(provider: Provider, *parts: str) -> str:
    """`provider:part:part...`, or `provider:<sha256 hex>` when that would be too long."""
    key = ":".join((provider.value, *parts))
    if len(key) <= MAX_DEDUPE_KEY_LENGTH:
        return key
    return f"{provider.value}:{hashlib.sha256(key.encode()).hexdigest()}"
