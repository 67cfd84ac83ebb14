"""The Close emulator: Basic auth with the API key as username, OAuth Bearer tokens from
`/oauth2/token/`, `{error}` and `{errors, field-errors}` bodies, and `RateLimit:
limit=N, remaining=N, reset=S` on every answer with `Retry-After` on a 429 (§3.1 to §3.3)."""

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

from dealflow_emulators.close.activities import seed_meeting
from dealflow_emulators.close.records import CloseError, new_id, new_store, seed
from dealflow_emulators.close.routes import Routes
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


class CloseConfig(EmulatorConfig):
    api_keys: list[str] = Field(default_factory=lambda: ["close-dev-api-key"])
    rate_limit: int | None = Field(default=60, ge=1, description="per key per endpoint group")
    rate_limit_interval_ms: int = Field(default=1000, ge=1)


def _error(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(body, status_code=status, headers=headers)


class CloseEmulator(Emulator[CloseConfig]):
    name = "close"
    token_prefix = "close"  # noqa: S105 - a prefix, not a secret

    def build_store(self) -> Store:
        return new_store()

    def seed(self) -> None:
        seed(self.store)

    def routers(self) -> list[APIRouter]:
        api = Routes(self.store, self._authorize, self._user_of).build()
        return [self._oauth_router(), api]

    # -- auth ------------------------------------------------------------------------------------

    def credential_of(self, headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
        scheme, _, value = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            return value.strip() or None
        if scheme.lower() == "basic":
            try:
                key, _, _password = base64.b64decode(value).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return None
            return key or None  # the key is the username; the password stays empty
        return None

    def _authorize(self, request: Request) -> None:
        credential = self.credential_of(request.headers, request.query_params)
        if credential is None:
            raise CloseError(401, "Authentication required: send your API key as the username.")
        verdict = self.credentials.check(credential).verdict
        if verdict is Verdict.EXPIRED:
            raise CloseError(401, "The access token has expired.")
        if verdict is not Verdict.VALID:
            raise CloseError(401, "The API key or access token is invalid.")

    def _user_of(self, request: Request) -> str:
        """Every key and token acts as the account's first user."""
        user_id: str = self.store["users"].values()[0]["id"]
        return user_id

    # -- OAuth -----------------------------------------------------------------------------------

    def _oauth_router(self) -> APIRouter:
        router = APIRouter(prefix="/oauth2")

        async def authorize(
            client_id: str, redirect_uri: str, state: str | None = None, response_type: str = "code"
        ) -> Response:
            if not self.credentials.known_client(client_id) or response_type != "code":
                return _error(400, {"error": "invalid_request"})
            code = self.credentials.issue_code(client_id, redirect_uri, ("all.full_access",))
            params = {"code": code} | ({"state": state} if state is not None else {})
            joiner = "&" if "?" in redirect_uri else "?"
            return RedirectResponse(f"{redirect_uri}{joiner}{urlencode(params)}", status_code=302)

        async def token(request: Request) -> Response:
            return self._token(await read_form(request))

        for path in ("/authorize/", "/authorize"):
            router.add_api_route(path, authorize, methods=["GET"])
        for path in ("/token/", "/token"):
            router.add_api_route(path, token, methods=["POST"])
        return router

    def _token(self, form: dict[str, str]) -> Response:
        client = form.get("client_id", ""), form.get("client_secret", "")
        grant_type = form.get("grant_type")
        try:
            if grant_type == "authorization_code":
                grant = self.credentials.exchange_code(
                    *client, form.get("code", ""), form.get("redirect_uri")
                )
            elif grant_type == "refresh_token":
                grant = self.credentials.refresh(*client, form.get("refresh_token", ""))
            else:
                return _error(400, {"error": "unsupported_grant_type"})
        except GrantError as exc:
            status = 401 if exc.error == "invalid_client" else 400
            return _error(status, {"error": exc.error, "error_description": exc.description})
        users = self.store["users"].values()
        return JSONResponse(
            {
                "access_token": grant.access_token,
                "token_type": "Bearer",
                "expires_in": grant.expires_in,
                "refresh_token": grant.refresh_token,
                "scope": " ".join(grant.scopes) or "all.full_access",
                "user_id": users[0]["id"],
                "organization_id": users[0]["organizations"][0],
            },
            headers={"Cache-Control": "no-store"},
        )

    # -- provider shapes -------------------------------------------------------------------------

    def rate_limited(self, path: str) -> bool:
        return path.startswith("/api/")

    def rate_limit_key(self, credential: str | None, method: str, path: str) -> str:
        """Per key and endpoint group (§3.3): the resource (`lead`, `data`, `activity`, ...)
        and whether the method reads or writes."""
        resource = path.removeprefix("/api/v1/").split("/", 1)[0]
        family = "read" if method in ("GET", "HEAD") else "write"
        return f"{credential or 'anonymous'} {resource} {family}"

    def rate_limit_headers(self, hit: RateHit) -> dict[str, str]:
        remaining, reset = max(0, hit.remaining), hit.retry_after_seconds
        return {"RateLimit": f"limit={hit.limit}, remaining={remaining}, reset={reset}"}

    def rate_limit_response(self, hit: RateHit, path: str) -> Response:
        headers = self.rate_limit_headers(hit) | {"Retry-After": str(hit.retry_after_seconds)}
        body = {"error": "API call limit exceeded for this endpoint group; retry after the reset."}
        return _error(429, body, headers)

    def server_error_response(self, status: int) -> Response:
        return _error(status, {"error": "Internal server error."})

    def timeout_response(self) -> Response:
        return _error(504, {"error": "Gateway timeout."})

    def configure_app(self, app: FastAPI) -> None:
        async def close_error(request: Request, exc: Exception) -> Response:
            assert isinstance(exc, CloseError)
            return _error(exc.status, exc.body())

        async def http_error(request: Request, exc: Exception) -> Response:
            assert isinstance(exc, StarletteHTTPException)
            message = {404: "Not found.", 405: "Method not allowed."}.get(exc.status_code)
            return _error(exc.status_code, {"error": message or str(exc.detail)})

        async def invalid(request: Request, exc: Exception) -> Response:
            return _error(400, {"errors": ["Invalid request parameters."], "field-errors": {}})

        app.add_exception_handler(CloseError, close_error)
        app.add_exception_handler(StarletteHTTPException, http_error)
        app.add_exception_handler(RequestValidationError, invalid)

    def seed_objects(self, object_type: str, items: list[dict[str, Any]]) -> list[Record]:
        """Users (to match meeting hosts by email) and meetings (calendar sync's, not the API's)."""
        first = self.store["users"].values()[0]
        if object_type == "meetings":
            try:
                return [seed_meeting(self.store, first["id"], item) for item in items]
            except CloseError as exc:
                raise SeedError(str(exc.body())) from exc
        if object_type != "users":
            raise SeedError(f"close seeds users and meetings, not {object_type!r}")
        added = []
        for item in items:
            user_id = new_id("user")
            user = {
                **first,
                "id": user_id,
                "email": item["email"],
                "first_name": item.get("first_name", ""),
                "last_name": item.get("last_name", ""),
            }
            added.append(self.store["users"].put(user_id, user))
        return added
