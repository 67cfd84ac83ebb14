"""Small helpers for reading untrusted JSON with path-aware error reporting."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from dealflow_schemas.bookings import Attendee, Person
from ingest.domain.results import PayloadError


@dataclass(frozen=True)
class Receipt:
    """What the gateway knows about a delivery independently of its body."""

    tenant_id: str
    raw_event_id: UUID
    received_at: datetime


def as_object(body: object, what: str = "body") -> Mapping[str, Any]:
    """The body as a JSON object, or PayloadError naming what it was instead."""
    if not isinstance(body, Mapping):
        kind = "null" if body is None else type(body).__name__
        missing = [] if what == "body" else [what]
        raise PayloadError(f"{what} must be a JSON object, got {kind}", missing)
    return body


def clean_text(value: object) -> str | None:
    """A non-blank string, stripped; anything else is None."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def clean_email(value: object) -> str | None:
    text = clean_text(value)
    return text.lower() if text else None


def clean_scalar(value: object) -> str | None:
    """A tracking-style value: non-blank text, or a number rendered as text."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return clean_text(value)


def join_name(first: object, last: object) -> str | None:
    """`first last` from optional parts, or None when both are blank."""
    parts = [part for part in (clean_text(first), clean_text(last)) if part]
    return " ".join(parts) or None


def primary_time_zone(attendees: list[Attendee], organizer: Person | None) -> str | None:
    """The booker's zone; the organizer's when the booker's is unknown."""
    if attendees and attendees[0].time_zone:
        return attendees[0].time_zone
    return organizer.time_zone if organizer else None


def is_http_url(value: str | None) -> bool:
    return value is not None and value.lower().startswith(("http://", "https://"))


def clean_id(value: object) -> str | None:
    """Ids arrive as strings or integers; booleans and floats are not ids."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return clean_text(value)


def parse_datetime(value: str) -> datetime:
    """Full ISO-8601 date-time (`Z`, `.000Z`, `+00:00`, microseconds) as an aware UTC datetime.

    A value without an offset is taken as UTC: both providers only send UTC.
    Raises ValueError for anything that is not a date *and* a time.
    """
    text = value.strip()
    if "T" not in text.upper() and " " not in text:
        raise ValueError(f"not a date-time: {value!r}")
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


@dataclass
class Problems:
    """Collects every missing or invalid path so that one error can name them all."""

    missing: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)

    def check(self, context: str) -> None:
        if not (self.missing or self.invalid):
            return
        parts = []
        if self.missing:
            parts.append("missing " + ", ".join(self.missing))
        if self.invalid:
            parts.append("invalid " + ", ".join(self.invalid))
        raise PayloadError(f"{context}: {'; '.join(parts)}", [*self.missing, *self.invalid])


@dataclass(frozen=True)
class Node:
    """A JSON object together with its path, so that errors can name exact fields."""

    data: Mapping[str, Any]
    path: str = ""

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str) -> Any:
        return self.data.get(key)

    def text(self, key: str) -> str | None:
        return clean_text(self.data.get(key))

    def email(self, key: str) -> str | None:
        return clean_email(self.data.get(key))

    def ident(self, key: str) -> str | None:
        return clean_id(self.data.get(key))

    def flag(self, key: str) -> bool | None:
        value = self.data.get(key)
        return value if isinstance(value, bool) else None

    def child(self, key: str) -> "Node":
        """The nested object at `key`, or an empty node when it is absent or not an object."""
        value = self.data.get(key)
        return Node(value if isinstance(value, Mapping) else {}, self.at(key))

    def children(self, key: str) -> list["Node"]:
        """The objects in the list at `key`, keeping their original indexes in the path."""
        value = self.data.get(key)
        if not isinstance(value, list):
            return []
        return [
            Node(item, f"{self.at(key)}[{index}]")
            for index, item in enumerate(value)
            if isinstance(item, Mapping)
        ]

    def timestamp(self, key: str, problems: Problems, *, required: bool = False) -> datetime | None:
        """Parse `key` as a date-time; record it in `problems` when missing (if required) or bad."""
        value = self.data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                problems.missing.append(self.at(key))
            return None
        if not isinstance(value, str):
            problems.invalid.append(self.at(key))
            return None
        try:
            return parse_datetime(value)
        except ValueError:
            problems.invalid.append(self.at(key))
            return None

    def require_text(self, key: str, problems: Problems) -> str:
        value = self.ident(key)
        if value is None:
            problems.missing.append(self.at(key))
            return ""
        return value
