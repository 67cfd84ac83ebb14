"""Every HTTP call to a provider goes through `ProviderHttp`: it authenticates, times and records
the call (for the push log, secrets redacted), and turns a failure into a `ProviderError` whose
`kind` tells the worker what to do: wait and retry, open the circuit breaker, mark the connection,
or give up on this push.
"""

import contextlib
import email.utils
import json as jsonlib
import time
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

import httpx
import orjson

from dealflow_libs.logging import redact

#: Bodies kept in the push log are cut to this many characters of JSON.
LOGGED_BODY_CHARS = 8_000


class FailureKind(StrEnum):
    RATE_LIMITED = "rate_limited"
    """429: wait (Retry-After when given) and retry; does not count against the breaker."""
    UNAVAILABLE = "unavailable"
    """5xx, timeout, connection refused or reset: retry with backoff; counts for the breaker."""
    UNAUTHORIZED = "unauthorized"
    """401/403 the credentials cannot fix (revoked key, refused refresh): the connection is
    marked `error`; retrying cannot help until someone reconnects."""
    QUOTA_EXHAUSTED = "quota_exhausted"
    """A daily quota (HubSpot DAILY policy, Pipedrive's write budget): not retried now."""
    REJECTED = "rejected"
    """Any other 4xx: the request itself is wrong; retrying would fail the same way."""


RETRYABLE: frozenset[FailureKind] = frozenset({FailureKind.RATE_LIMITED, FailureKind.UNAVAILABLE})


