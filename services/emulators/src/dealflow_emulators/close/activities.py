"""Close activities: custom activity types and their fields, custom activities, notes, and
meetings (which the API cannot create: they come from calendar sync, seeded here) (§3.5 h)."""

from datetime import datetime
from typing import Any

from dealflow_emulators.close.records import CloseError, invalid, new_id, organization_id, stamp
from dealflow_emulators.common import Record, Store

FIELD_TYPES = ("text", "number", "date", "datetime", "contact", "user", "choices", "url")
MEETING_EDITABLE = ("user_note_html", "outcome_id")


def _audited(store: Store, user_id: str, record: Record, current: Record | None) -> Record:
    now = stamp()
    if current is None:
        record.update(organization_id=organization_id(store), date_created=now, created_by=user_id)
    record.update(date_updated=now, updated_by=user_id)
    return record


def create_activity_type(store: Store, user_id: str, body: Record) -> Record:
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise invalid("name", "This field is required.")
    type_id = new_id("actitype")
    record = {
        "id": type_id,
        "name": name,
        "description": body.get("description", ""),
        "api_create_only": bool(body.get("api_create_only", False)),
        "editable_with_roles": body.get("editable_with_roles", []),
    }
    return store["custom_activity_types"].put(type_id, _audited(store, user_id, record, None))


def activity_type_view(store: Store, record: Record) -> Record:
    fields = [
        f for f in store["activity_custom_fields"] if f["custom_activity_type_id"] == record["id"]
    ]
    return {**record, "fields": fields}


def create_activity_field(store: Store, user_id: str, body: Record) -> Record:
    errors = {}
    if not isinstance(body.get("name"), str) or not body["name"].strip():
        errors["name"] = "This field is required."
    if body.get("type") not in FIELD_TYPES:
        errors["type"] = f"Must be one of {', '.join(FIELD_TYPES)}."
    if store["custom_activity_types"].get(body.get("custom_activity_type_id") or "") is None:
        errors["custom_activity_type_id"] = "Object does not exist."
    if errors:
        raise CloseError(400, field_errors=errors)
    field_id = new_id("cf")
    record = {
        "id": field_id,
        "name": body["name"],
        "type": body["type"],
        "custom_activity_type_id": body["custom_activity_type_id"],
        "required": bool(body.get("required", False)),
        "accepts_multiple_values": bool(body.get("accepts_multiple_values", False)),
        "choices": body.get("choices"),
        "description": body.get("description", ""),
    }
    return store["activity_custom_fields"].put(field_id, _audited(store, user_id, record, None))


def _check_value(store: Store, field: Record, value: Any) -> None:
    key = f"custom.{field['id']}"
    values = value if isinstance(value, list) else [value]
    if isinstance(value, list) and not field["accepts_multiple_values"]:
        raise invalid(key, "This field takes one value.")
    for item in values:
        kind = field["type"]
        if kind == "datetime" or kind == "date":
            try:
                datetime.fromisoformat(str(item).replace("Z", "+00:00"))
            except ValueError:
                raise invalid(key, f"Not a valid {kind}.") from None
        elif kind == "contact" and store["contacts"].get(str(item)) is None:
            raise invalid(key, "Contact does not exist.")
        elif kind == "user" and store["users"].get(str(item)) is None:
            raise invalid(key, "User does not exist.")
        elif kind == "number" and (isinstance(item, bool) or not isinstance(item, int | float)):
            raise invalid(key, "Must be a number.")
        elif kind == "choices" and item not in (field["choices"] or []):
            raise invalid(key, "Not one of the choices.")
        elif kind in ("text", "url") and not isinstance(item, str):
            raise invalid(key, "Must be text.")


