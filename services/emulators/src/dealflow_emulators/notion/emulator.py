"""The Notion emulator: Bearer integration token, a required and known Notion-Version,
errors as `{object: "error", status, code, message, request_id}` with x-notion-request-id,
and 429 `rate_limited` with Retry-After at about three requests a second (§3.1, §3.4)."""

import uuid
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from dealflow_emulators.common import (
    Emulator,
    EmulatorConfig,
    RateHit,
    Record,
    SeedError,
    Store,
    Verdict,
)
from dealflow_emulators.notion.records import (
    CONTACTS_DATABASE_ID,
    NotionError,
    add_database,
    new_store,
    normal_id,
    seed,
)
from dealflow_emulators.notion.routes import Routes, new_page

VERSIONS = ("2021-05-13", "2021-08-16", "2022-02-22", "2022-06-28", "2025-09-03", "2026-03-11")
SERVER_CODES = {
    500: "internal_server_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
    529: "service_overload",
}


class NotionConfig(EmulatorConfig):
    api_keys: list[str] = Field(default_factory=lambda: ["ntn_dev_integration_token"])
    # "an average of three requests per second, some bursts allowed"
    rate_limit: int | None = Field(default=30, ge=1, description="requests per window")
    rate_limit_interval_ms: int = Field(default=10_000, ge=1)


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    request_id = str(uuid.uuid4())
    body = {
        "object": "error",
        "status": status,
        "code": code,
        "message": message,
        "request_id": request_id,
    }
    return JSONResponse(
        body, status_code=status, headers={"x-notion-request-id": request_id, **(headers or {})}
    )


class NotionEmulator(Emulator[NotionConfig]):
    name = "notion"
    token_prefix = "ntn"  # noqa: S105 - a prefix, not a secret

    def build_store(self) -> Store:
        return new_store()

    def seed(self) -> None:
        seed(self.store)

    def routers(self) -> list[APIRouter]:
        return [Routes(self.store, self._authorize).build(self._version_of)]

    def credential_of(self, headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
        scheme, _, value = headers.get("authorization", "").partition(" ")
        return value.strip() or None if scheme.lower() == "bearer" else None

    def _authorize(self, request: Request) -> str:
        token = self.credential_of(request.headers, request.query_params)
        if token is None or self.credentials.check(token).verdict is not Verdict.VALID:
            raise NotionError(401, "unauthorized", "API token is invalid.")
        version = request.headers.get("notion-version")
        if not version:
            raise NotionError(
                400,
                "missing_version",
                "Notion-Version header failed validation: Notion-Version header should be "
                "defined, instead was `undefined`.",
            )
        if version not in VERSIONS:
            raise NotionError(
                400,
                "validation_error",
                f"Notion-Version header failed validation: {version!r} is not a supported version.",
            )
        return version

    @staticmethod
    def _version_of(request: Request) -> str:
        version: str = request.headers["notion-version"]  # checked by _authorize
        return version

    def rate_limited(self, path: str) -> bool:
        return path.startswith("/v1/")

    def rate_limit_response(self, hit: RateHit, path: str) -> Response:
        return error_response(
            429,
            "rate_limited",
            "You have been rate limited. Please try again in a few minutes.",
            {"Retry-After": str(hit.retry_after_seconds)},
        )

    def server_error_response(self, status: int) -> Response:
        code = SERVER_CODES.get(status, "internal_server_error")
        return error_response(status, code, "Unexpected error occurred.")

    def timeout_response(self) -> Response:
        return error_response(504, "gateway_timeout", "Notion timed out answering the request.")

    def configure_app(self, app: FastAPI) -> None:
        async def notion_error(request: Request, exc: Exception) -> Response:
            assert isinstance(exc, NotionError)
            return error_response(exc.status, exc.code, exc.message)

        async def http_error(request: Request, exc: Exception) -> Response:
            assert isinstance(exc, StarletteHTTPException)
            if exc.status_code in (404, 405):
                return error_response(
                    400, "invalid_request_url", "Invalid request URL."
                )  # Notion answers unknown routes this way
            return error_response(exc.status_code, "invalid_request", str(exc.detail))

        async def invalid(request: Request, exc: Exception) -> Response:
            return error_response(400, "validation_error", "body failed validation.")

        app.add_exception_handler(NotionError, notion_error)
        app.add_exception_handler(StarletteHTTPException, http_error)
        app.add_exception_handler(RequestValidationError, invalid)

    def seed_objects(self, object_type: str, items: list[dict[str, Any]]) -> list[Record]:
        """`databases`: `{title, properties: {name: type | {type, options}}, id?, shared?}`;
        `pages`: `{database_id?, <property name>: plain value, …}` (default: the contacts)."""
        try:
            if object_type == "databases":
                return [
                    add_database(
                        self.store,
                        item.get("title", "Untitled"),
                        item["properties"],
                        database_id=item.get("id"),
                        data_source_id=item.get("data_source_id"),
                        shared=item.get("shared", True),
                    )
                    for item in items
                ]
            if object_type == "pages":
                return [self._seed_page(dict(item)) for item in items]
        except (NotionError, KeyError) as exc:
            raise SeedError(str(exc)) from exc
        raise SeedError(f"notion seeds databases and pages, not {object_type!r}")

    def _seed_page(self, item: dict[str, Any]) -> Record:
        raw = item.pop("database_id", CONTACTS_DATABASE_ID)
        database = self.store["databases"].get(normal_id(raw) or "")
        if database is None:
            raise NotionError(404, "object_not_found", f"no database {raw}")
        return new_page(self.store, database, item)