class ProviderError(Exception):
    def __init__(
        self,
        kind: FailureKind,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        retry_after: float | None = None,
        uncertain: bool = False,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status
        self.code = code
        self.retry_after = retry_after
        #: The request may have taken effect although no answer said so (timeout, 5xx on a write).
        self.uncertain = uncertain

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE


#: Where the calls of the running task go (a push attempt's log, see `recording_calls`).
_call_log: ContextVar[list["CallRecord"] | None] = ContextVar("crm_call_log", default=None)


def caller_call_log() -> list["CallRecord"] | None:
    """The log of the running task's `recording_calls` block, None outside one."""
    return _call_log.get()


@contextlib.contextmanager
def recording_calls() -> Iterator[list["CallRecord"]]:
    """Collects the calls made by this task (and only this task) inside the block, so one
    long-lived client serves many concurrent pushes and each push still gets its own log."""
    log: list[CallRecord] = []
    token = _call_log.set(log)
    try:
        yield log
    finally:
        _call_log.reset(token)


@dataclass
class CallRecord:
    """One HTTP call as the push log keeps it."""

    operation: str
    method: str
    path: str
    started_at: datetime
    request_body: Any = None
    status: int | None = None
    response_body: Any = None
    error_code: str | None = None
    error_message: str | None = None
    duration_ms: int = 0
    crm_id: str | None = None


class Auth(Protocol):
    """Credentials of one connection. `headers` may refresh an expiring token first;
    `after_unauthorized` is called on a 401 and answers whether a retry with fresh
    credentials is worth it (an OAuth token that expired early), at most once per call."""

    async def headers(self) -> Mapping[str, str]: ...

    async def after_unauthorized(self) -> bool: ...


#: The error code a provider's ErrorReader gives a 429 that is a daily quota, not a short window
#: (HubSpot's DAILY policy, Pipedrive's write budget): retrying within the day cannot help.
QUOTA_CODE = "quota_exhausted"


class Throttle(Protocol):
    """The connection's rate limiter: `acquire` waits for a slot before each call; `penalize`
    holds every caller back after the provider answered 429."""

    async def acquire(self) -> None: ...

    def penalize(self, seconds: float) -> None: ...


class ErrorReader(Protocol):
    """How a provider spells its errors: code and message out of an error answer (a daily-quota
    429 gets the code QUOTA_CODE)."""

    def __call__(self, response: httpx.Response, body: Any) -> tuple[str | None, str]: ...


def _default_error(response: httpx.Response, body: Any) -> tuple[str | None, str]:
    if isinstance(body, Mapping):
        code = body.get("category") or body.get("code") or body.get("errorCode")
        message = body.get("message") or body.get("error") or response.reason_phrase
        return (str(code) if code is not None else None), str(message)
    return None, response.reason_phrase or f"HTTP {response.status_code}"


def retry_after_seconds(response: httpx.Response, now: float | None = None) -> float | None:
    """Retry-After as seconds (delta or HTTP date), else Close's `RateLimit: ... reset=S`,
    else Pipedrive's `x-ratelimit-reset` (seconds until its 2-s window starts over)."""
    value = response.headers.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return None
            return max(0.0, when.timestamp() - (time.time() if now is None else now))
    ratelimit = response.headers.get("ratelimit")
    if ratelimit:
        for part in ratelimit.split(","):
            name, _, number = part.strip().partition("=")
            if name.strip() == "reset":
                try:
                    return max(0.0, float(number))
                except ValueError:
                    return None
    window_reset = response.headers.get("x-ratelimit-reset")
    if window_reset:
        try:
            return max(0.0, float(window_reset))
        except ValueError:
            return None
    return None


def loggable(body: Any) -> Any:
    """A body for the push log: secret-named fields redacted, cut to LOGGED_BODY_CHARS."""
    if body is None:
        return None
    cleaned = redact("body", body)
    text = cleaned if isinstance(cleaned, str) else None
    if text is None:
        try:
            encoded = orjson.dumps(cleaned, default=str, option=orjson.OPT_NON_STR_KEYS)
        except TypeError:  # what orjson refuses (an integer beyond 64 bits) json still writes
            encoded = jsonlib.dumps(cleaned, default=str).encode()
        if len(encoded) <= LOGGED_BODY_CHARS:  # bytes >= characters: short enough either way
            return cleaned
        text = encoded.decode()
        if len(text) <= LOGGED_BODY_CHARS:
            return cleaned
    return {"truncated": True, "text": text[:LOGGED_BODY_CHARS]}


_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass
class ProviderHttp:
    """One connection's HTTP client: base URL, credentials, timeouts; records every call."""

    client: httpx.AsyncClient
    base_url: str
    auth: Auth
    error_reader: ErrorReader = _default_error
    calls: list[CallRecord] = field(default_factory=list)
    extra_headers: Mapping[str, str] = field(default_factory=dict)
    throttle: Throttle | None = None

    def take_calls(self) -> list[CallRecord]:
        """The calls recorded outside any `recording_calls` block since the last take."""
        calls, self.calls = self.calls, []
        return calls

    async def request(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, str] | None = None,
        logged_request: Any = None,
        logged_path: str | None = None,
        shared: bool = False,
    ) -> Any:
        """Sends one request and returns the decoded JSON answer (None when empty).

        Raises ProviderError on any failure. `logged_request` replaces the body in the log
        (form posts carrying credentials); `logged_path` replaces the path in the log and in
        error messages (a path carrying a token, as HubSpot's token introspection does).
        `shared` is a batch call made for many pushes: each push's log gets its own input and
        answer (providers/batching.py), so the whole request and answer are not kept (an error
        answer is, since it is everyone's).
        """
        shown_path = logged_path or path
        retried_auth = False
        while True:
            if self.throttle is not None:
                await self.throttle.acquire()
            record = CallRecord(
                operation=operation,
                method=method,
                path=shown_path,
                started_at=datetime.now(UTC),
                request_body=None
                if shared
                else loggable(logged_request if logged_request is not None else json),
            )
            log = _call_log.get()
            (self.calls if log is None else log).append(record)
            response = await self._send(record, path, json=json, params=params, data=data)
            body = _decode(response)
            if response.is_success:
                if method in _WRITE_METHODS:  # a read's answer is not a record it made
                    record.crm_id = _record_id(body)
                record.response_body = None if shared else loggable(body)
                return body
            record.response_body = loggable(body)
            code, message = self.error_reader(response, body)
            record.error_code, record.error_message = code, message[:1000]
            unauthorized = response.status_code == 401 and not retried_auth
            if unauthorized and await self.auth.after_unauthorized():
                retried_auth = True  # fresh credentials get one more try
                continue
            raise self._failure(response, record, code, message)

    async def _send(
        self,
        record: CallRecord,
        path: str,
        *,
        json: Any,
        params: Mapping[str, Any] | None,
        data: Mapping[str, str] | None,
    ) -> httpx.Response:
        """One HTTP exchange, timed into `record`; no answer at all is a ProviderError."""
        started = time.perf_counter()
        uncertain = record.method in _WRITE_METHODS
        try:
            headers = {**self.extra_headers, **(await self.auth.headers())}
            response = await self.client.request(
                record.method,
                self.base_url.rstrip("/") + path,
                json=json,
                params=params,
                data=data,
                headers=headers,
            )
        except httpx.TimeoutException as exc:
            record.error_code = "timeout"
            record.error_message = f"no answer within the timeout ({type(exc).__name__})"
            raise ProviderError(
                FailureKind.UNAVAILABLE, record.error_message, code="timeout", uncertain=uncertain
            ) from exc
        except httpx.TransportError as exc:
            record.error_code = "connection_error"
            record.error_message = f"{type(exc).__name__}: {exc}"[:500]
            raise ProviderError(
                FailureKind.UNAVAILABLE,
                record.error_message,
                code="connection_error",
                uncertain=uncertain,
            ) from exc
        finally:
            record.duration_ms = round((time.perf_counter() - started) * 1000)
        record.status = response.status_code
        return response

    def _failure(
        self, response: httpx.Response, record: CallRecord, code: str | None, message: str
    ) -> ProviderError:
        """The error an answer with a failing status becomes; a 429 also holds the throttle."""
        status = response.status_code
        retry_after = retry_after_seconds(response) if status == 429 else None
        if status == 429 and self.throttle is not None:
            self.throttle.penalize(retry_after if retry_after is not None else 1.0)
        return ProviderError(
            _kind_of(status, code),
            f"{record.method} {record.path}: {status} {message}"[:1000],
            status=status,
            code=code,
            retry_after=retry_after,
            uncertain=status >= 500 and record.method in _WRITE_METHODS,
        )


