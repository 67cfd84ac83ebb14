"""Injected faults: the next N matching requests (or a seeded share of them) fail on purpose.

`rate_limit`, `server_error` and `timeout` are request faults, consumed by the middleware.
`expire_tokens` and `revoke` act on the credentials at once (see `CredentialBook`), since an
expired or revoked token stays so until the client refreshes or reconnects.
"""

import asyncio
import random
from enum import StrEnum
from typing import Self

from pydantic import BaseModel, Field, model_validator


class FaultKind(StrEnum):
    RATE_LIMIT = "rate_limit"
    SERVER_ERROR = "server_error"
    TIMEOUT = "timeout"
    EXPIRE_TOKENS = "expire_tokens"
    REVOKE = "revoke"


CREDENTIAL_FAULTS = frozenset({FaultKind.EXPIRE_TOKENS, FaultKind.REVOKE})


class FaultSpec(BaseModel):
    """Body of `POST /_emulator/faults`."""

    kind: FaultKind
    count: int | None = Field(default=None, ge=1, description="the next N matching requests")
    ratio: float | None = Field(default=None, gt=0, le=1, description="a seeded random share")
    seed: int = 0
    path_prefix: str | None = None
    method: str | None = Field(default=None, description="only this HTTP method")
    status: int = Field(default=500, ge=500, le=599, description="server_error: the status")
    apply: bool = Field(
        default=False,
        description="server_error/timeout: the request takes effect before the fault answers "
        "(the write happened but the client never hears of it)",
    )
    retry_after_ms: int | None = Field(
        default=None,
        ge=0,
        description="rate_limit: when the window starts over (Retry-After rounds it up to "
        "whole seconds); default a whole interval. Small values keep retry tests fast",
    )
    hold_seconds: float | None = Field(
        default=None, ge=0, description="timeout: how long to hold (default: the config's)"
    )

    @model_validator(mode="after")
    def _one_trigger(self) -> Self:
        if self.kind in CREDENTIAL_FAULTS:
            return self
        if (self.count is None) == (self.ratio is None):
            raise ValueError("give exactly one of count or ratio")
        if self.apply and self.kind is FaultKind.RATE_LIMIT:
            raise ValueError("a rate-limited request never takes effect")
        return self


class ActiveFault:
    def __init__(self, fault_id: int, spec: FaultSpec) -> None:
        self.id = fault_id
        self.spec = spec
        self.remaining = spec.count
        self.fired = 0
        self._random = random.Random(spec.seed)

    def matches(self, method: str, path: str) -> bool:
        spec = self.spec
        if spec.path_prefix is not None and not path.startswith(spec.path_prefix):
            return False
        return spec.method is None or spec.method.upper() == method

    def fire(self) -> bool:
        """Whether this request is hit; a count fault is used up as it fires."""
        if self.remaining is not None:
            if self.remaining <= 0:
                return False
            self.remaining -= 1
        elif self._random.random() >= (self.spec.ratio or 0):
            return False
        self.fired += 1
        return True

    @property
    def exhausted(self) -> bool:
        return self.remaining is not None and self.remaining <= 0

    def describe(self) -> dict[str, object]:
        return {
            "id": self.id,
            **self.spec.model_dump(exclude_none=True),
            "remaining": self.remaining,
            "fired": self.fired,
        }


class FaultBook:
    """Active request faults in the order they were added; the first match fires."""

    def __init__(self) -> None:
        self._faults: list[ActiveFault] = []
        self._next_id = 1
        self.released = asyncio.Event()  # set by reset: held requests let go at once

    def add(self, spec: FaultSpec) -> ActiveFault:
        fault = ActiveFault(self._next_id, spec)
        self._next_id += 1
        self._faults.append(fault)
        return fault

    def pick(self, method: str, path: str) -> FaultSpec | None:
        for fault in self._faults:
            if fault.matches(method, path) and fault.fire():
                if fault.exhausted:
                    self._faults.remove(fault)
                return fault.spec
        return None

    def describe(self) -> list[dict[str, object]]:
        return [f.describe() for f in self._faults]

    def clear(self) -> None:
        self._faults.clear()
        self.released.set()
        self.released = asyncio.Event()
