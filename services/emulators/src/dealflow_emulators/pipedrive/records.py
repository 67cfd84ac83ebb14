"""Pipedrive's records, held in one canonical form and shaped per API version on the way out.

v1 expands `user_id`, `person_id` and `org_id` into objects and writes times as
`YYYY-MM-DD HH:MM:SS`; v2 keeps ids flat, times RFC 3339, `owner_id` instead of `user_id`
(crm_apis.md §2.6 b, d, h).
"""

import secrets
from typing import Any

from dealflow_emulators.common.clock import utc_now
from dealflow_emulators.common.store import Collection, Record, Store

ACTIVITY_TYPES = ("call", "meeting", "task", "deadline", "email", "lunch")


def now() -> str:
    """Records keep v2's RFC 3339 times; v1 answers rewrite them."""
    return utc_now().strftime("%Y-%m-%dT%H:%M:%SZ")


def v1_time(moment: str | None) -> str | None:
    return moment.replace("T", " ").removesuffix("Z") if moment else None


def v2_time(moment: str | None) -> str | None:
    return moment


KINDS = (
    "users",
    "pipelines",
    "stages",
    "persons",
    "organizations",
    "deals",
    "activities",
    "deal_fields",
)


class Table:
    """One record type keyed by its integer id (the shared `Collection` keys by string)."""

    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    def get(self, key: int | None) -> Record | None:
        return None if key is None else self.collection.get(str(key))

    def __contains__(self, key: object) -> bool:
        return isinstance(key, int) and self.collection.get(str(key)) is not None

    def __getitem__(self, key: int) -> Record:
        record = self.get(key)
        if record is None:
            raise KeyError(key)
        return record

    def __setitem__(self, key: int, record: Record) -> None:
        self.collection.put(str(key), record)

    def __iter__(self) -> Any:
        return (r["id"] for r in self.collection.values())

    def pop(self, key: int) -> Record | None:
        return self.collection.remove(str(key))

    def values(self) -> list[Record]:
        return sorted(self.collection.values(), key=lambda r: int(r["id"]))

    def new_id(self) -> int:
        return self.collection.new_id()


class PipedriveData:
    """Everything one emulated company holds; ids are integers, as on the real API."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.users = Table(store["users"])
        self.pipelines = Table(store["pipelines"])
        self.stages = Table(store["stages"])
        self.persons = Table(store["persons"])
        self.organizations = Table(store["organizations"])
        self.deals = Table(store["deals"])
        self.activities = Table(store["activities"])
        self.deal_fields = Table(store["deal_fields"])


def new_store() -> Store:
    return Store(Collection(kind) for kind in KINDS)


def seed(data: PipedriveData) -> None:
    """Two users, a default "Sales" pipeline of five stages and a second "Partners" one."""
    for uid, name, email in (
        (1, "Ada Owner", "owner@example.com"),
        (2, "Ben Seller", "ben@example.com"),
    ):
        data.users.new_id()
        data.users[uid] = {
            "id": uid,
            "name": name,
            "email": email,
            "default_currency": "USD",
            "locale": "en_US",
            "lang": 1,
            "phone": None,
            "activated": True,
            "last_login": "2025-01-01 09:00:00",
            "created": "2024-01-01 09:00:00",
            "modified": "2025-01-01 09:00:00",
            "has_created_company": uid == 1,
            "access": [{"app": "sales", "admin": uid == 1}],
            "active_flag": True,
            "timezone_name": "Europe/Berlin",
            "timezone_offset": "+01:00",
            "role_id": 1,
            "icon_url": None,
            "is_you": uid == 1,
            "is_deleted": False,
        }
    for pid, (name, stage_names) in enumerate(
        (
            (
                "Sales",
                (
                    "Qualified",
                    "Contact Made",
                    "Demo Scheduled",
                    "Proposal Made",
                    "Negotiations Started",
                ),
            ),
            ("Partners", ("Lead In", "Agreement")),
        ),
        start=1,
    ):
        data.pipelines.new_id()
        data.pipelines[pid] = {"id": pid, "name": name, "order_nr": pid - 1, "active": True}
        for order, stage_name in enumerate(stage_names, start=1):
            stage_id = data.stages.new_id()
            data.stages[stage_id] = {
                "id": stage_id,
                "order_nr": order,
                "name": stage_name,
                "pipeline_id": pid,
                "deal_probability": 100,
                "rotten_days": None,
            }
    for code, name, kind in STANDARD_DEAL_FIELDS:
        add_deal_field(data, name, kind, code=code)


#: A few of the standard deal fields `GET /dealFields` lists besides the custom ones.
STANDARD_DEAL_FIELDS = (
    ("title", "Title", "varchar"),
    ("value", "Value", "monetary"),
    ("person_id", "Contact person", "people"),
    ("org_id", "Organization", "org"),
    ("owner_id", "Owner", "user"),
    ("expected_close_date", "Expected close date", "date"),
)


def add_deal_field(
    data: PipedriveData, name: str, kind: str, description: str = "", code: str | None = None
) -> dict[str, Any]:
    """A custom field's code is a 40-character hash, as on Pipedrive."""
    field_id = data.deal_fields.new_id()
    field = {
        "id": field_id,
        "field_name": name,
        "field_code": code or secrets.token_hex(20),
        "field_type": kind,
        "description": description,
        "is_custom_field": code is None,
    }
    data.deal_fields[field_id] = field
    return field


