"""Writing CRM records: string-valued properties, system properties, per-type validation."""

from datetime import UTC, datetime
from typing import Any

from dealflow_emulators.common import Record, iso_ms, utc_now
from dealflow_emulators.hubspot.emulator import HubSpot
from dealflow_emulators.hubspot.errors import HubSpotError, validation
from dealflow_emulators.hubspot.properties import known_properties
from dealflow_emulators.hubspot.schema import (
    CREATED_PROPERTY,
    DEFAULT_PIPELINE_ID,
    DEFAULT_PROPERTIES,
    MODIFIED_PROPERTY,
    READ_ONLY_PROPERTIES,
)

MEETING_OUTCOMES = ("SCHEDULED", "COMPLETED", "RESCHEDULED", "NO_SHOW", "CANCELED")


def wire_value(value: Any) -> str:
    """Every property is a string on the wire (§1.2): `true`, `1500`, `""` for a clear."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _invalid_option(name: str, value: str, allowed: list[str]) -> HubSpotError:
    message = f"{value} was not one of the allowed options: [{', '.join(allowed)}]"
    return validation(
        f"Property values were not valid: {message}",
        errors=[
            {
                "message": message,
                "code": "INVALID_OPTION",
                "context": {"propertyName": [name]},
            }
        ],
    )


def _timestamp(value: str, name: str) -> str:
    """Epoch ms or ISO in, ISO with ms and Z stored (as HubSpot reads it back)."""
    if value.isdigit():
        return iso_ms(datetime.fromtimestamp(int(value) / 1000, UTC))
    try:
        return iso_ms(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        raise validation(
            f"Property values were not valid: {value} is not a valid datetime for {name}",
            errors=[{"message": f"invalid datetime: {value}", "code": "INVALID_DATE",
                     "context": {"propertyName": [name]}}],
        ) from None  # fmt: skip


def _check_names(emulator: HubSpot, object_type: str, properties: dict[str, str]) -> None:
    known = known_properties(emulator, object_type)
    problems = [
        (name, f'Property "{name}" does not exist', "PROPERTY_DOESNT_EXIST")
        for name in properties
        if name not in known
    ] + [
        (name, f'"{name}" is a read only property; its value cannot be set.', "READ_ONLY_VALUE")
        for name in properties
        if name in READ_ONLY_PROPERTIES
    ]
    if problems:
        raise validation(
            "Property values were not valid: " + "; ".join(message for _, message, _ in problems),
            errors=[
                {"message": message, "code": code, "context": {"propertyName": [name]}}
                for name, message, code in problems
            ],
        )


def check_properties(
    emulator: HubSpot, object_type: str, properties: dict[str, str], current: dict[str, str]
) -> None:
    """Validate the merged result of a write; fills what HubSpot fills itself."""
    if emulator.config.strict_properties:
        _check_names(emulator, object_type, properties)
    merged = {**current, **properties}
    if object_type == "contacts" and properties.get("email"):
        properties["email"] = properties["email"].strip().lower()
    if object_type == "deals":
        pipeline_id = merged.get("pipeline") or DEFAULT_PIPELINE_ID
        pipeline = emulator.store["pipelines"].get(pipeline_id)
        if pipeline is None:
            ids = [p["id"] for p in emulator.store["pipelines"]]
            raise _invalid_option("pipeline", pipeline_id, ids)
        stages = {s["id"]: s for s in pipeline["stages"]}
        stage_id = merged.get("dealstage") or pipeline["stages"][0]["id"]
        if stage_id not in stages:
            raise _invalid_option("dealstage", stage_id, list(stages))
        if "pipeline" not in current or "pipeline" in properties:
            properties["pipeline"] = pipeline_id
        properties["dealstage"] = stage_id
        metadata = stages[stage_id].get("metadata", {})
        closed = metadata.get("isClosed") == "true"
        won = closed and float(metadata.get("probability", "0")) >= 1.0
        properties["hs_is_closed"] = wire_value(closed)
        properties["hs_is_closed_won"] = wire_value(won)
        properties["hs_deal_stage_probability"] = metadata.get("probability", "0")
        if properties.get("closedate"):
            properties["closedate"] = _timestamp(properties["closedate"], "closedate")
    if object_type == "meetings":
        for name in ("hs_timestamp", "hs_meeting_start_time", "hs_meeting_end_time"):
            if properties.get(name):
                properties[name] = _timestamp(properties[name], name)
        if not merged.get("hs_timestamp"):
            start = properties.get("hs_meeting_start_time") or current.get("hs_meeting_start_time")
            if not start:
                raise validation(
                    "Property values were not valid: hs_timestamp is required",
                    errors=[{"message": "hs_timestamp is required", "code": "REQUIRED_FIELD",
                             "context": {"propertyName": ["hs_timestamp"]}}],
                )  # fmt: skip
            properties["hs_timestamp"] = start
        outcome = properties.get("hs_meeting_outcome")
        if outcome and outcome not in MEETING_OUTCOMES:
            raise _invalid_option("hs_meeting_outcome", outcome, list(MEETING_OUTCOMES))


def live(emulator: HubSpot, object_type: str, object_id: str) -> Record | None:
    """The record when it exists and is not archived: what an association may point at."""
    record = emulator.store[object_type].get(object_id)
    return None if record is None or record["archived"] else record


def new_record(object_type: str, record_id: str, properties: dict[str, str]) -> Record:
    now = utc_now()
    stamp = iso_ms(now)
    return {
        "id": record_id,
        "properties": {
            **properties,
            "hs_object_id": record_id,
            CREATED_PROPERTY[object_type]: stamp,
            MODIFIED_PROPERTY[object_type]: stamp,
        },
        "createdAt": stamp,
        "updatedAt": stamp,
        "archived": False,
    }


def touch(object_type: str, record: Record, properties: dict[str, str]) -> None:
    stamp = iso_ms(utc_now())
    record["properties"].update(properties)
    record["properties"][MODIFIED_PROPERTY[object_type]] = stamp
    record["updatedAt"] = stamp


def shown(
    object_type: str, record: Record, requested: list[str] | None, *, everything: bool = False
) -> Record:
    """A record as a read returns it: default properties unless some were asked for."""
    if everything:
        names: tuple[str, ...] | list[str] = list(record["properties"])
    else:
        names = DEFAULT_PROPERTIES[object_type] if not requested else [*requested, "hs_object_id"]
        if requested:
            names = [*names, CREATED_PROPERTY[object_type], MODIFIED_PROPERTY[object_type]]
    properties = {n: record["properties"].get(n) for n in names if n}
    answer = {k: v for k, v in record.items() if k != "properties"}
    answer["properties"] = properties
    return answer
