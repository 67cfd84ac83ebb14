"""`/v1/...`: users/me, databases, data sources, their queries, pages (§3.2, §3.3)."""

import uuid
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request

from dealflow_emulators.common import Record, Store
from dealflow_emulators.notion.records import (
    NotionError,
    data_source_of,
    data_source_view,
    database_view,
    invalid,
    normal_id,
    now,
    page_view,
)
from dealflow_emulators.notion.values import find_property, page_matches, plain, write_value

BOT_ID = "9f1a2b3c-4d5e-4f60-8a7b-0c1d2e3f4a5b"
MAX_PAGE_SIZE = 100
PAGE_FIELDS = frozenset({"properties", "archived", "in_trash", "icon", "cover", "is_locked"})


async def json_body(request: Request) -> Record:
    raw = await request.body()
    if not raw:
        return {}
    try:
        body = await request.json()
    except ValueError:
        raise NotionError(400, "invalid_json", "Error parsing JSON body.") from None
    if not isinstance(body, dict):
        raise invalid("body failed validation: body should be an object.")
    return body


def _not_found(kind: str, raw: str) -> NotionError:
    return NotionError(
        404,
        "object_not_found",
        f"Could not find {kind} with ID: {raw}. Make sure the relevant pages and databases "
        "are shared with your integration.",
    )