STAMP = "2025-01-01 09:00:00"


def v1_user_ref(data: PipedriveData, user_id: int | None) -> dict[str, Any] | None:
    user = data.users.get(user_id) if user_id is not None else None
    if user is None:
        return None
    return {
        "id": user["id"],
        "name": user["name"],
        "email": user["email"],
        "has_pic": 0,
        "pic_hash": None,
        "active_flag": True,
        "value": user["id"],
    }


def v1_pipeline(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": p["id"],
        "name": p["name"],
        "url_title": p["name"].lower(),
        "order_nr": p["order_nr"],
        "active": p["active"],
        "deal_probability": True,
        "add_time": STAMP,
        "update_time": STAMP,
        "selected": p["order_nr"] == 0,
    }


def v2_pipeline(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": p["id"],
        "name": p["name"],
        "order_nr": p["order_nr"],
        "is_deleted": not p["active"],
        "is_deal_probability_enabled": True,
        "add_time": "2025-01-01T09:00:00Z",
        "update_time": "2025-01-01T09:00:00Z",
    }


def v1_stage(data: PipedriveData, s: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": s["id"],
        "order_nr": s["order_nr"],
        "name": s["name"],
        "active_flag": True,
        "deal_probability": s["deal_probability"],
        "pipeline_id": s["pipeline_id"],
        "rotten_flag": False,
        "rotten_days": s["rotten_days"],
        "add_time": STAMP,
        "update_time": STAMP,
        "pipeline_name": data.pipelines[s["pipeline_id"]]["name"],
        "pipeline_deal_probability": True,
    }


def v2_stage(s: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": s["id"],
        "order_nr": s["order_nr"],
        "name": s["name"],
        "is_deleted": False,
        "deal_probability": s["deal_probability"],
        "pipeline_id": s["pipeline_id"],
        "is_deal_rot_enabled": False,
        "days_to_rotten": s["rotten_days"],
        "add_time": "2025-01-01T09:00:00Z",
        "update_time": "2025-01-01T09:00:00Z",
    }


def v1_person(data: PipedriveData, p: dict[str, Any]) -> dict[str, Any]:
    org = data.organizations.get(p["org_id"]) if p["org_id"] else None
    return {
        "id": p["id"],
        "name": p["name"],
        "first_name": p["first_name"],
        "last_name": p["last_name"],
        "email": p["emails"] or [{"label": "", "value": "", "primary": True}],
        "phone": p["phones"] or [{"label": "", "value": "", "primary": True}],
        "org_id": None
        if org is None
        else {
            "name": org["name"],
            "people_count": 1,
            "owner_id": org["owner_id"],
            "address": org["address"],
            "active_flag": True,
            "cc_email": None,
            "value": org["id"],
        },
        "owner_id": v1_user_ref(data, p["owner_id"]),
        "org_name": org["name"] if org else None,
        "add_time": v1_time(p["add_time"]),
        "update_time": v1_time(p["update_time"]),
        "active_flag": not p["is_deleted"],
        "visible_to": str(p["visible_to"]),
        "label_ids": p["label_ids"],
    }


