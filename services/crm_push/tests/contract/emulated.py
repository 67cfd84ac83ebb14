"""Shared pieces of the Pipedrive and Close contract tests: an emulator's control side, and the
checks every adapter's call log must pass."""

import contextlib
import dataclasses
import json
import re
from collections.abc import Iterator
from typing import Any

import httpx

from crm_push.providers.transport import CallRecord, ProviderHttp

#: Generous: a loaded test machine can take over a second to answer an ordinary call.
CLIENT_TIMEOUT = httpx.Timeout(10)
#: Short enough that a held answer (`timeout` fault, `hold_seconds: 1`) times the client out.
HELD_ANSWER_TIMEOUT = httpx.Timeout(0.5)


@contextlib.contextmanager
def short_timeout(http: ProviderHttp) -> Iterator[None]:
    """The client gives up quickly for the calls inside: only where a `timeout` fault is set."""
    usual = http.client.timeout
    http.client.timeout = HELD_ANSWER_TIMEOUT
    try:
        yield
    finally:
        http.client.timeout = usual


@dataclasses.dataclass
class EmulatorControl:
    """`/_emulator/*` of one emulator served over real HTTP."""

    http: httpx.AsyncClient

    async def reset(self) -> None:
        (await self.http.post("/_emulator/reset")).raise_for_status()

    async def fault(self, **spec: Any) -> None:
        (await self.http.post("/_emulator/faults", json=spec)).raise_for_status()

    async def configure(self, **changes: Any) -> None:
        (await self.http.patch("/_emulator/config", json=changes)).raise_for_status()

    async def state(self) -> dict[str, Any]:
        answer = await self.http.get("/_emulator/state")
        answer.raise_for_status()
        state: dict[str, Any] = answer.json()
        return state

    async def objects(self, kind: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = (await self.state())["objects"][kind]
        return found

    async def requests(self, **filters: Any) -> list[dict[str, Any]]:
        answer = await self.http.get("/_emulator/requests", params=filters)
        answer.raise_for_status()
        entries: list[dict[str, Any]] = answer.json()["requests"]
        return entries


def assert_calls_are_clean(calls: list[CallRecord], secret: str) -> None:
    """Every call is named and timed, and the key shows nowhere the push log keeps."""
    assert calls
    for call in calls:
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", call.operation), call
        assert call.path.startswith("/")
        logged = json.dumps(dataclasses.asdict(call), default=str)
        assert secret not in logged, call.operation
        assert "api_token" not in call.path
