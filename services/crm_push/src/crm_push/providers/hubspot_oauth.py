"""HubSpot's OAuth 2.0 (crm_apis.md §1.1): the authorize URL, the code exchange (plus the
portal id from token introspection) and the refresh, against configurable bases.

The calls go through a `ProviderHttp` (built by `oauth_http`) so the push log records them;
client secret, code and tokens never reach it (form bodies are logged redacted, the token in the
introspection path is masked).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from crm_push.providers.hubspot_api import hubspot_error
from crm_push.providers.transport import FailureKind, NoAuth, ProviderError, ProviderHttp

TOKEN_PATH = "/oauth/v1/token"  # noqa: S105 - a path, not a secret
REDACTED = "[redacted]"

#: What the adapter's calls need. `crm.schemas.deals.*` lets `ensure_schema` create the
#: `dealflow_id` deal property.
SCOPES: tuple[str, ...] = (
    "crm.objects.contacts.read",
    "crm.objects.contacts.write",
    "crm.objects.companies.read",
    "crm.objects.companies.write",
    "crm.objects.deals.read",
    "crm.objects.deals.write",
    "crm.objects.owners.read",
    "crm.schemas.deals.read",
    "crm.schemas.deals.write",
)
#: The emulator asks these for meeting properties; HubSpot's name for that permission is not
#: confirmed, so they go as `optional_scope` (granted where they exist, never blocking consent).
OPTIONAL_SCOPES: tuple[str, ...] = ("crm.schemas.meetings.read", "crm.schemas.meetings.write")

# Grant errors no retry can fix: the connection needs a new consent.
_REFUSED = frozenset({"invalid_grant", "invalid_client", "unauthorized_client"})


@dataclass(frozen=True)
class TokenGrant:
    access_token: str
    refresh_token: str
    expires_at: datetime
    hub_id: int | None = None
    """The portal the tokens are for (from introspection, on the code exchange only)."""


def oauth_http(client: httpx.AsyncClient, base_url: str) -> ProviderHttp:
    """Token endpoints take the client credentials in the form, so no auth header."""
    return ProviderHttp(client=client, base_url=base_url, auth=NoAuth(), error_reader=hubspot_error)


def authorize_url(
    authorize_base: str,
    *,
    client_id: str,
    redirect_uri: str,
    scopes: Sequence[str] = SCOPES,
    optional_scopes: Sequence[str] = OPTIONAL_SCOPES,
    state: str,
) -> str:
    """Where to send the user to consent; scopes are space-separated (as %20)."""
    params = {"client_id": client_id, "redirect_uri": redirect_uri, "scope": " ".join(scopes)}
    if optional_scopes:
        params["optional_scope"] = " ".join(optional_scopes)
    query = urlencode({**params, "state": state}, quote_via=quote)
    separator = "&" if "?" in authorize_base else "?"
    return f"{authorize_base}{separator}{query}"


async def exchange_code(
    http: ProviderHttp, *, client_id: str, client_secret: str, redirect_uri: str, code: str
) -> TokenGrant:
    """The code from the callback for tokens, then the portal id they belong to."""
    form = {
        "grant_type": "authorization_code",
        "client_id": client_id,
        "client_secret": client_secret,
        "redirect_uri": redirect_uri,
        "code": code,
    }
    grant = await _token(http, "exchange_code", form)
    path = f"/oauth/v1/access-tokens/{quote(grant.access_token, safe='')}"
    info = await http.request(
        "introspect_token", "GET", path, logged_path=f"/oauth/v1/access-tokens/{REDACTED}"
    )
    hub_id = info.get("hub_id") if isinstance(info, dict) else None
    return TokenGrant(
        grant.access_token,
        grant.refresh_token,
        grant.expires_at,
        int(hub_id) if hub_id is not None else None,
    )


async def refresh(
    http: ProviderHttp, *, client_id: str, client_secret: str, refresh_token: str
) -> TokenGrant:
    """New tokens for a refresh token; HubSpot may answer with the same refresh token."""
    form = {
        "grant_type": "refresh_token",
        "client_id": client_id,
        "client_secret": client_secret,
        "refresh_token": refresh_token,
    }
    return await _token(http, "refresh_token", form)


async def _token(http: ProviderHttp, operation: str, form: dict[str, str]) -> TokenGrant:
    asked_at = datetime.now(UTC)  # the lifetime counts from before the answer: never late
    logged = {
        k: (REDACTED if k in ("code", "client_secret", "refresh_token") else v)
        for k, v in form.items()
    }
    try:
        answer = await http.request(operation, "POST", TOKEN_PATH, data=form, logged_request=logged)
    except ProviderError as exc:
        if exc.code in _REFUSED:
            raise ProviderError(
                FailureKind.UNAUTHORIZED, exc.message, status=exc.status, code=exc.code
            ) from exc
        raise
    return _grant(answer, asked_at, operation)


def _grant(answer: Any, asked_at: datetime, operation: str) -> TokenGrant:
    try:
        return TokenGrant(
            access_token=str(answer["access_token"]),
            refresh_token=str(answer["refresh_token"]),
            expires_at=asked_at + timedelta(seconds=int(answer["expires_in"])),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ProviderError(
            FailureKind.UNAVAILABLE,
            f"{operation}: the token answer lacks access_token, refresh_token or expires_in",
            code="bad_token_answer",
        ) from exc