def v2_person(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": p["id"],
        "name": p["name"],
        "first_name": p["first_name"],
        "last_name": p["last_name"],
        "owner_id": p["owner_id"],
        "org_id": p["org_id"],
        "add_time": v2_time(p["add_time"]),
        "update_time": v2_time(p["update_time"]),
        "emails": p["emails"],
        "phones": p["phones"],
        "is_deleted": p["is_deleted"],
        "visible_to": p["visible_to"],
        "label_ids": p["label_ids"],
        "picture_id": None,
        "custom_fields": {},
    }


def search_item(data: PipedriveData, p: dict[str, Any]) -> dict[str, Any]:
    """Search results list emails and phones as plain strings (crm_apis.md §2.6 a)."""
    org = data.organizations.get(p["org_id"]) if p["org_id"] else None
    return {
        "id": p["id"],
        "type": "person",
        "name": p["name"],
        "phones": [ph["value"] for ph in p["phones"]],
        "emails": [e["value"] for e in p["emails"]],
        "visible_to": p["visible_to"],
        "owner": {"id": p["owner_id"]},
        "organization": None
        if org is None
        else {"id": org["id"], "name": org["name"], "address": org["address"]},
        "custom_fields": [],
        "notes": [],
    }


def v1_organization(data: PipedriveData, o: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": o["id"],
        "name": o["name"],
        "owner_id": v1_user_ref(data, o["owner_id"]),
        "address": o["address"],
        "add_time": v1_time(o["add_time"]),
        "update_time": v1_time(o["update_time"]),
        "active_flag": not o["is_deleted"],
        "visible_to": str(o["visible_to"]),
        "label_ids": o["label_ids"],
    }


def v2_organization(o: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": o["id"],
        "name": o["name"],
        "owner_id": o["owner_id"],
        "add_time": v2_time(o["add_time"]),
        "update_time": v2_time(o["update_time"]),
        "is_deleted": o["is_deleted"],
        "visible_to": o["visible_to"],
        "address": {"value": o["address"]} if o["address"] else None,
        "label_ids": o["label_ids"],
        "custom_fields": {},
    }


def v1_deal(data: PipedriveData, d: dict[str, Any]) -> dict[str, Any]:
    person = data.persons.get(d["person_id"]) if d["person_id"] else None
    org = data.organizations.get(d["org_id"]) if d["org_id"] else None
    stage = data.stages[d["stage_id"]]
    return {
        "id": d["id"],
        "creator_user_id": v1_user_ref(data, d["creator_user_id"]),
        "user_id": v1_user_ref(data, d["owner_id"]),
        "person_id": None
        if person is None
        else {
            "active_flag": True,
            "name": person["name"],
            "email": person["emails"],
            "phone": person["phones"],
            "owner_id": person["owner_id"],
            "value": person["id"],
        },
        "org_id": None
        if org is None
        else {
            "name": org["name"],
            "people_count": 1,
            "owner_id": org["owner_id"],
            "address": org["address"],
            "active_flag": True,
            "cc_email": None,
            "value": org["id"],
        },
        "stage_id": d["stage_id"],
        "title": d["title"],
        "value": d["value"],
        "currency": d["currency"],
        "add_time": v1_time(d["add_time"]),
        "update_time": v1_time(d["update_time"]),
        "stage_change_time": v1_time(d["stage_change_time"]),
        "active": d["status"] == "open",
        "deleted": d["status"] == "deleted",
        "status": d["status"],
        "probability": None,
        "pipeline_id": d["pipeline_id"],
        "won_time": v1_time(d["won_time"]),
        "lost_time": v1_time(d["lost_time"]),
        "close_time": v1_time(d["close_time"]),
        "lost_reason": d["lost_reason"],
        "expected_close_date": d["expected_close_date"],
        "person_name": person["name"] if person else None,
        "org_name": org["name"] if org else None,
        "owner_name": (data.users.get(d["owner_id"]) or {}).get("name"),
        "formatted_value": f"{d['currency']} {d['value']:,.2f}",
        "weighted_value": d["value"] * stage["deal_probability"] / 100,
        "visible_to": str(d["visible_to"]),
        "label": None,
        **d["custom_fields"],  # v1 puts custom field values at the top, keyed by field code
    }


