"""The log of requests an emulator received, secrets redacted, so tests can count calls."""

import hashlib
import re
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

from dealflow_libs.logging import redact

# Beyond the names libs redacts (token, secret, api key, authorization, ...): an OAuth code.
_EXTRA_SECRETS = re.compile(r"^(code|client_secret)$", re.I)


def redact_value(key: str, value: Any) -> Any:
    if _EXTRA_SECRETS.match(key):
        return "[redacted]"
    if isinstance(value, dict):
        return {k: redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_value(key, v) if isinstance(v, dict | list) else v for v in value]
    return redact(key, value)


def fingerprint(secret: str) -> str:
    """Tells credentials apart in the log (old vs refreshed token) without showing them."""
    return "sha256:" + hashlib.sha256(secret.encode()).hexdigest()[:12]


@dataclass
class LoggedRequest:
    id: int
    at: str
    method: str
    path: str
    query: dict[str, Any]
    credential: str | None  # a fingerprint, never the secret
    body: Any
    status: int | None = None  # None: the client went away before an answer
    fault: str | None = None
    duration_ms: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class RequestLog:
    def __init__(self, size: int = 10_000) -> None:
        self._entries: deque[LoggedRequest] = deque(maxlen=size)
        self._next_id = 1

    def open(
        self,
        *,
        at: str,
        method: str,
        path: str,
        query: dict[str, Any],
        credential: str | None,
        body: Any,
    ) -> LoggedRequest:
        entry = LoggedRequest(
            id=self._next_id,
            at=at,
            method=method,
            path=path,
            query=redact_value("query", query),
            credential=None if credential is None else fingerprint(credential),
            body=redact_value("body", body),
        )
        self._next_id += 1
        self._entries.append(entry)
        return entry

    def select(
        self,
        *,
        method: str | None = None,
        path_prefix: str | None = None,
        since_id: int = 0,
        status: int | None = None,
    ) -> list[LoggedRequest]:
        return [
            e
            for e in self._entries
            if e.id > since_id
            and (method is None or e.method == method.upper())
            and (path_prefix is None or e.path.startswith(path_prefix))
            and (status is None or e.status == status)
        ]

    def clear(self) -> None:
        self._entries.clear()
