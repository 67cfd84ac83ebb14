"""Credentials an emulator accepts: OAuth codes, access and refresh tokens, static API keys.

Providers differ in wire shapes (each emulator renders its own token answers and auth errors),
not in the bookkeeping, which lives here: codes are single use and bound to their client and
redirect URI, access tokens expire after the configured lifetime, `expire_all` and
`revoke_all` are what the `expire_tokens` and `revoke` faults do.
"""

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from dealflow_emulators.common.clock import utc_now


class GrantError(Exception):
    """A token request the provider refuses; `error` is the RFC 6749 code."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


class Verdict(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    INVALID = "invalid"


@dataclass(frozen=True)
class AuthCheck:
    verdict: Verdict
    expired_seconds_ago: int = 0
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class TokenGrant:
    access_token: str
    refresh_token: str
    expires_in: int
    scopes: tuple[str, ...]


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]


@dataclass
class _Access:
    client_id: str
    expires_at: datetime
    scopes: tuple[str, ...]
    revoked: bool = False


@dataclass
class _Refresh:
    client_id: str
    scopes: tuple[str, ...]
    revoked: bool = False


@dataclass
class OAuthClient:
    client_id: str
    client_secret: str


@dataclass
class CredentialBook:
    token_prefix: str
    clients: list[OAuthClient] = field(default_factory=list)
    access_ttl_seconds: int = 1800
    rotate_refresh_tokens: bool = False
    _codes: dict[str, _Code] = field(default_factory=dict)
    _access: dict[str, _Access] = field(default_factory=dict)
    _refresh: dict[str, _Refresh] = field(default_factory=dict)
    _api_keys: dict[str, bool] = field(default_factory=dict)  # key -> revoked

    # -- OAuth -------------------------------------------------------------------------------

    def known_client(self, client_id: str) -> bool:
        return any(c.client_id == client_id for c in self.clients)

    def issue_code(self, client_id: str, redirect_uri: str, scopes: tuple[str, ...]) -> str:
        code = secrets.token_urlsafe(18)
        self._codes[code] = _Code(client_id, redirect_uri, scopes)
        return code

    def exchange_code(
        self, client_id: str, client_secret: str, code: str, redirect_uri: str | None
    ) -> TokenGrant:
        self._check_client(client_id, client_secret)
        issued = self._codes.pop(code, None)  # single use, even when the rest is wrong
        if issued is None or issued.client_id != client_id:
            raise GrantError("invalid_grant", "authorization code is invalid, expired or used")
        if redirect_uri is not None and redirect_uri != issued.redirect_uri:
            raise GrantError("invalid_grant", "redirect_uri does not match the authorize request")
        refresh_token = self._new_refresh(client_id, issued.scopes)
        return self._grant(client_id, issued.scopes, refresh_token)

    def refresh(self, client_id: str, client_secret: str, refresh_token: str) -> TokenGrant:
        self._check_client(client_id, client_secret)
        held = self._refresh.get(refresh_token)
        if held is None or held.revoked or held.client_id != client_id:
            raise GrantError("invalid_grant", "refresh token is invalid, expired or revoked")
        if self.rotate_refresh_tokens:
            held.revoked = True
            refresh_token = self._new_refresh(client_id, held.scopes)
        return self._grant(client_id, held.scopes, refresh_token)

    def revoke_refresh(self, refresh_token: str) -> bool:
        held = self._refresh.get(refresh_token)
        if held is None or held.revoked:
            return False
        held.revoked = True
        return True

    def check(self, token: str) -> AuthCheck:
        """An access token or a static API key."""
        if token in self._api_keys:
            return AuthCheck(Verdict.INVALID if self._api_keys[token] else Verdict.VALID)
        held = self._access.get(token)
        if held is None or held.revoked:
            return AuthCheck(Verdict.INVALID)
        now = utc_now()
        if held.expires_at <= now:
            ago = max(1, int((now - held.expires_at).total_seconds()))
            return AuthCheck(Verdict.EXPIRED, expired_seconds_ago=ago, scopes=held.scopes)
        return AuthCheck(Verdict.VALID, scopes=held.scopes)

    def client_of(self, token: str) -> str | None:
        """The OAuth client an access token was issued to (None for API keys and strangers)."""
        held = self._access.get(token)
        return None if held is None else held.client_id

    def expires_in(self, token: str) -> int | None:
        held = self._access.get(token)
        if held is None:
            return None
        return max(0, int((held.expires_at - utc_now()).total_seconds()))

    # -- static keys ---------------------------------------------------------------------------

    def add_api_key(self, key: str, *, reinstate: bool = False) -> None:
        """Accept `key`; a key revoked earlier works again only with `reinstate`."""
        if reinstate or key not in self._api_keys:
            self._api_keys[key] = False

    # -- faults --------------------------------------------------------------------------------

    def expire_all(self) -> int:
        """Every access token issued so far is expired now; refresh tokens still work."""
        past = utc_now() - timedelta(seconds=1)
        for held in self._access.values():
            held.expires_at = min(held.expires_at, past)
        return len(self._access)

    def revoke_all(self) -> int:
        """Every token and API key stops working, refresh included (the app was uninstalled)."""
        for access in self._access.values():
            access.revoked = True
        for refresh in self._refresh.values():
            refresh.revoked = True
        for key in self._api_keys:
            self._api_keys[key] = True
        return len(self._access) + len(self._refresh) + len(self._api_keys)

    def summary(self) -> dict[str, int]:
        """Counts only: state answers never show a secret."""
        now = utc_now()
        return {
            "access_tokens_valid": sum(
                1 for a in self._access.values() if not a.revoked and a.expires_at > now
            ),
            "access_tokens_expired": sum(
                1 for a in self._access.values() if not a.revoked and a.expires_at <= now
            ),
            "refresh_tokens_valid": sum(1 for r in self._refresh.values() if not r.revoked),
            "api_keys_valid": sum(1 for revoked in self._api_keys.values() if not revoked),
            "revoked": sum(1 for a in self._access.values() if a.revoked)
            + sum(1 for r in self._refresh.values() if r.revoked)
            + sum(1 for revoked in self._api_keys.values() if revoked),
        }

    def clear(self) -> None:
        self._codes.clear()
        self._access.clear()
        self._refresh.clear()
        self._api_keys.clear()

    # -- internals -----------------------------------------------------------------------------

    def _check_client(self, client_id: str, client_secret: str) -> None:
        for client in self.clients:
            if client.client_id == client_id:
                if secrets.compare_digest(client.client_secret, client_secret):
                    return
                break
        raise GrantError("invalid_client", "client_id or client_secret is invalid")

    def _new_refresh(self, client_id: str, scopes: tuple[str, ...]) -> str:
        token = f"{self.token_prefix}-rt-{secrets.token_urlsafe(24)}"
        self._refresh[token] = _Refresh(client_id, scopes)
        return token

    def _grant(self, client_id: str, scopes: tuple[str, ...], refresh_token: str) -> TokenGrant:
        token = f"{self.token_prefix}-at-{secrets.token_urlsafe(32)}"
        expires = utc_now() + timedelta(seconds=self.access_ttl_seconds)
        self._access[token] = _Access(client_id, expires, scopes)
        return TokenGrant(token, refresh_token, self.access_ttl_seconds, scopes)
