"""What every emulator is: a store, credentials, faults, a request log, a rate limiter, and the
provider-specific hooks (routes, error shapes, rate-limit headers) a subclass supplies."""

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar, Generic, TypeVar

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from dealflow_emulators.common.clock import EmulatorClock
from dealflow_emulators.common.credentials import CredentialBook, OAuthClient
from dealflow_emulators.common.faults import FaultBook
from dealflow_emulators.common.ratelimit import RateHit, WindowLimiter
from dealflow_emulators.common.requestlog import RequestLog
from dealflow_emulators.common.store import Record, Store


class EmulatorConfig(BaseModel):
    """Knobs shared by every emulator; `PATCH /_emulator/config` changes them at run time."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    client_id: str = "dealflow-dev"
    client_secret: str = "dealflow-dev-secret"  # noqa: S105 - a local emulator's fixture
    api_keys: list[str] = Field(default_factory=list, description="static keys accepted")
    access_token_ttl_seconds: int = Field(default=3600, ge=1)
    rotate_refresh_tokens: bool = False
    rate_limit: int | None = Field(default=None, ge=1, description="requests per interval; off")
    rate_limit_interval_ms: int = Field(default=10_000, ge=1)
    timeout_hold_seconds: float = Field(default=30.0, ge=0, description="a timeout fault holds")
    request_log_size: int = Field(default=10_000, ge=1)


class SeedError(Exception):
    """A `/_emulator/seed/{type}` request the emulator cannot take."""


C = TypeVar("C", bound=EmulatorConfig)


class Emulator(ABC, Generic[C]):
    name: ClassVar[str]
    token_prefix: ClassVar[str]
    #: Config fields `GET /_emulator/config` masks (besides the client secret and API keys).
    secret_config_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: C) -> None:
        self._initial_config = config.model_copy(deep=True)
        self.config = config
        self.clock = EmulatorClock()
        self.store = self.build_store()
        self.credentials = CredentialBook(token_prefix=self.token_prefix)
        self.faults = FaultBook()
        self.requests = RequestLog(config.request_log_size)
        self.limiter = WindowLimiter(config.rate_limit or 1, config.rate_limit_interval_ms)
        self._apply_config()
        self.seed()

    # -- what a provider supplies ----------------------------------------------------------------

    @abstractmethod
    def build_store(self) -> Store: ...

    @abstractmethod
    def routers(self) -> list[APIRouter]: ...

    @abstractmethod
    def rate_limit_response(self, hit: RateHit, path: str) -> Response:
        """The provider's 429, headers included."""

    def seed(self) -> None:
        """Fixtures every account starts with (pipelines, users); runs again on reset."""

    def seed_objects(self, object_type: str, items: list[dict[str, Any]]) -> list[Record]:
        """`POST /_emulator/seed/{type}`: add fixtures (an owner with a given email, ...)."""
        raise SeedError(f"{self.name} cannot seed {object_type!r}")

    def credential_of(self, headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
        """The secret a request carries (log fingerprint, rate-limit key)."""
        auth = headers.get("authorization")
        if auth and " " in auth:
            return auth.split(" ", 1)[1].strip() or None
        return None

    def rate_limited(self, path: str) -> bool:
        """Whether the configured limiter counts requests to this path."""
        return not path.startswith("/oauth")

    def rate_limit_key(self, credential: str | None, method: str, path: str) -> str:
        """Whose window a request counts in: the credential's, by default (Close counts per
        key and endpoint group)."""
        return credential or "anonymous"

    def rate_limit_headers(self, hit: RateHit) -> dict[str, str]:
        """Headers on every answer the limiter counted."""
        return {}

    def server_error_response(self, status: int) -> Response:
        return JSONResponse({"message": "internal error (injected)"}, status_code=status)

    def timeout_response(self) -> Response:
        """What a client that waited out a timeout fault finally gets (a gateway timeout)."""
        return JSONResponse({"message": "gateway timeout (injected)"}, status_code=504)

    def configure_app(self, app: FastAPI) -> None:
        """Exception handlers in the provider's error shape."""

    def extra_state(self) -> dict[str, Any]:
        return {}

    # -- shared behaviour ------------------------------------------------------------------------

    def update_config(self, changes: dict[str, Any]) -> C:
        merged = self.config.model_dump() | changes
        self.config = type(self.config).model_validate(merged)
        self._apply_config()
        return self.config

    def reset(self) -> None:
        """Back to the state at start: config, objects, credentials, faults, log, windows."""
        self.config = self._initial_config.model_copy(deep=True)
        self.clock.reset()
        self.store.clear()
        self.credentials.clear()
        self.faults.clear()
        self.requests = RequestLog(self.config.request_log_size)
        self.limiter.clear()
        self._apply_config()
        self.seed()

    def state(self) -> dict[str, Any]:
        return {
            "emulator": self.name,
            "counts": self.store.counts(),
            "objects": self.store.snapshot(),
            "credentials": self.credentials.summary(),
            "faults": self.faults.describe(),
            "clock": self.clock.describe(),
            **self.extra_state(),
        }

    def _apply_config(self) -> None:
        config = self.config
        self.credentials.clients = [OAuthClient(config.client_id, config.client_secret)]
        self.credentials.access_ttl_seconds = config.access_token_ttl_seconds
        self.credentials.rotate_refresh_tokens = config.rotate_refresh_tokens
        for key in config.api_keys:
            self.credentials.add_api_key(key)  # a revoked key stays revoked
        self.limiter.limit = config.rate_limit or 1
        self.limiter.interval_ms = config.rate_limit_interval_ms
