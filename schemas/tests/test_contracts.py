"""Event contracts are public: within a major version every change must be additive.

Snapshots in schemas/snapshots/ are the published contracts. After an additive change, refresh
them with `python -m dealflow_schemas.export schemas/snapshots`; a breaking change needs a new
topic version instead.
"""

import json
from pathlib import Path

import pytest
from pydantic import BaseModel

from dealflow_schemas.attribution import (
    ChannelShare,
    DealAttributed,
    MeetingAttributed,
    TouchSubmitted,
)
from dealflow_schemas.export import breaking_changes, json_schemas

SNAPSHOTS = Path(__file__).resolve().parents[1] / "snapshots"
CURRENT = json_schemas()


@pytest.mark.parametrize("snapshot", sorted(SNAPSHOTS.glob("*.json")), ids=lambda p: p.stem)
def test_published_contract_is_still_readable(snapshot: Path) -> None:
    ce_type = snapshot.stem
    assert ce_type in CURRENT, f"{ce_type} was removed; publish a new version instead"
    assert breaking_changes(json.loads(snapshot.read_text()), CURRENT[ce_type]) == []


def test_every_contract_has_a_snapshot() -> None:
    missing = sorted(set(CURRENT) - {p.stem for p in SNAPSHOTS.glob("*.json")})
    assert missing == [], f"export snapshots for {missing}"


class TestBreakingChangeDetection:
    BASE = {
        "properties": {
            "a": {"type": "string"},
            "b": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        },
        "required": ["a"],
    }

    def test_added_optional_field_is_fine(self) -> None:
        new = {**self.BASE, "properties": {**self.BASE["properties"], "c": {"type": "integer"}}}
        assert breaking_changes(self.BASE, new) == []

    def test_removed_field_breaks(self) -> None:
        new = {**self.BASE, "properties": {"a": {"type": "string"}}}
        assert breaking_changes(self.BASE, new) == ["b: removed"]

    def test_retyped_field_breaks(self) -> None:
        new = {**self.BASE, "properties": {**self.BASE["properties"], "a": {"type": "integer"}}}
        assert breaking_changes(self.BASE, new)[0].startswith("a: type changed")

    def test_newly_required_breaks(self) -> None:
        assert breaking_changes(self.BASE, {**self.BASE, "required": ["a", "b"]}) == [
            "b: became required"
        ]

    def test_dropped_enum_value_breaks(self) -> None:
        old = {"$defs": {"S": {"enum": ["x", "y"], "type": "string"}}}
        new = {"$defs": {"S": {"enum": ["x"], "type": "string"}}}
        assert breaking_changes({"properties": {}, **old}, {"properties": {}, **new}) != []

    def test_a_bound_on_values_is_fine(self) -> None:
        bounded = {"anyOf": [{"type": "string", "maxLength": 256}, {"type": "null"}]}
        new = {**self.BASE, "properties": {**self.BASE["properties"], "b": bounded}}
        assert breaking_changes(self.BASE, new) == []

    def test_a_retyped_option_still_breaks(self) -> None:
        retyped = {"anyOf": [{"type": "integer", "maximum": 5}, {"type": "null"}]}
        new = {**self.BASE, "properties": {**self.BASE["properties"], "b": retyped}}
        assert breaking_changes(self.BASE, new)[0].startswith("b: type changed")


@pytest.mark.parametrize(
    "contract",
    [TouchSubmitted, MeetingAttributed, DealAttributed, ChannelShare],
    ids=lambda c: c.__name__,
)
def test_every_field_is_documented_with_an_example(contract: type[BaseModel]) -> None:
    # The AsyncAPI documents are built from these (docs/architecture.md, contracts rule).
    bare = [
        name
        for name, field in contract.model_fields.items()
        if not field.description or not field.examples
    ]
    assert bare == [], f"{contract.__name__}: add Field(description=..., examples=...) to {bare}"
