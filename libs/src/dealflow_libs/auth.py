"""Bearer API keys: only SHA-256 digests are stored or travel; comparison is by digest lookup."""

import hashlib
import secrets
from collections.abc import Awaitable, Callable

from fastapi import Request

from dealflow_libs.http import ApiError


def hash_api_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def new_api_key() -> str:
    return f"dfk_{secrets.token_urlsafe(24)}"


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            401,
            "unauthorized",
            "Send the tenant's API key as 'Authorization: Bearer <key>'.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return token.strip()


TenantResolver = Callable[[str], Awaitable[str | None]]


async def authenticate(request: Request, resolve: TenantResolver) -> str:
    """Returns the tenant id the presented key belongs to, or raises 401."""
    tenant_id = await resolve(hash_api_key(bearer_token(request)))
    if tenant_id is None:
        raise ApiError(
            401,
            "unauthorized",
            "Unknown or revoked API key.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return tenant_id
