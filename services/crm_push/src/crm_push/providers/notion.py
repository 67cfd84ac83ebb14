"""A Notion database as a push target (notify_notion.md §3), behind `NotionTarget`.

Notion-Version 2022-06-28: the database shows its property schema and answers
`POST /v1/databases/{id}/query`, one call each, with no data-source discovery. The row is found
by its email property, values are checked against the column types before anything is written
(a status option must exist: the API cannot add one), and a row already holding the values is
not written again.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from crm_push.providers.base import NotionUpdate, NotionValue, Provider
from crm_push.providers.notion_values import NotionProperty, current_value, written_value
from crm_push.providers.transport import Auth, FailureKind, ProviderError, ProviderHttp

NOTION_VERSION = "2022-06-28"
#: Rows sharing one email are all updated (a duplicate row would otherwise show stale status).
MAX_ROWS = 10


def notion_error(response: httpx.Response, body: Any) -> tuple[str | None, str]:
    """`{object: "error", status, code, message, request_id}` (§3.4)."""
    if isinstance(body, Mapping) and ("code" in body or "message" in body):
        code = body.get("code")
        return (str(code) if code else None), str(body.get("message") or response.reason_phrase)
    return None, response.reason_phrase or f"HTTP {response.status_code}"


def notion_http(client: httpx.AsyncClient, base_url: str, auth: Auth) -> ProviderHttp:
    return ProviderHttp(
        client=client,
        base_url=base_url,
        auth=auth,
        error_reader=notion_error,
        extra_headers={"Notion-Version": NOTION_VERSION},
    )


def rejected(message: str, code: str = "invalid_mapping") -> ProviderError:
    return ProviderError(FailureKind.REJECTED, message, code=code)


@dataclass(frozen=True)
class _Schema:
    properties: dict[str, NotionProperty]
    email: NotionProperty


class NotionTargetAdapter:
    """One Notion database, reached with one integration token. The schema is read once per
    instance (and again after a write it refused): keep one instance per connection."""

    provider = Provider.NOTION

    def __init__(
        self, http: ProviderHttp, database_id: str, *, email_property: str | None = None
    ) -> None:
        self.http = http
        self.database_id = database_id
        self.email_property = email_property
        self._schema: _Schema | None = None

    async def verify(self) -> None:
        self._schema = None
        await self._read_schema("verify")

    async def property_types(self) -> dict[str, str]:
        schema = await self._read_schema("get_database")
        return {name: prop.type for name, prop in schema.properties.items()}

    async def update_by_email(self, update: NotionUpdate) -> str | None:
        schema = await self._read_schema("get_database")
        wanted = {name: _checked(schema, name, value) for name, value in update.properties.items()}
        pages = await self._pages_of(schema.email, update.email)
        for page in pages:
            await self._write(page, wanted)
        return str(pages[0]["id"]) if pages else None

    async def _read_schema(self, operation: str) -> _Schema:
        if self._schema is None:
            answer = await self.http.request(operation, "GET", f"/v1/databases/{self.database_id}")
            properties = {
                name: NotionProperty.of(name, raw)
                for name, raw in (answer.get("properties") or {}).items()
            }
            self._schema = _Schema(properties, self._email_column(properties))
        return self._schema

    def _email_column(self, properties: Mapping[str, NotionProperty]) -> NotionProperty:
        """The configured column, else the email-typed one (named Email first), else a text
        column named Email."""
        if self.email_property is not None:
            if self.email_property not in properties:
                raise rejected(f"the database has no property {self.email_property!r}")
            return properties[self.email_property]
        emails = [p for p in properties.values() if p.type == "email"]
        named = [p for p in properties.values() if p.name.casefold() == "email"]
        for candidate in (*[p for p in emails if p in named], *emails, *named):
            return candidate
        raise rejected("the database has no email property to find the contact by")

    async def _pages_of(self, column: NotionProperty, email: str) -> list[dict[str, Any]]:
        # Notion does not document whether `equals` ignores case: the address goes lower-cased.
        body = {
            "filter": {"property": column.name, column.type: {"equals": email.strip().lower()}},
            "sorts": [{"timestamp": "last_edited_time", "direction": "descending"}],
            "page_size": MAX_ROWS,
        }
        path = f"/v1/databases/{self.database_id}/query"
        answer = await self.http.request("find_page", "POST", path, json=body)
        return list(answer.get("results") or [])

    async def _write(self, page: Mapping[str, Any], wanted: Mapping[str, dict[str, Any]]) -> None:
        held = page.get("properties") or {}
        changes = {
            name: value
            for name, value in wanted.items()
            if current_value(held.get(name)) != current_value(value)
        }
        if not changes:
            return
        try:
            await self.http.request(
                "update_page", "PATCH", f"/v1/pages/{page['id']}", json={"properties": changes}
            )
        except ProviderError as exc:
            if exc.kind is FailureKind.REJECTED:
                self._schema = None  # the table may have changed under us: read it again
            raise


def _checked(schema: _Schema, name: str, value: NotionValue) -> dict[str, Any]:
    prop = schema.properties.get(name)
    if prop is None:
        raise rejected(f"Notion property {name!r} does not exist in the database")
    return written_value(prop, value)
