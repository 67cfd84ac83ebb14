"""A tenant's channel rules as it sends them: checked strictly, every problem naming its place.

`parse_rule_set` is the one door into a stored rule set: `RuleSet.from_dict` trusts its input
(the defaults and stored versions), this explains what is wrong with a tenant's.
"""

from collections.abc import Mapping
from typing import Any

from attribution.domain.channels import Condition, Field, Op, Rule, RuleSet

MAX_RULES = 500
MAX_PATTERN_CHARS = 1000


class RuleSetError(ValueError):
    """A rule set that cannot be used; the message starts with where (`rules[3] (paid).…`)."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


def _choices(kind: type[Field] | type[Op]) -> str:
    return ", ".join(member.value for member in kind)


def _condition(data: Any, where: str) -> Condition:
    if not isinstance(data, Mapping):
        raise RuleSetError(where, "a condition is an object {field, op, values}")
    try:
        field = Field(str(data.get("field")))
    except ValueError:
        raise RuleSetError(
            f"{where}.field", f"{data.get('field')!r} is not one of {_choices(Field)}"
        ) from None
    try:
        op = Op(str(data.get("op")))
    except ValueError:
        raise RuleSetError(
            f"{where}.op", f"{data.get('op')!r} is not one of {_choices(Op)}"
        ) from None
    values = data.get("values", [])
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise RuleSetError(f"{where}.values", "must be a list of strings")
    if op is Op.MATCHES and any(len(v) > MAX_PATTERN_CHARS for v in values):
        raise RuleSetError(f"{where}.values", f"a pattern is at most {MAX_PATTERN_CHARS} chars")
    try:
        return Condition(field, op, tuple(values))
    except ValueError as error:
        raise RuleSetError(f"{where}.values", str(error)) from None


def _rule(data: Any, where: str) -> Rule:
    if not isinstance(data, Mapping):
        raise RuleSetError(where, "a rule is an object {rule_id, channel, any_of}")
    for key in ("rule_id", "channel"):
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise RuleSetError(f"{where}.{key}", "must be a non-empty string")
    any_of = data.get("any_of", [])
    if not isinstance(any_of, list):
        raise RuleSetError(f"{where}.any_of", "must be a list of clauses (lists of conditions)")
    clauses = []
    for i, clause in enumerate(any_of):
        if not isinstance(clause, list) or not clause:
            raise RuleSetError(f"{where}.any_of[{i}]", "a clause is a non-empty list of conditions")
        clauses.append(
            tuple(_condition(c, f"{where}.any_of[{i}][{j}]") for j, c in enumerate(clause))
        )
    return Rule(data["rule_id"], data["channel"], tuple(clauses))


def parse_rule_set(data: Mapping[str, Any], version: int) -> RuleSet:
    """The rule set `data` describes (`rules`, `source_categories`), as version `version`.

    Rules are tried in order and the first match wins, so the last rule must be a catch-all
    (no conditions) and no other may be: every rule after one could never match.
    """
    rules_data = data.get("rules")
    if not isinstance(rules_data, list) or not rules_data:
        raise RuleSetError("rules", "give at least one rule; the last must be a catch-all")
    if len(rules_data) > MAX_RULES:
        raise RuleSetError("rules", f"at most {MAX_RULES} rules, got {len(rules_data)}")
    rules: list[Rule] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(rules_data):
        rule_id = item.get("rule_id") if isinstance(item, Mapping) else None
        where = f"rules[{index}]" + (f" ({rule_id})" if isinstance(rule_id, str) else "")
        rule = _rule(item, where)
        if rule.rule_id in seen:
            raise RuleSetError(
                f"{where}.rule_id", f"{rule.rule_id!r} is used by rules[{seen[rule.rule_id]}] too"
            )
        seen[rule.rule_id] = index
        last = index == len(rules_data) - 1
        if last and rule.any_of:
            raise RuleSetError(
                f"{where}.any_of", "the last rule must be a catch-all (empty any_of)"
            )
        if not last and not rule.any_of:
            raise RuleSetError(
                f"{where}.any_of",
                "only the last rule may be a catch-all: the rules after it could never match",
            )
        rules.append(rule)
    categories = data.get("source_categories") or {}
    if not isinstance(categories, Mapping):
        raise RuleSetError("source_categories", "must be an object {source: category}")
    for source, category in categories.items():
        if not isinstance(category, str) or not category.strip() or not source.strip():
            raise RuleSetError(
                f"source_categories.{source}", "source and category must be non-empty strings"
            )
    return RuleSet(version, tuple(rules), dict(categories))
