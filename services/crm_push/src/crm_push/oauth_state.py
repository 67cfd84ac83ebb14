"""The OAuth `state` parameter: sealed (AES-GCM, so signed and unreadable), naming the tenant,
expiring, and bound to its purpose. The callback accepts only a state this service issued for
that provider within its lifetime: a forged or replayed-late callback is refused (CSRF)."""

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from dealflow_libs.secretbox import SecretBox, SecretBoxError

_CONTEXT = "oauth-state"


class StateError(ValueError):
    """The state is not one this service issued, or it has expired."""


@dataclass(frozen=True)
class OAuthState:
    tenant_id: str
    provider: str
    expires_at: datetime
    return_to: str | None = None


def issue(
    box: SecretBox, tenant_id: str, provider: str, ttl: timedelta, return_to: str | None = None
) -> str:
    """`return_to`: where the callback sends the browser afterwards; sealed with the rest, so
    only a place this service accepted when it issued the state can be named."""
    expires = datetime.now(UTC) + ttl
    body = {
        "t": tenant_id,
        "p": provider,
        "exp": int(expires.timestamp()),
        "n": secrets.token_urlsafe(12),
        **({"r": return_to} if return_to else {}),
    }
    return box.seal(json.dumps(body, separators=(",", ":")), context=_CONTEXT)


def verify(box: SecretBox, state: str, provider: str, now: datetime | None = None) -> OAuthState:
    try:
        body = json.loads(box.open(state, context=_CONTEXT))
    except (SecretBoxError, ValueError) as exc:
        raise StateError("the state was not issued by this service") from exc
    expires = datetime.fromtimestamp(int(body["exp"]), UTC)
    if body.get("p") != provider:
        raise StateError(f"the state was issued for {body.get('p')}, not {provider}")
    if (now or datetime.now(UTC)) >= expires:
        raise StateError("the state has expired: start the connection again")
    return OAuthState(
        tenant_id=str(body["t"]), provider=provider, expires_at=expires, return_to=body.get("r")
    )


def checked_return_to(return_to: str, allowed_base: str | None) -> str:
    """`return_to` when it is under `allowed_base` (same scheme, host and port, a path below
    the base's), so the callback can never be made to send a user to another site."""
    if not allowed_base:
        raise ValueError("return_to is not accepted here: DEALFLOW_CONSOLE_URL is not set")
    target, base = urlsplit(return_to), urlsplit(allowed_base)
    base_path = base.path.rstrip("/") + "/"
    if (
        "\\" in return_to
        or target.scheme.lower() != base.scheme.lower()
        or target.netloc.lower() != base.netloc.lower()
        or "@" in target.netloc
        or not (target.path or "/").startswith(base_path)
    ):
        raise ValueError(f"return_to must be a page under {allowed_base}")
    return return_to


def back_to(return_to: str, **outcome: str) -> str:
    """`return_to` with the callback's outcome added to its query."""
    parts = urlsplit(return_to)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(outcome.items())
    return urlunsplit(parts._replace(query=urlencode(query)))
