"""The OAuth `state` parameter: sealed (AES-GCM, so signed and unreadable), naming the tenant,
expiring, and bound to its purpose. The callback accepts only a state this service issued for
that provider within its lifetime: a forged or replayed-late callback is refused (CSRF)."""

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dealflow_libs.secretbox import SecretBox, SecretBoxError

_CONTEXT = "oauth-state"


class StateError(ValueError):
    """The state is not one this service issued, or it has expired."""


@dataclass(frozen=True)
class OAuthState:
    tenant_id: str
    provider: str
    expires_at: datetime


def issue(box: SecretBox, tenant_id: str, provider: str, ttl: timedelta) -> str:
    expires = datetime.now(UTC) + ttl
    body = {
        "t": tenant_id,
        "p": provider,
        "exp": int(expires.timestamp()),
        "n": secrets.token_urlsafe(12),
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
    return OAuthState(tenant_id=str(body["t"]), provider=provider, expires_at=expires)
