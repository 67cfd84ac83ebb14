"""Reading untrusted JSON with path-aware error reporting.

Every value a normalizer takes from a body goes through a `Node` accessor, which checks it
against the bounded input vocabulary (`dealflow_schemas.bounded`) and records the JSON path of
anything that the services could not store: one error then names every such field.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from dealflow_libs.domains import person_key
from dealflow_schemas.bookings import Attendee, Person
from dealflow_schemas.bounded import (
    EMAIL,
    ID,
    NAME,
    TEXT,
    TextKind,
    instant_problem,
    int32_problem,
    json_problem,
)
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


def join_name(first: str | None, last: str | None) -> str | None:
    """`first last` from optional parts, or None when both are blank."""
    return " ".join(part for part in (first, last) if part) or None


def primary_time_zone(attendees: list[Attendee], organizer: Person | None) -> str | None:
    """The booker's zone; the organizer's when the booker's is unknown."""
    if attendees and attendees[0].time_zone:
        return attendees[0].time_zone
    return organizer.time_zone if organizer else None


def is_http_url(value: str | None) -> bool:
    return value is not None and value.lower().startswith(("http://", "https://"))


def parse_datetime(value: str) -> datetime:
    """Full ISO-8601 date-time (`Z`, `.000Z`, `+00:00`, microseconds) as an aware datetime.

    A value without an offset is taken as UTC: both providers only send UTC.
    Raises ValueError for anything that is not a date *and* a time.
    """
    text = value.strip()
    if "T" not in text.upper() and " " not in text:
        raise ValueError(f"not a date-time: {value!r}")
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


@dataclass
class Problems:
    """Collects every missing or invalid path so that one error can name them all."""

    missing: list[str] = field(default_factory=list)
    invalid: dict[str, str] = field(default_factory=dict)  # path -> why

    def reject(self, path: str, why: str) -> None:
        self.invalid.setdefault(path, why)

    def check(self, context: str) -> None:
        if not (self.missing or self.invalid):
            return
        parts = []
        if self.missing:
            parts.append("missing " + ", ".join(self.missing))
        if self.invalid:
            parts.append("invalid " + ", ".join(f"{p} ({why})" for p, why in self.invalid.items()))
        raise PayloadError(f"{context}: {'; '.join(parts)}", [*self.missing, *self.invalid])


class Node:
    """A JSON object with its path; its accessors return only values the services can store.

    A value that is present but unstorable (NUL, too long, a time out of range) is recorded in
    `problems`, shared by every node of one body, and read as absent.
    """

    # A plain slotted class: nodes are made for every nested object read on the hot path.
    __slots__ = ("data", "path", "problems")

    def __init__(
        self, data: Mapping[str, Any], path: str = "", problems: Problems | None = None
    ) -> None:
        self.data = data
        self.path = path
        self.problems = problems if problems is not None else Problems()

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str) -> Any:
        """The raw value, for structure and flags; text goes through the accessors below."""
        return self.data.get(key)

    def bounded(self, key: str, value: str | None, kind: TextKind) -> str | None:
        """`value` (read from `key`) if it can be stored as `kind`, else None and a problem."""
        if value is None:
            return None
        if len(value) <= kind.max_length and value.isascii() and "\x00" not in value:
            return value  # the common case, without a call
        problem = kind.problem(value)
        if problem is not None:
            self.problems.reject(self.at(key), problem)
            return None
        return value

    def text(self, key: str, kind: TextKind = NAME) -> str | None:
        value = self.data.get(key)
        if type(value) is not str:
            return None
        value = value.strip()
        if len(value) <= kind.max_length and value.isascii() and "\x00" not in value:
            return value or None  # the common case, inlined: this runs for every field
        return self.bounded(key, value, kind)

    def email(self, key: str) -> str | None:
        email = self.text(key, EMAIL)
        return person_key(email) if email else None

    def ident(self, key: str) -> str | None:
        """Ids arrive as strings or integers; booleans and floats are not ids."""
        value = self.data.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return self.bounded(key, str(value), ID)
        return self.text(key, ID)

    def scalar(self, key: str, kind: TextKind = TEXT) -> str | None:
        """A tracking-style value: non-blank text, or a number rendered as text."""
        value = self.data.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return self.bounded(key, str(value), kind)
        return self.text(key, kind)

    def integer(self, key: str) -> int | None:
        value = self.data.get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            return None
        problem = int32_problem(value)
        if problem is not None:
            self.problems.reject(self.at(key), problem)
            return None
        return value

    def flag(self, key: str) -> bool | None:
        value = self.data.get(key)
        return value if isinstance(value, bool) else None

    def json(self, key: str) -> Any:
        """Any JSON value (booking-form answers), if every key and string in it can be stored."""
        value = self.data.get(key)
        found = json_problem(value)
        if found is not None:
            where, why = found
            self.problems.reject(self.at(key) + where, why)
            return None
        return value

    def storable_keys(self) -> Iterator[str]:
        """Keys that can be stored as map keys (names); the others are recorded as problems."""
        for key in self.data:
            if self.bounded(key, key, NAME) is not None:
                yield key

    def child(self, key: str) -> "Node":
        """The nested object at `key`, or an empty node when it is absent or not an object."""
        value = self.data.get(key)
        return Node(value if type(value) is dict else {}, self.at(key), self.problems)

    def children(self, key: str, *, limit: int | None = None) -> list["Node"]:
        """The objects in the list at `key`, keeping their original indexes in the path; a list
        longer than `limit` is recorded as a problem and read as empty."""
        value = self.data.get(key)
        if not isinstance(value, list):
            return []
        if limit is not None and len(value) > limit:
            self.problems.reject(self.at(key), f"{len(value)} items, at most {limit}")
            return []
        return [
            Node(item, f"{self.at(key)}[{index}]", self.problems)
            for index, item in enumerate(value)
            if type(item) is dict
        ]

    def timestamp(self, key: str, *, required: bool = False) -> datetime | None:
        """`key` as a UTC date-time; missing (if required) or unusable ones are recorded."""
        value = self.data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problems.missing.append(self.at(key))
            return None
        if not isinstance(value, str):
            self.problems.reject(self.at(key), "not a date-time string")
            return None
        try:
            parsed = parse_datetime(value)
        except ValueError:
            self.problems.reject(self.at(key), "not an ISO-8601 date-time")
            return None
        problem = instant_problem(parsed)
        if problem is not None:
            self.problems.reject(self.at(key), problem)
            return None
        return parsed.astimezone(UTC)

    def require_id(self, key: str) -> str:
        return self._required(key, self.ident(key))

    def require_text(self, key: str) -> str:
        return self._required(key, self.text(key))

    def _required(self, key: str, value: str | None) -> str:
        if value is None and self.at(key) not in self.problems.invalid:
            self.problems.missing.append(self.at(key))
        return value or ""

    def check(self, context: str) -> None:
        """Raises PayloadError naming every missing or unusable path seen so far."""
        self.problems.check(context)
