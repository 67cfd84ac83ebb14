"""A signed-in team member: who they are for the services (the tenant's API key) and the
tokens that prove a request comes from them (session cookie, CSRF token)."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

COOKIE = "dealflow_session"
LOGIN_CSRF_COOKIE = "dealflow_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True)
class SignIn:
    tenant_id: str
    tenant_name: str
    currency: str
    api_key: str
    csrf_token: str
    expires_at: datetime

    def __repr__(self) -> str:  # the key never reaches a log line through a repr
        return f"SignIn(tenant_id={self.tenant_id!r}, expires_at={self.expires_at!r})"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same_token(presented: str | None, expected: str) -> bool:
    """Constant-time comparison; a missing token never matches."""
    return bool(presented) and hmac.compare_digest(str(presented).encode(), expected.encode())
