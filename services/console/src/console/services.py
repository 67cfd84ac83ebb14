"""Calls to the other services' HTTP APIs with the signed-in tenant's key: the console's only
way to read or change anything."""

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from console.signin import SignIn


class ServiceError(Exception):
    """A service refused a call (its status and message, shown to the user as they are) or
    could not be reached (status 503). `code` and `body`: the service's error code and whole
    error answer, for a page that can do better than show the message."""

    def __init__(
        self,
        service: str,
        status: int,
        message: str,
        code: str | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{service}: {message}")
        self.service = service
        self.status = status
        self.message = message
        self.code = code
        self.body: Mapping[str, Any] = body or {}


Value = str | int | float | bool | None
#: Query parameters; pairs where one repeats (`?event_id=a&event_id=b`).
Params = Mapping[str, Value] | Sequence[tuple[str, Value]]


class ServiceApi:
    def __init__(self, urls: Mapping[str, str], timeout: float) -> None:
        self._urls = dict(urls)
        self._http = httpx.AsyncClient(timeout=timeout)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def call(
        self,
        signin: SignIn,
        method: str,
        service: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """The JSON answer of `method path` on `service`; ServiceError when it is not a 2xx.
        `headers`: more request headers, e.g. X-Correlation-Id to join a booking's trail."""
        return await self._answer(
            signin.api_key, method, service, path, params=params, json=json, headers=headers
        )

    async def get(self, signin: SignIn, service: str, path: str, **params: Any) -> Any:
        return await self.call(signin, "GET", service, path, params=params)

    async def tenant_of(self, api_key: str) -> dict[str, Any] | None:
        """Which tenant a key belongs to (ingest owns tenants); None for an unknown key."""
        try:
            answer: dict[str, Any] = await self._answer(api_key, "GET", "ingest", "/v1/tenant")
        except ServiceError as refused:
            if refused.status == 401:
                return None
            raise
        return answer

    async def _answer(
        self,
        api_key: str,
        method: str,
        service: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        headers = {**(headers or {}), "Authorization": f"Bearer {api_key}"}
        pairs = params.items() if isinstance(params, Mapping) else params or ()
        query: list[tuple[str, Value]] = [(k, v) for k, v in pairs if v is not None and v != ""]
        try:
            response = await self._http.request(
                method, self._urls[service] + path, params=query, json=json, headers=headers
            )
        except httpx.HTTPError as exc:
            raise ServiceError(
                service, 503, f"{service} is unreachable ({type(exc).__name__})"
            ) from exc
        if response.status_code >= 400:
            raise _refusal(service, response)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()


def _refusal(service: str, response: httpx.Response) -> ServiceError:
    """The service's error answer (`{"error": code, "message": ..., ...}`) as a ServiceError."""
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return ServiceError(service, status, f"HTTP {status}")
    message = body.get("message")
    code = body.get("error")
    return ServiceError(
        service,
        status,
        message if isinstance(message, str) else f"HTTP {status}",
        code if isinstance(code, str) else None,
        body,
    )
