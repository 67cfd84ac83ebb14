"""Calls to the other services' HTTP APIs with the signed-in tenant's key: the console's only
way to read or change anything."""

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from console.signin import SignIn


class ServiceError(Exception):
    """A service refused a call (its status and message, shown to the user as they are) or
    could not be reached (status 503)."""

    def __init__(self, service: str, status: int, message: str) -> None:
        super().__init__(f"{service}: {message}")
        self.service = service
        self.status = status
        self.message = message


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
        headers = {**(headers or {}), "Authorization": f"Bearer {signin.api_key}"}
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
            raise ServiceError(service, response.status_code, _message(response))
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    async def get(self, signin: SignIn, service: str, path: str, **params: Any) -> Any:
        return await self.call(signin, "GET", service, path, params=params)

    async def tenant_of(self, api_key: str) -> dict[str, Any] | None:
        """Which tenant a key belongs to (ingest owns tenants); None for an unknown key."""
        try:
            response = await self._http.get(
                self._urls["ingest"] + "/v1/tenant",
                headers={"Authorization": f"Bearer {api_key}"},
            )
        except httpx.HTTPError as exc:
            raise ServiceError(
                "ingest", 503, f"ingest is unreachable ({type(exc).__name__})"
            ) from exc
        if response.status_code == 401:
            return None
        if response.status_code >= 400:
            raise ServiceError("ingest", response.status_code, _message(response))
        answer: dict[str, Any] = response.json()
        return answer


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return body["message"]
    return f"HTTP {response.status_code}"