def v2_deal(d: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": d["id"],
        "title": d["title"],
        "owner_id": d["owner_id"],
        "person_id": d["person_id"],
        "org_id": d["org_id"],
        "pipeline_id": d["pipeline_id"],
        "stage_id": d["stage_id"],
        "value": d["value"],
        "currency": d["currency"],
        "add_time": v2_time(d["add_time"]),
        "update_time": v2_time(d["update_time"]),
        "stage_change_time": v2_time(d["stage_change_time"]),
        "is_deleted": d["status"] == "deleted",
        "is_archived": False,
        "status": d["status"],
        "probability": None,
        "lost_reason": d["lost_reason"],
        "visible_to": d["visible_to"],
        "close_time": v2_time(d["close_time"]),
        "won_time": v2_time(d["won_time"]),
        "lost_time": v2_time(d["lost_time"]),
        "expected_close_date": d["expected_close_date"],
        "label_ids": d["label_ids"],
        "origin": "API",
        "origin_id": None,
        "channel": None,
        "channel_id": None,
        "custom_fields": dict(d["custom_fields"]),
    }


def search_organization_item(o: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": o["id"],
        "type": "organization",
        "name": o["name"],
        "address": o["address"],
        "visible_to": o["visible_to"],
        "owner": {"id": o["owner_id"]},
        "custom_fields": [],
        "notes": [],
    }


def v2_deal_field(f: dict[str, Any]) -> dict[str, Any]:
    return {
        "field_name": f["field_name"],
        "field_code": f["field_code"],
        "description": f["description"],
        "field_type": f["field_type"],
        "is_custom_field": f["is_custom_field"],
        "is_optional_response_field": False,
        "options": None,
        "subfields": None,
    }


def v1_activity(a: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": a["id"],
        "subject": a["subject"],
        "type": a["type"],
        "due_date": a["due_date"],
        "due_time": a["due_time"],
        "duration": a["duration"],
        "note": a["note"],
        "location": a["location"],
        "person_id": a["person_id"],
        "deal_id": a["deal_id"],
        "org_id": a["org_id"],
        "user_id": a["owner_id"],
        "busy_flag": a["busy"],
        "done": a["done"],
        "participants": [
            {"person_id": p["person_id"], "primary_flag": p["primary"]} for p in a["participants"]
        ],
        "attendees": [{"email_address": x["email"], "name": x.get("name")} for x in a["attendees"]],
        "public_description": a["public_description"],
        "add_time": v1_time(a["add_time"]),
        "update_time": v1_time(a["update_time"]),
        "marked_as_done_time": v1_time(a["marked_as_done_time"]) or "",
        "active_flag": True,
    }


def v2_activity(a: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": a["id"],
        "subject": a["subject"],
        "type": a["type"],
        "owner_id": a["owner_id"],
        "creator_user_id": a["creator_user_id"],
        "is_deleted": False,
        "add_time": v2_time(a["add_time"]),
        "update_time": v2_time(a["update_time"]),
        "deal_id": a["deal_id"],
        "lead_id": None,
        "person_id": a["person_id"],
        "org_id": a["org_id"],
        "project_id": None,
        "due_date": a["due_date"],
        "due_time": a["due_time"],
        "duration": a["duration"],
        "busy": a["busy"],
        "done": a["done"],
        "marked_as_done_time": v2_time(a["marked_as_done_time"]),
        "location": {"value": a["location"]} if a["location"] else None,
        "participants": a["participants"],
        "attendees": a["attendees"],
        "conference_meeting_client": None,
        "conference_meeting_url": None,
        "public_description": a["public_description"],
        "priority": a["priority"],
        "note": a["note"],
    }
