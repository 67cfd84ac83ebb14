"""Notion's databases, data sources and pages, as the API renders them (notify_notion.md §3).

A database holds one data source (its table, since version 2025-09-03); pages carry a value
per property of that data source's schema. Ids are UUIDs; requests may send them with or
without dashes.
"""

import base64
import hashlib
import uuid
from typing import Any

from dealflow_emulators.common import Collection, Record, Store, iso_ms, utc_now

KINDS = ("databases", "pages")
TEXT_TYPES = ("title", "rich_text")
WRITABLE_TYPES = (
    "title",
    "rich_text",
    "email",
    "select",
    "status",
    "date",
    "number",
    "checkbox",
    "url",
    "phone_number",
    "multi_select",
)
COLORS = ("default", "gray", "brown", "orange", "yellow", "green", "blue", "purple", "pink", "red")

# The pre-call flow's contacts table (issue 10, "Connections"): seeded so `make run` has one.
CONTACTS_DATABASE_ID = "0f6c5c7e-3b8d-4a59-9c0e-5d1b2f3a4c01"
CONTACTS_DATA_SOURCE_ID = "c174b72c-d782-432f-8dc0-b647e1c96df6"  # the doc's example id
CONTACTS_SCHEMA: dict[str, Any] = {
    "Name": "title",
    "Email": "email",
    "Booking Status": {"type": "select", "options": ["Not Booked", "Booked"]},
    "Diagnostic Call Date": "date",
    "Christmas Campaign Status": {
        "type": "status",
        "options": ["Not Started", "Pre-Call Prep", "Call Done"],
    },
    "Notes": "rich_text",
}


class NotionError(Exception):
    """`{object: "error", status, code, message, request_id}`."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def invalid(message: str) -> NotionError:
    return NotionError(400, "validation_error", message)


def normal_id(raw: str) -> str | None:
    """`59833787-2cf9-…` or `598337872cf9…`: one canonical form; None if not a UUID."""
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        return None


def now() -> str:
    return iso_ms(utc_now().replace(second=0, microsecond=0))  # Notion rounds to the minute


def new_store() -> Store:
    return Store(Collection(kind) for kind in KINDS)


def short_id(name: str) -> str:
    """Property and option ids from their names: short like Notion's, stable across restarts."""
    return base64.b64encode(hashlib.sha256(name.encode()).digest()).decode()[:4]


def _option(name: str, n: int) -> Record:
    return {"id": short_id(name), "name": name, "color": COLORS[n % len(COLORS)]}


def make_schema(spec: dict[str, Any]) -> dict[str, Record]:
    """`{"Email": "email", "Stage": {"type": "select", "options": ["A", "B"]}}` → a schema."""
    schema: dict[str, Record] = {}
    for name, raw in spec.items():
        kind = raw if isinstance(raw, str) else raw.get("type")
        if kind not in WRITABLE_TYPES:
            raise invalid(f"Unsupported property type for {name}: {kind}")
        prop: Record = {
            "id": "title" if kind == "title" else short_id(name),
            "name": name,
            "type": kind,
            kind: {},
        }
        if kind in ("select", "status", "multi_select"):
            options = [] if isinstance(raw, str) else raw.get("options", [])
            prop[kind] = {"options": [_option(o, n) for n, o in enumerate(options)]}
        schema[name] = prop
    if sum(1 for p in schema.values() if p["type"] == "title") != 1:
        raise invalid("A database needs exactly one title property.")
    return schema


def add_database(
    store: Store,
    title: str,
    spec: dict[str, Any],
    *,
    database_id: str | None = None,
    data_source_id: str | None = None,
    shared: bool = True,
) -> Record:
    database_id = normal_id(database_id or str(uuid.uuid4()))
    if database_id is None:
        raise invalid("database id must be a UUID")
    stamp = now()
    record = {
        "id": database_id,
        "title": title,
        "shared": shared,
        "data_source_id": normal_id(data_source_id or str(uuid.uuid4())),
        "schema": make_schema(spec),
        "created_time": stamp,
        "last_edited_time": stamp,
    }
    return store["databases"].put(database_id, record)


def seed(store: Store) -> None:
    add_database(
        store,
        "Contacts",
        CONTACTS_SCHEMA,
        database_id=CONTACTS_DATABASE_ID,
        data_source_id=CONTACTS_DATA_SOURCE_ID,
    )


def rich_text(content: str) -> list[Record]:
    return [
        {
            "type": "text",
            "text": {"content": content, "link": None},
            "annotations": {
                "bold": False,
                "italic": False,
                "strikethrough": False,
                "underline": False,
                "code": False,
                "color": "default",
            },
            "plain_text": content,
            "href": None,
        }
    ]


def empty_value(kind: str) -> Any:
    return [] if kind in (*TEXT_TYPES, "multi_select") else False if kind == "checkbox" else None


def title_text(title: str) -> list[Record]:
    return rich_text(title) if title else []


def data_source_of(store: Store, data_source_id: str) -> Record | None:
    for database in store["databases"]:
        if database["data_source_id"] == data_source_id:
            return database
    return None


def database_view(database: Record, version: str) -> Record:
    """Up to 2022-06-28 a database shows its schema; from 2025-09-03 its data sources."""
    view: Record = {
        "object": "database",
        "id": database["id"],
        "title": title_text(database["title"]),
        "description": [],
        "created_time": database["created_time"],
        "last_edited_time": database["last_edited_time"],
        "icon": None,
        "cover": None,
        "parent": {"type": "workspace", "workspace": True},
        "is_inline": False,
        "archived": False,
        "in_trash": False,
        "url": f"https://www.notion.so/{database['id'].replace('-', '')}",
        "public_url": None,
    }
    if version >= "2025-09-03":
        view["data_sources"] = [{"id": database["data_source_id"], "name": database["title"]}]
    else:
        view["properties"] = database["schema"]
    return view


def data_source_view(database: Record) -> Record:
    return {
        "object": "data_source",
        "id": database["data_source_id"],
        "title": title_text(database["title"]),
        "properties": database["schema"],
        "parent": {"type": "database_id", "database_id": database["id"]},
        "database_parent": {"type": "workspace", "workspace": True},
        "created_time": database["created_time"],
        "last_edited_time": database["last_edited_time"],
        "archived": False,
        "in_trash": False,
    }


def page_view(store: Store, page: Record, version: str) -> Record:
    database = store["databases"].get(page["database_id"])
    assert database is not None
    parent: Record = {"type": "database_id", "database_id": database["id"]}
    if version >= "2025-09-03":
        parent = {
            "type": "data_source_id",
            "data_source_id": database["data_source_id"],
            "database_id": database["id"],
        }
    properties = {
        name: {
            "id": prop["id"],
            "type": prop["type"],
            prop["type"]: page["values"].get(name, empty_value(prop["type"])),
        }
        for name, prop in database["schema"].items()
    }
    user = {"object": "user", "id": page["created_by"]}
    return {
        "object": "page",
        "id": page["id"],
        "created_time": page["created_time"],
        "last_edited_time": page["last_edited_time"],
        "created_by": user,
        "last_edited_by": {"object": "user", "id": page["last_edited_by"]},
        "cover": None,
        "icon": None,
        "parent": parent,
        "archived": page["in_trash"],
        "in_trash": page["in_trash"],
        "properties": properties,
        "url": f"https://www.notion.so/{page['id'].replace('-', '')}",
        "public_url": None,
    }
