"""Channel grouping as data: an ordered, versioned list of rules; the first match wins.

A rule matches when any of its clauses matches; a clause matches when all of its conditions do
(disjunctive normal form, enough for every GA4 rule). Matching is case-insensitive on trimmed
values, as in GA4. A tenant's rule set is plain data (`RuleSet.from_dict`); `digest` names its
content, `version` is the tenant's counter.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache, cached_property
from typing import Any

import re2

from attribution.domain.canonical import sha256_of
from attribution.domain.touches import Touch, Utm

EXPLICIT_RULE_ID = "explicit"
_CACHE_LIMIT = 4096


class Field(StrEnum):
    SOURCE = "source"
    MEDIUM = "medium"
    CAMPAIGN = "campaign"
    CONTENT = "content"
    TERM = "term"
    ACTIVITY_TYPE = "activity_type"
    SOURCE_CATEGORY = "source_category"  # looked up in the rule set's source_categories


class Op(StrEnum):
    EQUALS = "equals"
    IN = "in"
    MATCHES = "matches"  # full match of a regular expression
    CONTAINS = "contains"
    STARTS_WITH = "starts_with"
    ENDS_WITH = "ends_with"
    EMPTY = "empty"  # absent or blank
    PRESENT = "present"


def _re2_options() -> re2.Options:
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False  # a tenant's bad pattern is a 422, not a line on stderr
    return options


_RE2_OPTIONS = _re2_options()


@cache
def _regex(pattern: str) -> Any:
    """Patterns are tenant data, so they run on RE2 (GA4's own syntax): matching takes linear
    time whatever the pattern, where a backtracking engine can be stalled by one rule."""
    return re2.compile(pattern, _RE2_OPTIONS)


@dataclass(frozen=True, slots=True)
class Condition:
    field: Field
    op: Op
    values: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "field", Field(self.field))
        object.__setattr__(self, "op", Op(self.op))
        # A pattern keeps its case: `\\S` is not `\\s` (matching ignores case anyway).
        normal = str.strip if self.op is Op.MATCHES else _clean
        object.__setattr__(self, "values", tuple(normal(v) for v in self.values))
        wanted = {Op.EMPTY: 0, Op.PRESENT: 0, Op.IN: None}.get(self.op, 1)
        if wanted is not None and len(self.values) != wanted:
            raise ValueError(f"{self.op.value} takes {wanted} value(s), got {len(self.values)}")
        if self.op is Op.IN and not self.values:
            raise ValueError("in takes at least one value")
        if self.op is Op.MATCHES:
            try:
                _regex(self.values[0])
            except re2.error as error:
                why = error.args[0].decode() if error.args else "unparsable"
                raise ValueError(
                    f"invalid regular expression {self.values[0]!r}: {why} (RE2 syntax)"
                ) from None

    def holds(self, value: str) -> bool:
        """`value` is already trimmed and lower-cased; "" means absent."""
        op, values = self.op, self.values
        if op is Op.EMPTY:
            return not value
        if op is Op.PRESENT:
            return bool(value)
        if op is Op.IN:
            return value in values
        if op is Op.EQUALS:
            return value == values[0]
        if op is Op.MATCHES:
            return _regex(values[0]).fullmatch(value) is not None
        if not value:
            return False
        if op is Op.CONTAINS:
            return values[0] in value
        if op is Op.STARTS_WITH:
            return value.startswith(values[0])
        return value.endswith(values[0])

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field.value, "op": self.op.value, "values": list(self.values)}


@dataclass(frozen=True, slots=True)
class Rule:
    rule_id: str
    channel: str
    any_of: tuple[tuple[Condition, ...], ...]  # () matches everything (a catch-all)

    def __post_init__(self) -> None:
        if not self.rule_id or not self.channel:
            raise ValueError("a rule needs a rule_id and a channel")

    def matches(self, values: Mapping[Field, str]) -> bool:
        if not self.any_of:
            return True
        return any(all(c.holds(values[c.field]) for c in clause) for clause in self.any_of)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "channel": self.channel,
            "any_of": [[c.to_dict() for c in clause] for clause in self.any_of],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Rule":
        clauses = tuple(
            tuple(Condition(Field(c["field"]), Op(c["op"]), tuple(c.get("values", ()))) for c in cl)
            for cl in data.get("any_of", ())
        )
        return cls(str(data["rule_id"]), str(data["channel"]), clauses)


@dataclass(frozen=True, slots=True)
class Classification:
    channel: str
    rule_id: str  # which rule decided; "explicit" when the touch named its channel
    rule_version: int


@dataclass(frozen=True)
class RuleSet:
    version: int
    rules: tuple[Rule, ...]
    source_categories: Mapping[str, str] = field(default_factory=dict)
    _memo: dict[tuple[str, Utm], Classification] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        ids = [rule.rule_id for rule in self.rules]
        if len(set(ids)) != len(ids):
            raise ValueError("rule ids must be unique within a rule set")
        if not self.rules or self.rules[-1].any_of:
            raise ValueError("the last rule must be a catch-all (no conditions)")
        categories = {
            k.strip().lower(): v.strip().lower() for k, v in self.source_categories.items()
        }
        object.__setattr__(self, "source_categories", categories)

    @cached_property
    def digest(self) -> str:
        """sha256 of the content: two rule sets with the same digest classify identically."""
        return sha256_of(self.to_dict(with_version=False))

    def classify(self, touch: Touch) -> Classification:
        if touch.channel:
            return Classification(touch.channel, EXPLICIT_RULE_ID, self.version)
        key = (touch.activity_type, touch.utm)
        found = self._memo.get(key)
        if found is None:
            found = self._classify(*key)
            if len(self._memo) >= _CACHE_LIMIT:
                self._memo.clear()
            self._memo[key] = found
        return found

    def _classify(self, activity: str, utm: Utm) -> Classification:
        source = _clean(utm.source)
        values = {
            Field.ACTIVITY_TYPE: activity,
            Field.SOURCE: source,
            Field.MEDIUM: _clean(utm.medium),
            Field.CAMPAIGN: _clean(utm.campaign),
            Field.CONTENT: _clean(utm.content),
            Field.TERM: _clean(utm.term),
            Field.SOURCE_CATEGORY: self.category_of(source),
        }
        rule = next(rule for rule in self.rules if rule.matches(values))
        return Classification(rule.channel, rule.rule_id, self.version)

    def category_of(self, source: str) -> str:
        """Category of a source name or host: exact, else with leading labels dropped one by one
        (`lm.facebook.com` -> `facebook.com`; a bare TLD is never looked up); "" if unknown."""
        host = source
        while host:
            found = self.source_categories.get(host)
            if found:
                return found
            _, dot, rest = host.partition(".")
            host = rest if dot and "." in rest else ""
        return ""

    def to_dict(self, *, with_version: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "rules": [rule.to_dict() for rule in self.rules],
            "source_categories": dict(sorted(self.source_categories.items())),
        }
        if with_version:
            data["version"] = self.version
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "RuleSet":
        rules = tuple(Rule.from_dict(rule) for rule in data["rules"])
        return cls(int(data["version"]), rules, dict(data.get("source_categories", {})))


def _clean(value: str | None) -> str:
    return value.strip().lower() if value else ""


def when(field_: Field, op: Op, *values: str) -> Condition:
    return Condition(field_, op, values)


def rule(rule_id: str, channel: str, *clauses: Sequence[Condition]) -> Rule:
    return Rule(rule_id, channel, tuple(tuple(clause) for clause in clauses))
