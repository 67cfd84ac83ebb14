"""OAuth 2.0 as HubSpot serves it (§1.1): authorize (consent granted at once), the v1 token
endpoint (form body, snake_case answer), token introspection and refresh-token revocation."""

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from dealflow_emulators.common import GrantError, read_form
from dealflow_emulators.hubspot.auth import hubspot
from dealflow_emulators.hubspot.errors import error_response

router = APIRouter(tags=["oauth"])

_LEGACY_STATUS = {"invalid_grant": "BAD_REFRESH_TOKEN", "invalid_client": "BAD_CLIENT_ID"}


def _grant_error(exc: GrantError, grant_type: str) -> JSONResponse:
    status = _LEGACY_STATUS.get(exc.error, "BAD_REQUEST")
    if exc.error == "invalid_grant" and grant_type == "authorization_code":
        status = "BAD_AUTH_CODE"
    body = {
        "error": exc.error,
        "error_description": exc.description,
        "status": status,
        "message": exc.description,
    }
    return JSONResponse(body, status_code=401 if exc.error == "invalid_client" else 400)


@router.get("/oauth/authorize")
async def authorize(
    request: Request,
    client_id: str,
    redirect_uri: str,
    scope: str = "",
    optional_scope: str = "",
    state: str | None = None,
) -> Response:
    """The user consents at once: a redirect to `redirect_uri` with `code` (and `state`)."""
    emulator = hubspot(request)
    if not emulator.credentials.known_client(client_id):
        return error_response(400, "VALIDATION_ERROR", "Unknown client_id")
    scopes = tuple(s for s in f"{scope} {optional_scope}".split() if s)
    code = emulator.credentials.issue_code(client_id, redirect_uri, scopes)
    params = {"code": code, **({"state": state} if state is not None else {})}
    separator = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(f"{redirect_uri}{separator}{urlencode(params)}", status_code=302)


@router.post("/oauth/v1/token")
async def token(request: Request) -> Response:
    """Form-encoded, client credentials in the body, no auth header."""
    form = await read_form(request)
    grant_type = form.get("grant_type", "")
    client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
    code, redirect_uri = form.get("code"), form.get("redirect_uri")
    refresh_token = form.get("refresh_token")
    credentials = hubspot(request).credentials
    try:
        if grant_type == "authorization_code" and code:
            grant = credentials.exchange_code(client_id, client_secret, code, redirect_uri)
        elif grant_type == "refresh_token" and refresh_token:
            grant = credentials.refresh(client_id, client_secret, refresh_token)
        else:
            raise GrantError("invalid_request", f"missing or unsupported grant: {grant_type}")
    except GrantError as exc:
        return _grant_error(exc, grant_type)
    return JSONResponse(
        {
            "access_token": grant.access_token,
            "refresh_token": grant.refresh_token,
            "expires_in": grant.expires_in,
            "token_type": "bearer",
        }
    )


@router.get("/oauth/v1/access-tokens/{token}")
async def introspect(token: str, request: Request) -> Response:
    """What the token is for: the portal (`hub_id`) a client stores with its connection."""
    emulator = hubspot(request)
    credentials = emulator.credentials
    check = credentials.check(token)
    expires_in = credentials.expires_in(token)
    if check.verdict != "valid" or expires_in is None:
        return JSONResponse(
            {"status": "error", "message": "token is invalid or expired", "category": "NOT_FOUND"},
            status_code=404,
        )
    return JSONResponse(
        {
            "token": token,
            "user": "owner@dealflow.example",
            "hub_domain": emulator.config.hub_domain,
            "scopes": list(check.scopes),
            "hub_id": emulator.config.hub_id,
            "app_id": 1001,
            "expires_in": expires_in,
            "user_id": 1123456,
            "token_type": "access",
        }
    )


@router.delete("/oauth/v1/refresh-tokens/{token}", status_code=204)
async def revoke_refresh(token: str, request: Request) -> Response:
    if not hubspot(request).credentials.revoke_refresh(token):
        return JSONResponse(
            {"status": "error", "message": "refresh token not found", "category": "NOT_FOUND"},
            status_code=404,
        )
    return Response(status_code=204)
