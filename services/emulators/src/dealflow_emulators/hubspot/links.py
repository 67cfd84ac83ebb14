"""Associations between records, kept in both directions (HubSpot answers from either side)."""

from typing import Any

from dealflow_emulators.common import Collection, Record
from dealflow_emulators.hubspot.errors import HubSpotError, validation
from dealflow_emulators.hubspot.schema import (
    ASSOCIATION_TYPES,
    DEFAULT_TYPE,
    INVERSE_TYPE,
    OBJECT_TYPE_IDS,
    TYPE_BY_ID,
)


def object_type(name: str) -> str:
    """`contacts`, `contact` or `0-1` -> `contacts`."""
    lowered = name.lower()
    if lowered in OBJECT_TYPE_IDS:
        return lowered
    if lowered in TYPE_BY_ID:
        return TYPE_BY_ID[lowered]
    if f"{lowered}s" in OBJECT_TYPE_IDS:
        return f"{lowered}s"
    if lowered == "company":
        return "companies"
    raise HubSpotError(400, "VALIDATION_ERROR", f"Unable to infer object type from: {name}")


def _key(object_type: str, object_id: str) -> str:
    return f"{object_type}:{object_id}"


def spec(type_id: int, category: str = "HUBSPOT_DEFINED") -> dict[str, Any]:
    return {"associationCategory": category, "associationTypeId": type_id}


def default_specs(from_type: str, to_type: str) -> list[dict[str, Any]]:
    type_id = DEFAULT_TYPE.get((from_type, to_type))
    if type_id is None:
        raise validation(f"No default association between {from_type} and {to_type}")
    return [spec(type_id)]


def check_specs(from_type: str, to_type: str, specs: list[dict[str, Any]]) -> None:
    """HubSpot's own types must join these two object types (custom ones are not checked)."""
    for item in specs:
        type_id = int(item["associationTypeId"])
        known = ASSOCIATION_TYPES.get(type_id)
        if item.get("associationCategory", "HUBSPOT_DEFINED") == "HUBSPOT_DEFINED" and (
            known is None or known[:2] != (from_type, to_type)
        ):
            raise validation(
                f"associationTypeId {type_id} is not valid between {from_type} and {to_type}"
            )


def link(
    links: Collection,
    from_type: str,
    from_id: str,
    to_type: str,
    to_id: str,
    specs: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Associate (idempotent; types add up); returns the specs now on the pair."""
    specs = specs or default_specs(from_type, to_type)
    check_specs(from_type, to_type, specs)
    forward = _merge(links, from_type, from_id, to_type, to_id, specs)
    inverse = [
        spec(INVERSE_TYPE.get(int(s["associationTypeId"]), int(s["associationTypeId"])),
             s.get("associationCategory", "HUBSPOT_DEFINED"))
        for s in specs
    ]  # fmt: skip
    _merge(links, to_type, to_id, from_type, from_id, inverse)
    return forward


def _merge(
    links: Collection,
    from_type: str,
    from_id: str,
    to_type: str,
    to_id: str,
    specs: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """One record per object, its links by target type and id: reads stay O(links of it)."""
    key = _key(from_type, from_id)
    record = links.get(key) or links.put(
        key, {"objectType": from_type, "objectId": from_id, "associations": {}}
    )
    types: list[dict[str, Any]] = (
        record["associations"].setdefault(to_type, {}).setdefault(to_id, [])
    )
    for item in specs:
        normal = spec(
            int(item["associationTypeId"]), item.get("associationCategory", "HUBSPOT_DEFINED")
        )
        if normal not in types:
            types.append(normal)
    return types


def unlink_all(links: Collection, record_type: str, record_id: str) -> None:
    """An archived record leaves its associations (both directions)."""
    record = links.remove(_key(record_type, record_id))
    if record is None:
        return
    for to_type, targets in record["associations"].items():
        for to_id in targets:
            other = links.get(_key(to_type, to_id))
            if other is not None:
                other["associations"].get(record_type, {}).pop(record_id, None)


def linked(links: Collection, from_type: str, from_id: str, to_type: str) -> list[Record]:
    """`[{"toObjectId", "types"}]` of one object towards one type."""
    record = links.get(_key(from_type, from_id))
    targets = {} if record is None else record["associations"].get(to_type, {})
    return [{"toObjectId": to_id, "types": types} for to_id, types in targets.items()]


def label_of(type_id: int) -> str:
    known = ASSOCIATION_TYPES.get(type_id)
    return known[2] if known else str(type_id)
