"""The bounded input vocabulary: what every service can store, checked where data comes in.

Every text, time, amount and free-form JSON value that reaches Dealflow from outside (a webhook,
an API request) is one of these kinds, so what is accepted is what PostgreSQL, asyncpg and the
downstream consumers can hold:

- text has no NUL (`text` and `jsonb` columns reject it) and at most a length per kind: ids and
  emails are indexed, and a btree row must stay under about 2.7 kB;
- instants carry a time zone and lie within the years 1900-2200: asyncpg stores `datetime.min`
  and `datetime.max` as -infinity/infinity and reads them back naive, times near year 1 or 9999
  overflow when moved to UTC, and a duration between two of them must fit an int32 of minutes;
- amounts fit `Numeric(14, 2)` and counts an int32 column.

The Pydantic types (`Id`, `Email`, `Name`, `Text`, `Instant`, `Day`, `Money`, `Int32`,
`JsonObject`) serve request models and event contracts; the `*_problem` functions serve code
that reads raw JSON and reports the JSON path itself (the ingest normalizer).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints, TypeAdapter
from pydantic_core import PydanticCustomError


@dataclass(frozen=True)
class TextKind:
    """A kind of text and the most characters it may have."""

    name: str
    max_length: int

    def checked(self, value: str) -> str:
        """`value`, or ValueError saying why it cannot be stored as this kind."""
        problem = self.problem(value)
        if problem is not None:
            raise ValueError(f"{self.name} {problem}")
        return value

    def problem(self, value: str) -> str | None:
        """Why `value` cannot be stored as this kind, or None."""
        if "\x00" in value:
            return NUL_PROBLEM
        if len(value) > self.max_length:
            return f"longer than {self.max_length} characters"
        if not value.isascii() and not _encodable(value):
            return "not valid Unicode text (lone surrogate)"
        return None


NUL_PROBLEM = "contains the NUL character (\\u0000)"

#: Provider and CRM ids, uids, URIs, tenant ids: indexed with a tenant id, so well under the
#: btree row limit even at four bytes per character.
ID = TextKind("id", 256)
#: RFC 5321 caps an address at 254 characters; 320 is the older local@domain bound.
EMAIL = TextKind("email", 320)
#: Names, titles, labels, statuses, slugs, time zones, map keys.
NAME = TextKind("name", 500)
#: Free text: descriptions, notes, reasons, locations, URLs, answers.
TEXT = TextKind("text", 10_000)

MIN_YEAR, MAX_YEAR = 1900, 2200
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
#: `Numeric(14, 2)` holds up to 999,999,999,999.99; this still rounds to that.
MONEY_END = Decimal("999999999999.995")
#: Free-form JSON (booking-form answers) kept with an event: keys, strings and nesting.
MAX_JSON_CHARS = 64 * 1024
MAX_JSON_DEPTH = 16
#: People on one booking (booker, guests, seats): more is no meeting a sales team holds, and
#: every consumer reads them all (attendee domains, account journeys).
MAX_ATTENDEES = 500


def _encodable(value: str) -> bool:
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError("string_nul", "Text must not contain the NUL character (\\u0000)")
    return value


# max_length also makes pydantic-core reject lone surrogates (error type string_unicode).
Id = Annotated[str, StringConstraints(max_length=ID.max_length), AfterValidator(_no_nul)]
Email = Annotated[str, StringConstraints(max_length=EMAIL.max_length), AfterValidator(_no_nul)]
Name = Annotated[str, StringConstraints(max_length=NAME.max_length), AfterValidator(_no_nul)]
Text = Annotated[str, StringConstraints(max_length=TEXT.max_length), AfterValidator(_no_nul)]


#: The instants asyncpg and every service handle safely: see the module's docstring.
MIN_INSTANT = datetime(MIN_YEAR, 1, 1, tzinfo=UTC)
END_INSTANT = datetime(MAX_YEAR + 1, 1, 1, tzinfo=UTC)


def instant_problem(value: datetime) -> str | None:
    """Why `value` cannot be stored as a point in time, or None (the same rule as `Instant`)."""
    if value.tzinfo is None or value.utcoffset() is None:
        return "must carry a time zone"
    # Comparing aware datetimes works on their UTC difference: nothing overflows here.
    if not MIN_INSTANT <= value < END_INSTANT:
        return f"must lie within the years {MIN_YEAR}-{MAX_YEAR} (UTC)"
    return None


#: Checked in pydantic-core (no Python call): aware, and within the years.
Instant = Annotated[AwareDatetime, Field(ge=MIN_INSTANT, lt=END_INSTANT)]
Day = Annotated[date, Field(ge=date(MIN_YEAR, 1, 1), lt=date(MAX_YEAR + 1, 1, 1))]
_INSTANT: TypeAdapter[datetime] = TypeAdapter(Instant)


def parse_instant(text: str) -> datetime:
    """An ISO-8601 date-time with offset, within the bounds; ValueError otherwise."""
    return _INSTANT.validate_strings(text)


#: An amount that fits `Numeric(14, 2)` once rounded to cents (callers round, or add
#: `decimal_places=2` to refuse sub-cent input).
Money = Annotated[Decimal, Field(ge=0, lt=MONEY_END, allow_inf_nan=False)]
Int32 = Annotated[int, Field(ge=INT32_MIN, le=INT32_MAX)]


def int32_problem(value: int) -> str | None:
    return None if INT32_MIN <= value <= INT32_MAX else "does not fit a 32-bit integer"


def json_problem(value: Any) -> tuple[str, str] | None:
    """(relative path, why) for the first part of a JSON value that cannot be stored, or None.

    Paths are `.key` and `[index]` steps from `value`, so callers can prefix their own path.
    """
    budget = [MAX_JSON_CHARS]
    return _json_problem(value, "", 0, budget)


def _json_problem(value: Any, path: str, depth: int, budget: list[int]) -> tuple[str, str] | None:
    if depth > MAX_JSON_DEPTH:
        return path, f"nested deeper than {MAX_JSON_DEPTH} levels"
    if isinstance(value, str):
        budget[0] -= len(value)
        problem = TEXT.problem(value)
    elif isinstance(value, float):
        problem = None if value == value and abs(value) != float("inf") else "not a finite number"
    elif isinstance(value, Mapping):
        for key, item in value.items():
            step = f"{path}.{key}"
            budget[0] -= len(key)
            if (problem := NAME.problem(key)) is not None:
                return step, f"key {problem}"
            if (found := _json_problem(item, step, depth + 1, budget)) is not None:
                return found
        problem = None
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if (found := _json_problem(item, f"{path}[{index}]", depth + 1, budget)) is not None:
                return found
        problem = None
    else:
        problem = None  # int, bool, None: jsonb holds any integer
    if problem is None and budget[0] < 0:
        problem = f"more than {MAX_JSON_CHARS} characters of JSON text"
    return (path, problem) if problem is not None else None


def _bounded_json(value: dict[str, Any]) -> dict[str, Any]:
    found = json_problem(value)
    if found is not None:
        path, problem = found
        raise PydanticCustomError(
            "json_unstorable", "{path}: {problem}", {"path": path.lstrip("."), "problem": problem}
        )
    return value


JsonObject = Annotated[dict[str, Any], AfterValidator(_bounded_json)]
