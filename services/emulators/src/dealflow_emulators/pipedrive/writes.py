"""Creates and updates, validated the way each API version does.

v1 coerces (`"1500"` is a value, `done` is 0|1, emails may be one string); v2 is strict
(numbers are numbers, booleans are booleans) and takes PATCH instead of PUT (crm_apis.md §2.1).
"""

import re
from typing import Any

from dealflow_emulators.pipedrive.records import (
    ACTIVITY_TYPES,
    PipedriveData,
    Table,
    add_deal_field,
    now,
)

DEAL_STATUSES = ("open", "won", "lost", "deleted")
FIELD_TYPES = (
    "varchar",
    "varchar_auto",
    "text",
    "double",
    "monetary",
    "date",
    "set",
    "enum",
    "user",
    "org",
    "people",
    "phone",
    "time",
    "timerange",
    "daterange",
    "address",
)


class PipedriveError(Exception):
    """Answered as `{success: false, error, error_info, data: null, additional_data: null}`."""

    def __init__(self, status: int, error: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.headers = headers


def _bad(message: str) -> PipedriveError:
    return PipedriveError(400, message)


def _int(body: dict[str, Any], key: str, strict: bool) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or (strict and not isinstance(value, int)):
        raise _bad(f"Invalid '{key}': must be an integer")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _bad(f"Invalid '{key}': must be an integer") from None


def _flag(body: dict[str, Any], key: str, strict: bool) -> bool | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if strict or value not in (0, 1, "0", "1"):
        raise _bad(f"Invalid '{key}': must be a boolean")
    return str(value) == "1"


def _contacts(value: Any, key: str) -> list[dict[str, Any]]:
    """`email`/`phone` given as a string, a list of strings or a list of {value, primary, label}."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    out: list[dict[str, Any]] = []
    for n, item in enumerate(items):
        if isinstance(item, str):
            item = {"value": item}
        if not isinstance(item, dict) or not isinstance(item.get("value"), str):
            raise _bad(f"Invalid '{key}': each item needs a string value")
        out.append(
            {
                "value": item["value"],
                "primary": bool(item.get("primary", n == 0)),
                "label": item.get("label", "work" if key.startswith("email") else ""),
            }
        )
    return out


def _owner(data: PipedriveData, owner_id: int | None) -> int:
    if owner_id is None:
        return next(iter(data.users))
    if owner_id not in data.users:
        raise _bad(f"User with id {owner_id} not found")
    return owner_id


def _existing(table: Table, key: int | None, what: str) -> int | None:
    if key is not None and (key not in table or table[key].get("is_deleted")):
        raise _bad(f"{what} with id {key} not found")
    return key


def save_person(
    data: PipedriveData, body: dict[str, Any], v2: bool, current: dict[str, Any] | None = None
) -> dict[str, Any]:
    name = body.get("name", current["name"] if current else None)
    if not isinstance(name, str) or not name.strip():
        raise _bad("Name must be given")
    emails_key, phones_key = ("emails", "phones") if v2 else ("email", "phone")
    first, _, last = name.strip().partition(" ")
    person: dict[str, Any] = (
        dict(current)
        if current
        else {"id": data.persons.new_id(), "add_time": now(), "is_deleted": False}
    )
    person.update(
        name=name.strip(),
        first_name=body.get("first_name", first),
        last_name=body.get("last_name", last),
        org_id=_existing(data.organizations, _int(body, "org_id", v2), "Organization")
        if "org_id" in body or not current
        else current["org_id"],
        owner_id=_owner(data, _int(body, "owner_id", v2))
        if "owner_id" in body or not current
        else current["owner_id"],
        visible_to=_int(body, "visible_to", v2) or (current or {}).get("visible_to", 3),
        label_ids=body.get("label_ids", (current or {}).get("label_ids", [])),
        update_time=now(),
    )
    for key, field in ((emails_key, "emails"), (phones_key, "phones")):
        if key in body or not current:
            person[field] = _contacts(body.get(key), key)
    data.persons[person["id"]] = person
    return person


def save_organization(
    data: PipedriveData, body: dict[str, Any], v2: bool, current: dict[str, Any] | None = None
) -> dict[str, Any]:
    name = body.get("name", current["name"] if current else None)
    if not isinstance(name, str) or not name.strip():
        raise _bad("Name must be given")
    address = body.get("address")
    if isinstance(address, dict):
        address = address.get("value")
    org: dict[str, Any] = (
        dict(current)
        if current
        else {"id": data.organizations.new_id(), "add_time": now(), "is_deleted": False}
    )
    org.update(
        name=name.strip(),
        owner_id=_owner(data, _int(body, "owner_id", v2))
        if "owner_id" in body or not current
        else current["owner_id"],
        address=address if "address" in body or not current else current["address"],
        visible_to=_int(body, "visible_to", v2) or (current or {}).get("visible_to", 3),
        label_ids=body.get("label_ids", (current or {}).get("label_ids", [])),
        update_time=now(),
    )
    data.organizations[org["id"]] = org
    return org


def _placement(
    data: PipedriveData, body: dict[str, Any], v2: bool, current: dict[str, Any] | None
) -> tuple[int, int]:
    """The stage decides the pipeline; a pipeline alone means its first stage (§2.6 d)."""
    stage_id = _int(body, "stage_id", v2)
    pipeline_id = _int(body, "pipeline_id", v2)
    if stage_id is not None:
        stage = data.stages.get(stage_id)
        if stage is None:
            raise _bad(f"Stage with id {stage_id} not found")
        if pipeline_id is not None and pipeline_id != stage["pipeline_id"]:
            raise _bad(f"Stage {stage_id} does not belong to pipeline {pipeline_id}")
        return stage_id, stage["pipeline_id"]
    if pipeline_id is None and current is not None:
        return current["stage_id"], current["pipeline_id"]
    if pipeline_id is None:
        pipeline_id = min(data.pipelines.values(), key=lambda p: p["order_nr"])["id"]
    if pipeline_id not in data.pipelines:
        raise _bad(f"Pipeline with id {pipeline_id} not found")
    first = min(
        (s for s in data.stages.values() if s["pipeline_id"] == pipeline_id),
        key=lambda s: s["order_nr"],
    )
    return first["id"], pipeline_id


def _value(body: dict[str, Any], v2: bool) -> float | None:
    value = body.get("value")
    if value is None:
        return None
    if isinstance(value, bool) or (v2 and not isinstance(value, int | float)):
        raise _bad("Invalid 'value': must be a number")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise _bad("Invalid 'value': must be a number") from None


def save_deal(
    data: PipedriveData, body: dict[str, Any], v2: bool, current: dict[str, Any] | None = None
) -> dict[str, Any]:
    title = body.get("title", current["title"] if current else None)
    if not isinstance(title, str) or not title.strip():
        raise _bad("Title must be given")
    person_id = _existing(data.persons, _int(body, "person_id", v2), "Person")
    org_id = _existing(data.organizations, _int(body, "org_id", v2), "Organization")
    if current is None and person_id is None and org_id is None:
        raise _bad("Either person_id or org_id must be given")
    status = body.get("status", current["status"] if current else "open")
    if status not in DEAL_STATUSES:
        raise _bad(f"Invalid 'status': must be one of {', '.join(DEAL_STATUSES)}")
    stage_id, pipeline_id = _placement(data, body, v2, current)
    moment = now()
    deal = (
        dict(current)
        if current
        else {
            "id": data.deals.new_id(),
            "add_time": moment,
            "creator_user_id": _owner(data, None),
            "stage_change_time": None,
            "won_time": None,
            "lost_time": None,
            "close_time": None,
            "lost_reason": None,
            "label_ids": [],
            "value": 0.0,
            "currency": "USD",
            "person_id": None,
            "org_id": None,
            "expected_close_date": None,
            "visible_to": 3,
            "custom_fields": {},
        }
    )
    owner_key = "owner_id" if v2 else "user_id"
    if owner_key in body or current is None:
        deal["owner_id"] = _owner(data, _int(body, owner_key, v2))
    if current is not None and stage_id != current["stage_id"]:
        deal["stage_change_time"] = moment
    if status != deal.get("status"):
        _close(deal, status, moment)
    value = _value(body, v2)
    deal.update(
        title=title.strip(),
        stage_id=stage_id,
        pipeline_id=pipeline_id,
        status=status,
        value=deal["value"] if value is None else value,
        update_time=moment,
        currency=body.get("currency", deal["currency"]),
        person_id=person_id if "person_id" in body else deal["person_id"],
        org_id=org_id if "org_id" in body else deal["org_id"],
        expected_close_date=body.get("expected_close_date", deal["expected_close_date"]),
        lost_reason=body.get("lost_reason", deal["lost_reason"]),
        label_ids=body.get("label_ids", deal["label_ids"]),
    )
    deal["custom_fields"] = {**deal["custom_fields"], **_custom_fields(data, body, v2)}
    data.deals[deal["id"]] = deal
    return deal


def _custom_fields(data: PipedriveData, body: dict[str, Any], v2: bool) -> dict[str, Any]:
    """v2 takes `custom_fields: {code: value}`; v1 takes each field code as a top-level key.
    Unknown codes are kept (whether Pipedrive refuses them is not documented)."""
    if not v2:
        codes = {f["field_code"] for f in data.deal_fields.values() if f["is_custom_field"]}
        return {k: v for k, v in body.items() if k in codes}
    given = body.get("custom_fields")
    if given is None:
        return {}
    if not isinstance(given, dict):
        raise _bad("Invalid 'custom_fields': must be an object")
    return given


def _close(deal: dict[str, Any], status: str, moment: str) -> None:
    """won/lost stamp their time and the close time; reopening clears them."""
    deal["won_time"] = moment if status == "won" else None
    deal["lost_time"] = moment if status == "lost" else None
    deal["close_time"] = moment if status in ("won", "lost") else None


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CLOCK = re.compile(r"^\d{2}:\d{2}$")


def save_activity(
    data: PipedriveData, body: dict[str, Any], v2: bool, current: dict[str, Any] | None = None
) -> dict[str, Any]:
    kind = body.get("type", current["type"] if current else "call")
    if kind not in ACTIVITY_TYPES:
        raise _bad(f"Invalid 'type': no activity type '{kind}'")
    for key, pattern, shape in (
        ("due_date", _DATE, "YYYY-MM-DD"),
        ("due_time", _CLOCK, "HH:MM"),
        ("duration", _CLOCK, "HH:MM"),
    ):
        if body.get(key) not in (None, "") and not pattern.match(str(body[key])):
            raise _bad(f"Invalid '{key}': expected {shape}")
    location = body.get("location")
    if v2 and location is not None and not isinstance(location, dict):
        raise _bad("Invalid 'location': must be an object")
    if isinstance(location, dict):
        location = location.get("value")
    moment = now()
    act = (
        dict(current)
        if current
        else {
            "id": data.activities.new_id(),
            "add_time": moment,
            "creator_user_id": _owner(data, None),
            "subject": None,
            "due_date": None,
            "due_time": "",
            "duration": "",
            "note": None,
            "location": None,
            "person_id": None,
            "deal_id": None,
            "org_id": None,
            "busy": False,
            "done": False,
            "marked_as_done_time": None,
            "participants": [],
            "attendees": [],
            "public_description": None,
            "priority": None,
        }
    )
    owner_key = "owner_id" if v2 else "user_id"
    if owner_key in body or current is None:
        act["owner_id"] = _owner(data, _int(body, owner_key, v2))
    done = _flag(body, "done", v2)
    if done is not None and done != act["done"]:
        act["marked_as_done_time"] = moment if done else None
        act["done"] = done
    busy = _flag(body, "busy" if v2 else "busy_flag", v2)
    for key, table, what in (
        ("person_id", data.persons, "Person"),
        ("deal_id", data.deals, "Deal"),
        ("org_id", data.organizations, "Organization"),
    ):
        if key in body:
            act[key] = _existing(table, _int(body, key, v2), what)
    primary = "primary" if v2 else "primary_flag"
    act.update(
        type=kind,
        subject=body.get("subject", act["subject"]) or kind.capitalize(),
        due_date=body.get("due_date", act["due_date"]),
        due_time=body.get("due_time", act["due_time"]),
        duration=body.get("duration", act["duration"]),
        note=body.get("note", act["note"]),
        location=location if "location" in body else act["location"],
        busy=act["busy"] if busy is None else busy,
        update_time=moment,
        public_description=body.get("public_description", act["public_description"]),
        priority=body.get("priority", act["priority"]),
    )
    if "participants" in body:
        act["participants"] = [
            {"person_id": p.get("person_id"), "primary": bool(p.get(primary))}
            for p in body["participants"] or []
        ]
    if "attendees" in body:
        act["attendees"] = [
            {"email": a.get("email") or a.get("email_address"), "name": a.get("name")}
            for a in body["attendees"] or []
        ]
    data.activities[act["id"]] = act
    return act


def create_deal_field(data: PipedriveData, body: dict[str, Any]) -> dict[str, Any]:
    """`POST /api/v2/dealFields {field_name, field_type, description?}`; enum and set need
    options, which this emulator does not keep, so it refuses them."""
    name = body.get("field_name")
    if not isinstance(name, str) or not name.strip():
        raise _bad("Invalid 'field_name': must be given")
    kind = body.get("field_type")
    if kind not in FIELD_TYPES:
        raise _bad(f"Invalid 'field_type': must be one of {', '.join(FIELD_TYPES)}")
    if kind in ("enum", "set"):
        raise _bad("Field options are not supported by this emulator")
    return add_deal_field(data, name.strip(), kind, str(body.get("description") or ""))
