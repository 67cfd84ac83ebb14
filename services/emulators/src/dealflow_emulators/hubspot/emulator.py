"""The HubSpot emulator: its store, fixtures, rate-limit headers and error shapes."""

import time
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from dealflow_emulators.common import (
    Collection,
    Emulator,
    RateHit,
    Record,
    SeedError,
    Store,
    WindowLimiter,
    iso_ms,
    utc_now,
)
from dealflow_emulators.hubspot.config import HubSpotConfig
from dealflow_emulators.hubspot.errors import HubSpotError, error_body, error_response
from dealflow_emulators.hubspot.schema import (
    DEFAULT_OWNERS,
    DEFAULT_PIPELINE_ID,
    DEFAULT_STAGES,
)

SEARCH_SUFFIX = "/search"


def _email_key(record: Record) -> str | None:
    """Live contacts by email: an archived contact frees its address."""
    email = None if record.get("archived") else record["properties"].get("email")
    return email.lower() if email else None


def _property_key(name: str) -> Callable[[Record], str | None]:
    def key_of(record: Record) -> str | None:
        value = (record.get("properties") or {}).get(name)
        return str(value).lower() if value else None

    return key_of


#: The property a client marks its deals and meetings with to find them again (Dealflow's
#: `dealflow_id`); searched by index, as every retried push searches it.
MARKER = "dealflow_id"
_domain_key = _property_key("domain")
_marker_key = _property_key(MARKER)


def _owner_email(record: Record) -> str | None:
    email = record.get("email")
    return email.lower() if email else None


class SearchRateLimited(Exception):
    def __init__(self, hit: RateHit) -> None:
        super().__init__("search rate limited")
        self.hit = hit