class Routes:
    def __init__(self, store: Store, authorize: Callable[..., str]) -> None:
        self.store = store
        self.router = APIRouter(prefix="/v1", dependencies=[Depends(authorize)])

    def _database(self, raw: str) -> Record:
        key = normal_id(raw)
        database = self.store["databases"].get(key) if key else None
        if database is None or not database["shared"]:
            raise _not_found("database", raw)
        return database

    def _data_source(self, raw: str) -> Record:
        key = normal_id(raw)
        database = data_source_of(self.store, key) if key else None
        if database is None or not database["shared"]:
            raise _not_found("data_source", raw)
        return database

    def _page(self, raw: str) -> Record:
        key = normal_id(raw)
        page = self.store["pages"].get(key) if key else None
        database = self.store["databases"].get(page["database_id"]) if page else None
        if page is None or database is None or not database["shared"]:
            raise _not_found("page", raw)
        return page

    def query(self, database: Record, body: Record, version: str) -> Record:
        size = body.get("page_size", MAX_PAGE_SIZE)
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_PAGE_SIZE:
            raise invalid(
                f"body failed validation: body.page_size should be ≤ `{MAX_PAGE_SIZE}` "
                f"and ≥ `1`, instead was `{size}`."
            )
        schema = database["schema"]
        pages = [
            p
            for p in self.store["pages"]
            if p["database_id"] == database["id"] and not p["in_trash"]
        ]
        if body.get("filter") is not None:
            page_matches(schema, {}, body["filter"])  # a bad filter is a 400 on any table
            pages = [p for p in pages if page_matches(schema, p["values"], body["filter"])]
        for sort in reversed(body.get("sorts") or []):
            pages = self._sorted(schema, pages, sort)
        start = 0
        if body.get("start_cursor"):
            ids = [p["id"] for p in pages]
            cursor = normal_id(str(body["start_cursor"]))
            if cursor not in ids:
                raise invalid("body failed validation: body.start_cursor is not a valid cursor.")
            start = ids.index(cursor)
        page = pages[start : start + size]
        more = start + size < len(pages)
        kind = "page_or_data_source" if version >= "2025-09-03" else "page_or_database"
        return {
            "object": "list",
            "results": [page_view(self.store, p, version) for p in page],
            "next_cursor": pages[start + size]["id"] if more else None,
            "has_more": more,
            "type": kind,
            kind: {},
        }

    @staticmethod
    def _sorted(schema: dict[str, Record], pages: list[Record], sort: Any) -> list[Record]:
        if not isinstance(sort, dict):
            raise invalid("body failed validation: body.sorts[] should be an object.")
        if "property" in sort:
            prop = find_property(schema, str(sort["property"]))
            name = prop["name"]
            keys = {p["id"]: str(plain(prop, p["values"].get(name)) or "") for p in pages}
        else:
            stamp = str(sort.get("timestamp", "created_time"))
            keys = {p["id"]: str(p.get(stamp, "")) for p in pages}
        return sorted(
            pages, key=lambda p: keys[p["id"]], reverse=sort.get("direction") == "descending"
        )

    def update_page(self, page: Record, body: Record) -> Record:
        """Every property is checked before any is written: a 400 changes nothing."""
        if not set(body) & PAGE_FIELDS:
            raise invalid(
                "body failed validation: "
                "body.properties should be defined, instead was `undefined`."
            )
        properties = body.get("properties") or {}
        if not isinstance(properties, dict):
            raise invalid("body failed validation: body.properties should be an object.")
        database = self.store["databases"].get(page["database_id"])
        assert database is not None
        changes = {}
        for key, value in properties.items():
            prop = find_property(database["schema"], key)
            changes[prop["name"]] = write_value(prop, value)
        trashed = body.get("in_trash", body.get("archived", page["in_trash"]))
        updated = {
            **page,
            "values": {**page["values"], **changes},
            "in_trash": bool(trashed),
            "last_edited_time": now(),
            "last_edited_by": BOT_ID,
        }
        return self.store["pages"].put(page["id"], updated)

    def build(self, version_of: Callable[[Request], str]) -> APIRouter:
        r = self.router

        @r.get("/users/me")
        async def me() -> Record:
            return {
                "object": "user",
                "id": BOT_ID,
                "type": "bot",
                "name": "Dealflow",
                "avatar_url": None,
                "bot": {
                    "owner": {"type": "workspace", "workspace": True},
                    "workspace_name": "Emulated workspace",
                },
            }

        @r.get("/databases/{database_id}")
        async def database(database_id: str, request: Request) -> Record:
            return database_view(self._database(database_id), version_of(request))

        @r.post("/databases/{database_id}/query")
        async def query_database(database_id: str, request: Request) -> Record:
            """Deprecated from 2025-09-03 but still answered (a database has one source here)."""
            found = self._database(database_id)
            return self.query(found, await json_body(request), version_of(request))

        @r.get("/data_sources/{data_source_id}")
        async def data_source(data_source_id: str, request: Request) -> Record:
            self._needs_data_sources(request, version_of)
            return data_source_view(self._data_source(data_source_id))

        @r.post("/data_sources/{data_source_id}/query")
        async def query_data_source(data_source_id: str, request: Request) -> Record:
            self._needs_data_sources(request, version_of)
            found = self._data_source(data_source_id)
            return self.query(found, await json_body(request), version_of(request))

        @r.get("/pages/{page_id}")
        async def page(page_id: str, request: Request) -> Record:
            return page_view(self.store, self._page(page_id), version_of(request))

        @r.patch("/pages/{page_id}")
        async def update(page_id: str, request: Request) -> Record:
            updated = self.update_page(self._page(page_id), await json_body(request))
            return page_view(self.store, updated, version_of(request))

        return r

    @staticmethod
    def _needs_data_sources(request: Request, version_of: Callable[[Request], str]) -> None:
        if version_of(request) < "2025-09-03":
            raise NotionError(
                400,
                "invalid_request_url",
                "Data sources need Notion-Version 2025-09-03 or later.",
            )


def new_page(store: Store, database: Record, values: Record) -> Record:
    """A contact row for `/_emulator/seed/pages`: plain values, checked like a PATCH."""
    schema = database["schema"]
    stored = {}
    for key, raw in values.items():
        prop = find_property(schema, key)
        kind = prop["type"]
        if kind in ("title", "rich_text") and isinstance(raw, str):
            raw = [{"text": {"content": raw}}]
        elif kind in ("select", "status") and isinstance(raw, str):
            raw = {"name": raw}
        elif kind == "date" and isinstance(raw, str):
            raw = {"start": raw}
        stored[prop["name"]] = write_value(prop, {kind: raw})
    page_id = str(uuid.uuid4())
    stamp = now()
    return store["pages"].put(
        page_id,
        {
            "id": page_id,
            "database_id": database["id"],
            "values": stored,
            "in_trash": False,
            "created_time": stamp,
            "last_edited_time": stamp,
            "created_by": BOT_ID,
            "last_edited_by": BOT_ID,
        },
    )
