"""CRM search (§1.3a): filter groups ORed, filters ANDed, sorts, full-text `query`, limits."""

import functools
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dealflow_emulators.common import Record
from dealflow_emulators.hubspot.errors import validation

MAX_GROUPS, MAX_FILTERS_PER_GROUP, MAX_FILTERS = 5, 10, 25  # since 2024-08-26
MAX_LIMIT = 200


class Filter(BaseModel):
    model_config = ConfigDict(extra="ignore")
    propertyName: str
    operator: str
    value: Any = None
    values: list[Any] | None = None
    highValue: Any = None


class FilterGroup(BaseModel):
    filters: list[Filter] = Field(default_factory=list)


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    query: str | None = None
    limit: int = 10
    after: int | str | None = None
    sorts: list[str | dict[str, Any]] = Field(default_factory=list)
    properties: list[str] | None = None
    filterGroups: list[FilterGroup] = Field(default_factory=list)

    def check_limits(self) -> None:
        if len(self.filterGroups) > MAX_GROUPS:
            raise validation(f"Too many filter groups: at most {MAX_GROUPS}")
        if any(len(g.filters) > MAX_FILTERS_PER_GROUP for g in self.filterGroups):
            raise validation(f"Too many filters in a group: at most {MAX_FILTERS_PER_GROUP}")
        if sum(len(g.filters) for g in self.filterGroups) > MAX_FILTERS:
            raise validation(f"Too many filters: at most {MAX_FILTERS} in all")
        if not 0 < self.limit <= MAX_LIMIT:
            raise validation(f"limit must be between 1 and {MAX_LIMIT}")


def _comparable(value: Any) -> float | str:
    text = str(value)
    try:
        return float(text)
    except ValueError:
        pass
    try:  # dates compare as epoch ms, the form filters give them in
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000
    except ValueError:
        return text.lower()


def _compare(left: Any, right: Any) -> int:
    a, b = _comparable(left), _comparable(right)
    if type(a) is not type(b):
        a, b = str(left).lower(), str(right).lower()
    return (a > b) - (a < b)  # type: ignore[operator]


@functools.lru_cache(maxsize=64)
def _members(values: tuple[str, ...]) -> tuple[frozenset[float | str], frozenset[str]]:
    """An IN list as its comparable forms and its lower-cased texts."""
    return frozenset(_comparable(v) for v in values), frozenset(v.lower() for v in values)


def _passes(record: Record, flt: Filter) -> bool:
    raw = record["properties"].get(flt.propertyName)
    present = raw not in (None, "")
    op = flt.operator.upper()
    if op == "HAS_PROPERTY":
        return present
    if op == "NOT_HAS_PROPERTY":
        return not present
    if op in ("NEQ", "NOT_IN", "NOT_CONTAINS_TOKEN") and not present:
        return True
    if not present:
        return False
    if op == "EQ":
        return _compare(raw, flt.value) == 0
    if op == "NEQ":
        return _compare(raw, flt.value) != 0
    if op in ("IN", "NOT_IN"):
        comparables, texts = _members(tuple(str(v) for v in flt.values or []))
        # What `_compare(raw, v) == 0` for some v says, without comparing to each v in turn.
        inside = _comparable(raw) in comparables or str(raw).lower() in texts
        return inside if op == "IN" else not inside
    if op in ("LT", "LTE", "GT", "GTE"):
        order = _compare(raw, flt.value)
        return {"LT": order < 0, "LTE": order <= 0, "GT": order > 0, "GTE": order >= 0}[op]
    if op == "BETWEEN":
        return _compare(raw, flt.value) >= 0 and _compare(raw, flt.highValue) <= 0
    if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        token = str(flt.value).lower().strip("*")
        found = token in str(raw).lower()
        return found if op == "CONTAINS_TOKEN" else not found
    raise validation(f"Unknown operator: {flt.operator}")


def matches(record: Record, request: SearchRequest, query_properties: tuple[str, ...]) -> bool:
    if request.query:
        needle = request.query.lower()
        if not any(
            needle in str(record["properties"].get(p) or "").lower() for p in query_properties
        ):
            return False
    if not request.filterGroups:
        return True
    return any(all(_passes(record, f) for f in g.filters) for g in request.filterGroups)


def sort(records: list[Record], sorts: list[str | dict[str, Any]]) -> list[Record]:
    ordered = sorted(records, key=lambda r: int(r["id"]))
    for item in reversed(sorts):
        if isinstance(item, str):
            name, descending = item.lstrip("-"), item.startswith("-")
        else:
            name = str(item.get("propertyName", "hs_object_id"))
            descending = str(item.get("direction", "ASCENDING")).upper() == "DESCENDING"
        ordered.sort(
            key=lambda r, n=name: _sort_key(r["properties"].get(n)),  # type: ignore[misc]
            reverse=descending,
        )
    return ordered


def _sort_key(value: Any) -> tuple[int, float, str]:
    """Numbers (and dates) first in order, then text, then records without the property."""
    if value in (None, ""):
        return (2, 0.0, "")
    comparable = _comparable(value)
    return (0, comparable, "") if isinstance(comparable, float) else (1, 0.0, comparable)
