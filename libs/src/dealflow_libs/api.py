"""Dependencies every service's HTTP API uses: the calling tenant and a request id."""

import uuid
from typing import Annotated, Protocol

from fastapi import Depends, Request

from dealflow_libs.auth import authenticate


class KeyLookup(Protocol):
    async def tenant_for(self, key_hash: str) -> str | None: ...


async def tenant_of(request: Request) -> str:
    """The tenant whose API key came as the Bearer token (app.state.tenant_keys resolves it)."""
    keys: KeyLookup = request.app.state.tenant_keys
    return await authenticate(request, keys.tenant_for)


def request_id(request: Request) -> str:
    return request.headers.get("x-request-id") or f"http:{uuid.uuid4()}"


Tenant = Annotated[str, Depends(tenant_of)]
RequestId = Annotated[str, Depends(request_id)]
