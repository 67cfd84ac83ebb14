"""A tenant's rule set is checked strictly: every problem names the rule and the field."""

import pytest

from attribution.domain.default_channels import default_rule_set
from attribution.domain.rule_sets import RuleSetError, parse_rule_set

CATCH_ALL = {"rule_id": "rest", "channel": "Other", "any_of": []}
PAID = {
    "rule_id": "paid",
    "channel": "Paid",
    "any_of": [[{"field": "medium", "op": "in", "values": ["cpc", "ppc"]}]],
}


def test_the_defaults_pass_and_keep_their_digest() -> None:
    defaults = default_rule_set()
    parsed = parse_rule_set(defaults.to_dict(with_version=False), 5)
    assert parsed.version == 5
    assert parsed.digest == defaults.digest


def test_a_valid_set_round_trips() -> None:
    data = {"rules": [PAID, CATCH_ALL], "source_categories": {"Bing.com": "search"}}
    parsed = parse_rule_set(data, 2)
    assert parsed.to_dict(with_version=False) == {
        "rules": [PAID, CATCH_ALL],
        "source_categories": {"bing.com": "search"},
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"rules": []}, "rules: give at least one rule"),
        ({"rules": [PAID]}, "rules[0] (paid).any_of: the last rule must be a catch-all"),
        (
            {"rules": [CATCH_ALL, PAID, {**CATCH_ALL, "rule_id": "end"}]},
            "rules[0] (rest).any_of: only the last rule may be a catch-all",
        ),
        (
            {"rules": [PAID, {**CATCH_ALL, "rule_id": "paid"}]},
            "rules[1] (paid).rule_id: 'paid' is used by rules[0] too",
        ),
        (
            {"rules": [{**PAID, "channel": " "}, CATCH_ALL]},
            "rules[0] (paid).channel: must be a non-empty string",
        ),
        (
            {"rules": [{**PAID, "any_of": [[{"field": "colour", "op": "equals"}]]}, CATCH_ALL]},
            "rules[0] (paid).any_of[0][0].field: 'colour' is not one of source, medium",
        ),
        (
            {"rules": [{**PAID, "any_of": [[{"field": "source", "op": "like"}]]}, CATCH_ALL]},
            "rules[0] (paid).any_of[0][0].op: 'like' is not one of equals",
        ),
        (
            {"rules": [{**PAID, "any_of": [[{"field": "source", "op": "equals"}]]}, CATCH_ALL]},
            "rules[0] (paid).any_of[0][0].values: equals takes 1 value(s), got 0",
        ),
        (
            {
                "rules": [
                    {**PAID, "any_of": [[{"field": "source", "op": "matches", "values": ["("]}]]},
                    CATCH_ALL,
                ]
            },
            "rules[0] (paid).any_of[0][0].values: invalid regular expression '('",
        ),
        (
            {"rules": [{**PAID, "any_of": [[]]}, CATCH_ALL]},
            "rules[0] (paid).any_of[0]: a clause is a non-empty list of conditions",
        ),
        (
            {"rules": [PAID, CATCH_ALL], "source_categories": {"x.com": ""}},
            "source_categories.x.com: source and category must be non-empty strings",
        ),
    ],
)
def test_each_problem_names_the_rule_and_field(data: dict[str, object], message: str) -> None:
    with pytest.raises(RuleSetError) as raised:
        parse_rule_set(data, 2)
    assert str(raised.value).startswith(message), str(raised.value)
