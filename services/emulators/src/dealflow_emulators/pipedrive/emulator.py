"""The Pipedrive emulator: auth (x-api-token, ?api_token=, Bearer), OAuth at /oauth/*,
the `{success, data, additional_data}` envelope and its error twin, the burst window headers
and the daily budget of writes for API-token calls (crm_apis.md §2.2 to §2.4)."""

import base64
import binascii
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from dealflow_emulators.common import (
    Emulator,
    EmulatorConfig,
    GrantError,
    RateHit,
    Record,
    SeedError,
    Store,
    Verdict,
    read_form,
)
from dealflow_emulators.pipedrive.records import PipedriveData, new_store, seed
from dealflow_emulators.pipedrive.routes import build_routers
from dealflow_emulators.pipedrive.writes import PipedriveError

ERROR_INFO = "Please check developers.pipedrive.com"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class PipedriveConfig(EmulatorConfig):
    api_keys: list[str] = Field(default_factory=lambda: ["pd-dev-api-token"])
    access_token_ttl_seconds: int = Field(default=3600, ge=1)  # §2.2: expires_in 3600
    rate_limit: int | None = Field(default=80, ge=1, description="per token per 2-s window")
    rate_limit_interval_ms: int = Field(default=2000, ge=1)
    daily_write_budget: int = Field(default=10_000, ge=0, description="x-daily-requests-left")


def error_body(error: str, status: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "success": False,
        "error": error,
        "error_info": ERROR_INFO,
        "data": None,
        "additional_data": None,
    }
    if status in (401, 429):
        body["errorCode"] = status
    return body


