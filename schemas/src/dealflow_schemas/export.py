"""JSON Schema of every event contract, and the additive-change rule checked against snapshots.

`python -m dealflow_schemas.export DIR` writes one `<ce_type>.json` per event into DIR.
"""

import json
import sys
from pathlib import Path
from typing import Any

from dealflow_schemas.registry import EVENT_TYPES


def json_schemas() -> dict[str, dict[str, Any]]:
    return {
        ce_type: model.model_json_schema(mode="serialization")
        for ce_type, model in EVENT_TYPES.items()
    }


def breaking_changes(old: dict[str, Any], new: dict[str, Any], path: str = "") -> list[str]:
    """What in `new` would break a reader written against `old` (within one major version).

    Allowed: new optional fields, new definitions, looser descriptions, bounds on values (a
    producer that promises less breaks no reader). Not allowed: removing or retyping a field,
    making an optional field required, dropping an enum value.
    """
    problems: list[str] = []
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for name, old_field in old_props.items():
        if name not in new_props:
            problems.append(f"{path}{name}: removed")
            continue
        problems += _compare_field(old_field, new_props[name], f"{path}{name}")
    newly_required = set(new.get("required", [])) - set(old.get("required", []))
    problems += [f"{path}{name}: became required" for name in sorted(newly_required)]
    for name, old_def in old.get("$defs", {}).items():
        new_def = new.get("$defs", {}).get(name)
        if new_def is None:
            problems.append(f"$defs.{name}: removed")
        elif "enum" in old_def:
            problems += _compare_field(old_def, new_def, f"$defs.{name}")
        else:
            problems += breaking_changes(old_def, new_def, f"{name}.")
    return problems


def _shape(field: Any) -> Any:
    """The structure a reader relies on. Bounds (maxLength, maximum, ...) are left out: a value
    within a new bound was always valid for a reader written against the unbounded schema."""
    if not isinstance(field, dict):
        return field
    shape = {k: field[k] for k in ("type", "$ref", "format") if k in field}
    for key in ("items", "additionalProperties"):
        if key in field:
            shape[key] = _shape(field[key])
    if "anyOf" in field:
        shape["anyOf"] = [_shape(option) for option in field["anyOf"]]
    return shape


def _compare_field(old: dict[str, Any], new: dict[str, Any], where: str) -> list[str]:
    if "enum" in old:
        dropped = set(old["enum"]) - set(new.get("enum", []))
        return [f"{where}: enum values removed {sorted(dropped)}"] if dropped else []
    if _shape(old) != _shape(new):
        return [f"{where}: type changed from {_shape(old)} to {_shape(new)}"]
    return []


def main(target: str) -> None:
    out = Path(target)
    out.mkdir(parents=True, exist_ok=True)
    for ce_type, schema in json_schemas().items():
        (out / f"{ce_type}.json").write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
        print(f"wrote {out / f'{ce_type}.json'}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "schemas/snapshots")