class HubSpot(Emulator[HubSpotConfig]):
    name = "hubspot"
    token_prefix = "hs"  # noqa: S105 - a prefix of issued tokens

    def __init__(self, config: HubSpotConfig | None = None) -> None:
        self.search_limiter = WindowLimiter(1, 1000)
        self.searchable_at: dict[tuple[str, str], float] = {}  # (type, id) -> monotonic time
        self.daily_used: dict[str, int] = {}  # credential -> calls today (daily_limit)
        super().__init__(config or HubSpotConfig())

    def build_store(self) -> Store:
        return Store(
            [
                Collection("contacts", first_id=101, indexes={"email": _email_key}),
                Collection("companies", first_id=2001, groups={"domain": _domain_key}),
                Collection("deals", first_id=5001, groups={MARKER: _marker_key}),
                Collection("meetings", first_id=9001, groups={MARKER: _marker_key}),
                Collection("owners", first_id=123458, indexes={"email": _owner_email}),
                Collection("pipelines"),
                Collection("associations"),
                Collection("properties"),  # custom ones; the standard set is in schema
            ]
        )

    def routers(self) -> list[APIRouter]:
        from dealflow_emulators.hubspot import (
            association_batch,
            associations,
            batch,
            oauth,
            objects,
            owners,
            pipelines,
            properties,
        )

        # Order matters: fixed paths (pipelines, owners, associations) before /{objectType}.
        return [
            oauth.router,
            pipelines.router,
            owners.router,
            properties.router,
            associations.router,
            association_batch.router,
            batch.router,
            objects.router,
        ]

    # -- fixtures ------------------------------------------------------------------------------

    def seed(self) -> None:
        stamp = iso_ms(utc_now())
        stages = [
            {
                "id": stage_id,
                "label": label,
                "displayOrder": order,
                "metadata": {"probability": probability, "isClosed": closed},
                "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
                "archived": False,
                "createdAt": stamp,
                "updatedAt": stamp,
            }
            for order, (stage_id, label, probability, closed) in enumerate(DEFAULT_STAGES)
        ]
        pipeline = {
            "id": DEFAULT_PIPELINE_ID,
            "label": "Sales Pipeline",
            "displayOrder": 0,
            "stages": stages,
            "archived": False,
            "createdAt": stamp,
            "updatedAt": stamp,
        }
        self.store["pipelines"].put(DEFAULT_PIPELINE_ID, pipeline)
        self.seed_objects("owners", [dict(owner) for owner in DEFAULT_OWNERS])
        self.search_limiter.clear()
        self.searchable_at.clear()
        self.daily_used.clear()

    def seed_objects(self, object_type: str, items: list[dict[str, Any]]) -> list[Record]:
        if object_type == "owners":
            return [self._seed_owner(item) for item in items]
        if object_type == "pipelines":
            return [self._seed_pipeline(item) for item in items]
        raise SeedError(f"hubspot seeds owners and pipelines, not {object_type!r}")

    def _seed_owner(self, item: dict[str, Any]) -> Record:
        owners = self.store["owners"]
        owner_id = str(item.get("id") or owners.new_id())
        stamp = iso_ms(utc_now())
        record = {
            "id": owner_id,
            "email": item.get("email"),
            "firstName": item.get("firstName", ""),
            "lastName": item.get("lastName", ""),
            "userId": int(item.get("userId") or int(owner_id) + 1_000_000),
            "type": item.get("type", "PERSON"),
            "teams": item.get("teams", []),
            "archived": bool(item.get("archived", False)),
            "createdAt": stamp,
            "updatedAt": stamp,
        }
        return owners.put(owner_id, record)

    def _seed_pipeline(self, item: dict[str, Any]) -> Record:
        """A custom pipeline: `{"id"?, "label", "stages": [{"id"?, "label", "metadata"?}]}`."""
        pipelines = self.store["pipelines"]
        pipeline_id = str(item.get("id") or 1_000_000 + pipelines.new_id())
        stamp = iso_ms(utc_now())
        stages = [
            {
                "id": str(stage.get("id") or f"{pipeline_id}{order + 1:03d}"),
                "label": stage["label"],
                "displayOrder": order,
                "metadata": stage.get("metadata", {"probability": "0.5", "isClosed": "false"}),
                "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
                "archived": False,
                "createdAt": stamp,
                "updatedAt": stamp,
            }
            for order, stage in enumerate(item.get("stages", []))
        ]
        record = {
            "id": pipeline_id,
            "label": item.get("label", pipeline_id),
            "displayOrder": len(pipelines),
            "stages": stages,
            "archived": False,
            "createdAt": stamp,
            "updatedAt": stamp,
        }
        return pipelines.put(pipeline_id, record)

    # -- rate limits (§1.5) --------------------------------------------------------------------

    def rate_limited(self, path: str) -> bool:
        return path.startswith("/crm/")

    def rate_limit_key(self, credential: str | None, method: str, path: str) -> str:
        """An OAuth app's window is per account, shared by every token it holds (a refresh
        does not buy a fresh window); a private-app token has its own."""
        client = None if credential is None else self.credentials.client_of(credential)
        return f"app:{client}" if client is not None else credential or "anonymous"

    def rate_limit_headers(self, hit: RateHit) -> dict[str, str]:
        return {
            "X-HubSpot-RateLimit-Max": str(hit.limit),
            "X-HubSpot-RateLimit-Remaining": str(hit.remaining),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(hit.interval_ms),
        }

    def rate_limit_response(self, hit: RateHit, path: str) -> Response:
        headers = {**self.rate_limit_headers(hit), "Retry-After": str(hit.retry_after_seconds)}
        if path.endswith(SEARCH_SUFFIX):
            message, policy = "You have reached your secondly limit.", "SECONDLY"
        else:
            message, policy = (
                "You have reached your ten_secondly_rolling limit.",
                "TEN_SECONDLY_ROLLING",
            )
        return error_response(
            429, "RATE_LIMITS", message, errorType="RATE_LIMIT", policyName=policy, headers=headers
        )

    def check_search_rate(self, credential: str) -> None:
        """CRM search's own, lower limit (§1.3a), when configured."""
        per_second = self.config.search_rate_per_second
        if per_second is None:
            return
        self.search_limiter.limit = per_second
        hit = self.search_limiter.hit(credential)
        if not hit.allowed:
            raise SearchRateLimited(hit)

    def count_daily(self, credential: str) -> None:
        """The daily quota (§1.5), when configured: a 429 with policy DAILY, which clients
        must not retry (it lasts until the day turns)."""
        limit = self.config.daily_limit
        if limit is None:
            return
        used = self.daily_used.get(credential, 0)
        headers = {
            "X-HubSpot-RateLimit-Daily": str(limit),
            "X-HubSpot-RateLimit-Daily-Remaining": str(max(0, limit - used - 1)),
        }
        if used >= limit:
            headers["X-HubSpot-RateLimit-Daily-Remaining"] = "0"
            raise HubSpotError(
                429,
                "RATE_LIMITS",
                "You have reached your daily limit.",
                errorType="RATE_LIMIT",
                policyName="DAILY",
                headers=headers,
            )
        self.daily_used[credential] = used + 1

    def server_error_response(self, status: int) -> Response:
        return error_response(status, "INTERNAL_ERROR", "internal error")

    def timeout_response(self) -> Response:
        return error_response(504, "GATEWAY_TIMEOUT", "The request timed out.")

    # -- search index lag ----------------------------------------------------------------------

    def touched(self, object_type: str, object_id: str) -> None:
        """A write: the record reaches search only after the configured lag."""
        lag = self.config.search_lag_seconds
        if lag > 0:
            self.searchable_at[(object_type, object_id)] = time.monotonic() + lag
        else:
            self.searchable_at.pop((object_type, object_id), None)

    def searchable(self, object_type: str, object_id: str) -> bool:
        visible = self.searchable_at.get((object_type, object_id))
        return visible is None or visible <= time.monotonic()

    def credential_of(self, headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
        auth = headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        return token.strip() or None if scheme.lower() == "bearer" else None

    def extra_state(self) -> dict[str, Any]:
        return {"hub_id": self.config.hub_id}

    # -- errors in HubSpot's shape -------------------------------------------------------------

    def configure_app(self, app: FastAPI) -> None:
        @app.exception_handler(HubSpotError)
        async def hubspot_error(request: Request, exc: HubSpotError) -> Response:
            return exc.response()

        @app.exception_handler(SearchRateLimited)
        async def search_limited(request: Request, exc: SearchRateLimited) -> Response:
            return self.rate_limit_response(exc.hit, request.url.path)

        @app.exception_handler(RequestValidationError)
        async def invalid(request: Request, exc: RequestValidationError) -> Response:
            if request.url.path.startswith("/_emulator"):
                return await request_validation_exception_handler(request, exc)
            errors = [
                {
                    "message": str(err.get("msg", "invalid")),
                    "in": ".".join(str(p) for p in err.get("loc", ()) if p != "body"),
                    "code": "INVALID_INPUT",
                }
                for err in exc.errors()
            ]
            body = error_body("VALIDATION_ERROR", "Invalid input JSON on line 1", errors=errors)
            return JSONResponse(body, status_code=400)

        @app.exception_handler(StarletteHTTPException)
        async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
            if request.url.path.startswith("/_emulator"):
                return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
            if exc.status_code == 405:
                return error_response(405, "METHOD_NOT_ALLOWED", "Method not allowed")
            return error_response(exc.status_code, "OBJECT_NOT_FOUND", "resource not found")