def error_response(status: int, error: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(error_body(error, status), status_code=status, headers=headers)


class PipedriveEmulator(Emulator[PipedriveConfig]):
    name = "pipedrive"
    token_prefix = "pd"  # noqa: S105 - a prefix, not a secret

    def build_store(self) -> Store:
        store = new_store()
        self.data = PipedriveData(store)  # the routers keep it; reset clears the same store
        return store

    def seed(self) -> None:
        seed(self.data)
        self.daily_left: dict[str, int] = {}

    def routers(self) -> list[APIRouter]:
        return [self._oauth_router(), *build_routers(self.data, self._authorize)]

    # -- auth ------------------------------------------------------------------------------------

    def credential_of(self, headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
        token = headers.get("x-api-token") or query.get("api_token")
        if token:
            return token
        auth = headers.get("authorization", "")
        scheme, _, value = auth.partition(" ")
        return value.strip() or None if scheme.lower() == "bearer" else None

    def _authorize(self, request: Request, response: Response) -> None:
        """Every API route: a known token, and for API-token writes a day's budget left."""
        token = self.credential_of(request.headers, request.query_params)
        if token is None:
            raise PipedriveError(401, "You need to be authorized to make this request.")
        check = self.credentials.check(token)
        if check.verdict is Verdict.EXPIRED:
            raise PipedriveError(401, "Access token expired")
        if check.verdict is not Verdict.VALID:
            raise PipedriveError(401, "unauthorized access")
        if token not in self.config.api_keys:
            return  # OAuth: x-daily-requests-left is for API-token calls only (§2.4)
        left = self.daily_left.get(token, self.config.daily_write_budget)
        if request.method in WRITES:
            if left <= 0:
                raise PipedriveError(
                    429, "Daily request limit reached", {"x-daily-requests-left": "0"}
                )
            left -= 1
            self.daily_left[token] = left
        response.headers["x-daily-requests-left"] = str(left)

    # -- OAuth -----------------------------------------------------------------------------------

    def _oauth_router(self) -> APIRouter:
        router = APIRouter(prefix="/oauth")

        @router.get("/authorize")
        async def authorize(
            client_id: str, redirect_uri: str, state: str | None = None, scope: str = "base"
        ) -> Response:
            """Consent is given at once: back to the app with a code (and the state)."""
            if not self.credentials.known_client(client_id):
                return JSONResponse({"success": False, "error": "Invalid client"}, status_code=400)
            code = self.credentials.issue_code(client_id, redirect_uri, tuple(scope.split()))
            params = {"code": code} | ({"state": state} if state is not None else {})
            joiner = "&" if "?" in redirect_uri else "?"
            return RedirectResponse(f"{redirect_uri}{joiner}{urlencode(params)}", status_code=302)

        @router.post("/token")
        async def token(request: Request) -> Response:
            return self._token(request, await read_form(request))

        return router

    def _token(self, request: Request, form: dict[str, Any]) -> Response:
        client = _basic_client(request.headers.get("authorization", ""))
        if client is None:
            return _oauth_error(401, "invalid_client", "Invalid client")
        grant_type = form.get("grant_type")
        try:
            if not grant_type:
                return _oauth_error(400, "invalid_request", "Missing parameter: grant_type")
            if grant_type == "authorization_code":
                grant = self.credentials.exchange_code(
                    *client, str(form.get("code", "")), form.get("redirect_uri")
                )
            elif grant_type == "refresh_token":
                grant = self.credentials.refresh(*client, str(form.get("refresh_token", "")))
            else:
                return _oauth_error(400, "unsupported_grant_type", "Unsupported grant type")
        except GrantError as exc:
            status = 401 if exc.error == "invalid_client" else 400
            return _oauth_error(status, exc.error, exc.description)
        return JSONResponse(
            {
                "access_token": grant.access_token,
                "token_type": "Bearer",
                "refresh_token": grant.refresh_token,
                "scope": " ".join(grant.scopes) or "base",
                "expires_in": grant.expires_in,
                "api_domain": str(request.base_url).rstrip("/"),  # clients call {api_domain}/api/v1
            },
            headers={"Cache-Control": "no-store"},
        )

    # -- provider shapes -------------------------------------------------------------------------

    def rate_limited(self, path: str) -> bool:
        return path.startswith(("/v1/", "/api/"))

    def rate_limit_headers(self, hit: RateHit) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(hit.limit),
            "x-ratelimit-remaining": str(max(0, hit.remaining)),
            "x-ratelimit-reset": str(hit.retry_after_seconds),
        }

    def rate_limit_response(self, hit: RateHit, path: str) -> Response:
        # No Retry-After: Pipedrive documents only the x-ratelimit-* headers (§2.4)
        return error_response(429, "Request over limit", self.rate_limit_headers(hit))

    def server_error_response(self, status: int) -> Response:
        return error_response(status, "Requested service is not available")

    def timeout_response(self) -> Response:
        return error_response(504, "Gateway Timeout")

    def configure_app(self, app: FastAPI) -> None:
        async def pipedrive_error(request: Request, exc: Exception) -> Response:
            assert isinstance(exc, PipedriveError)
            return error_response(exc.status, exc.error, exc.headers)

        async def http_error(request: Request, exc: Exception) -> Response:
            assert isinstance(exc, StarletteHTTPException)
            message = {404: "Unknown method .", 405: "Method not allowed"}.get(exc.status_code)
            return error_response(exc.status_code, message or str(exc.detail))

        async def invalid(request: Request, exc: Exception) -> Response:
            return error_response(400, "Invalid request parameters")

        app.add_exception_handler(PipedriveError, pipedrive_error)
        app.add_exception_handler(StarletteHTTPException, http_error)
        app.add_exception_handler(RequestValidationError, invalid)

    def seed_objects(self, object_type: str, items: list[dict[str, Any]]) -> list[Record]:
        """Users (owners a client may match by email) are the one thing the API cannot create."""
        if object_type != "users":
            raise SeedError(f"pipedrive seeds only users, not {object_type!r}")
        added = []
        for item in items:
            uid = self.data.users.new_id()
            template = self.data.users.values()[-1]
            user = {
                **template,
                "id": uid,
                "is_you": False,
                "has_created_company": False,
                "name": item.get("name", f"User {uid}"),
                "email": item["email"],
            }
            self.data.users[uid] = user
            added.append(user)
        return added

    def extra_state(self) -> dict[str, Any]:
        return {"daily_writes_left": sorted(self.daily_left.values())}  # per token, unnamed


def _basic_client(header: str) -> tuple[str, str] | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, _, secret = base64.b64decode(value).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return client_id, secret


def _oauth_error(status: int, error: str, message: str) -> Response:
    return JSONResponse(
        {"success": False, "error": error, "error_description": message, "message": message},
        status_code=status,
    )