#: Error codes that say "try again" whatever their status (Notion answers a write that collided
#: with another one 409 `conflict_error`, documented as retryable).
RETRY_CODES = frozenset({"conflict_error"})


def _kind_of(status: int, code: str | None) -> FailureKind:
    if code in RETRY_CODES:
        return FailureKind.UNAVAILABLE
    if status == 429:
        return FailureKind.QUOTA_EXHAUSTED if code == QUOTA_CODE else FailureKind.RATE_LIMITED
    if status >= 500 or status == 408:
        return FailureKind.UNAVAILABLE
    if status in (401, 403):
        return FailureKind.UNAUTHORIZED
    return FailureKind.REJECTED


def _record_id(body: Any) -> str | None:
    """The id of the record a write's answer is about (HubSpot, Close and Notion answer the
    record itself, Pipedrive wraps it in `data`)."""
    if isinstance(body, Mapping):
        data = body.get("data")
        record: Mapping[str, Any] = data if isinstance(data, Mapping) else body
        found = record.get("id")
        if isinstance(found, str | int) and not isinstance(found, bool):
            return str(found)
    return None


def _decode(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text[:LOGGED_BODY_CHARS]


@dataclass(frozen=True)
class StaticAuth:
    """Credentials that do not expire (an API key, a private-app or integration token)."""

    fixed_headers: Mapping[str, str]

    async def headers(self) -> Mapping[str, str]:
        return self.fixed_headers

    async def after_unauthorized(self) -> bool:
        return False


@dataclass(frozen=True)
class NoAuth:
    """No credentials in headers: OAuth token endpoints take the client's in the form body."""

    async def headers(self) -> Mapping[str, str]:
        return {}

    async def after_unauthorized(self) -> bool:
        return False