def save_custom_activity(
    store: Store, user_id: str, body: Record, current: Record | None = None
) -> Record:
    """`published` (the default) checks required fields; `draft` does not (§3.5 h)."""
    merged = {**(current or {}), **body}
    type_id = merged.get("custom_activity_type_id")
    errors = {}
    if store["custom_activity_types"].get(type_id or "") is None:
        errors["custom_activity_type_id"] = (
            "This field is required." if not type_id else ("Object does not exist.")
        )
    if store["leads"].get(merged.get("lead_id") or "") is None:
        errors["lead_id"] = (
            "This field is required." if not merged.get("lead_id") else ("Object does not exist.")
        )
    if errors:
        raise CloseError(400, field_errors=errors)
    contact_id = merged.get("contact_id")
    if contact_id is not None and store["contacts"].get(contact_id) is None:
        raise invalid("contact_id", "Object does not exist.")
    status = merged.get("status", "published")
    if status not in ("published", "draft"):
        raise invalid("status", "Must be published or draft.")
    fields = {
        f"custom.{f['id']}": f
        for f in store["activity_custom_fields"]
        if f["custom_activity_type_id"] == type_id
    }
    for key, value in body.items():
        if key.startswith("custom."):
            if key not in fields:
                raise invalid(key, "Unknown field for this custom activity type.")
            if value is not None:
                _check_value(store, fields[key], value)
    if status == "published":
        missing = {
            k: "This field is required."
            for k, f in fields.items()
            if f["required"] and merged.get(k) in (None, "", [])
        }
        if missing:
            raise CloseError(400, field_errors=missing)
    record: Record = dict(current) if current else {"id": new_id("acti"), "_type": "CustomActivity"}
    record.update({k: v for k, v in body.items() if k.startswith("custom.")})
    record.update(
        custom_activity_type_id=type_id,
        lead_id=merged["lead_id"],
        contact_id=contact_id,
        status=status,
        pinned=bool(merged.get("pinned", False)),
        user_id=merged.get("user_id", user_id),
    )
    return store["custom_activities"].put(record["id"], _audited(store, user_id, record, current))


def save_note(store: Store, user_id: str, body: Record, current: Record | None = None) -> Record:
    lead_id = body.get("lead_id", current["lead_id"] if current else None)
    if store["leads"].get(lead_id or "") is None:
        raise invalid(
            "lead_id", "This field is required." if not lead_id else "Object does not exist."
        )
    record: Record = dict(current) if current else {"id": new_id("acti"), "_type": "Note"}
    note = body.get("note", body.get("note_html", record.get("note", "")))
    record.update(
        lead_id=lead_id,
        contact_id=body.get("contact_id", record.get("contact_id")),
        note=note,
        note_html=body.get("note_html", record.get("note_html", note)),
        user_id=record.get("user_id", user_id),
        pinned=bool(body.get("pinned", False)),
    )
    return store["notes"].put(record["id"], _audited(store, user_id, record, current))


def seed_meeting(store: Store, user_id: str, item: Record) -> Record:
    """What calendar sync would have made: the only way a meeting comes to exist."""
    if store["leads"].get(item.get("lead_id") or "") is None:
        raise invalid("lead_id", "Object does not exist.")
    record = {
        "id": new_id("acti"),
        "_type": "Meeting",
        "lead_id": item["lead_id"],
        "contact_id": item.get("contact_id"),
        "user_id": item.get("user_id", user_id),
        "title": item.get("title", "Meeting"),
        "starts_at": item.get("starts_at"),
        "ends_at": item.get("ends_at"),
        "status": item.get("status", "upcoming"),
        "attendees": item.get("attendees", []),
        "user_note_html": "",
        "outcome_id": None,
    }
    return store["meetings"].put(record["id"], _audited(store, user_id, record, None))


def update_meeting(store: Store, user_id: str, meeting: Record, body: Record) -> Record:
    unknown = sorted(set(body) - set(MEETING_EDITABLE))
    if unknown:
        raise CloseError(400, field_errors={k: "Cannot be changed on a meeting." for k in unknown})
    record = {**meeting, **body}
    return store["meetings"].put(record["id"], _audited(store, user_id, record, meeting))
