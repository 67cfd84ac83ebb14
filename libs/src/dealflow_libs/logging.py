"""Structured JSON logging on stdlib `logging`, with secrets redacted before anything is written."""

import functools
import logging
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
_SECRET_KEYS = re.compile(r"(secret|password|token|authorization|api[_-]?key|signature)", re.I)
_URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")


@functools.lru_cache(maxsize=4096)
def _secret_key(key: str) -> bool:
    """Whether a field of this name holds a secret (names repeat: asked once each)."""
    return _SECRET_KEYS.search(key) is not None


def redact(key: str, value: Any) -> Any:
    if _secret_key(key):
        return "[redacted]"
    if isinstance(value, str):
        return _URL_PASSWORD.sub(r"\1[redacted]@", value) if "://" in value else value
    if isinstance(value, dict):
        return {k: redact(str(k), v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(key, item) for item in value]
    return value


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": _URL_PASSWORD.sub(r"\1[redacted]@", record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = redact(key, value)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


#: Libraries that log every retry of a lost connection (aiokafka: ~100 lines a second per
#: consumer while the broker is down); their repeats are summarised by `RepeatFilter`.
CHATTY_LIBRARIES = ("aiokafka",)


@dataclass
class _Repeats:
    first: logging.LogRecord
    started: float
    last_seen: float
    last_written: float
    suppressed: int = 0
    total: int = 1


class RepeatFilter(logging.Filter):
    """Writes a repeated warning of a chatty library once when it starts, then at most one
    summary (`repeated`: how many since the last line) every `every` seconds, and one line
    when it has stopped for `every` seconds. A record repeats another when it comes from the
    same logger, level and message template."""

    def __init__(
        self,
        handler: logging.Handler,
        *,
        every: float = 30.0,
        loggers: tuple[str, ...] = CHATTY_LIBRARIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self._handler = handler
        self._every = every
        self._prefixes = tuple(f"{name}." for name in loggers)
        self._loggers = loggers
        self._clock = clock
        self._repeats: dict[tuple[str, int, str], _Repeats] = {}
        self._lock = threading.Lock()
        self._sweeper: threading.Timer | None = None

    def _applies(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING and (
            record.name in self._loggers or record.name.startswith(self._prefixes)
        )

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._applies(record):
            return True
        key = (record.name, record.levelno, str(record.msg))
        now = self._clock()
        with self._lock:
            seen = self._repeats.get(key)
            if seen is None:
                self._repeats[key] = _Repeats(record, now, now, now)
                self._arm()
                return True
            seen.last_seen, seen.total = now, seen.total + 1
            if now - seen.last_written < self._every:
                seen.suppressed += 1
                return False
            record.repeated = seen.suppressed + 1
            record.repeating_for_s = round(now - seen.started, 1)
            seen.suppressed, seen.last_written = 0, now
            return True

    def _arm(self) -> None:
        if self._sweeper is None:
            self._sweeper = threading.Timer(self._every, self.sweep)
            self._sweeper.daemon = True
            self._sweeper.start()

    def sweep(self) -> None:
        """Writes the closing line of each repeat that has stopped (runs on a timer only while
        some repeat is open, so an idle service has no timer)."""
        now = self._clock()
        with self._lock:
            self._sweeper = None
            ended = [k for k, r in self._repeats.items() if now - r.last_seen >= self._every]
            closing = [self._repeats.pop(k) for k in ended]
            if self._repeats:
                self._arm()
        for repeats in closing:
            if repeats.total > 1:
                self._handler.handle(_closing_record(repeats))


def _closing_record(repeats: _Repeats) -> logging.LogRecord:
    first = repeats.first
    record = logging.LogRecord(
        first.name,
        logging.INFO,
        first.pathname,
        first.lineno,
        "stopped repeating: %s",
        (first.getMessage(),),
        None,
    )
    record.repeated = repeats.suppressed
    record.total = repeats.total
    record.lasted_s = round(repeats.last_seen - repeats.started, 1)
    return record


class OutageLog:
    """Logs an outage of `what` as one warning when it starts, a summary with the count of
    failures every `every` seconds while it lasts, and one line when it is over, instead of
    a line per retry."""

    def __init__(
        self,
        logger: logging.Logger,
        what: str,
        *,
        every: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._log = logger
        self._what = what
        self._every = every
        self._clock = clock
        self._since: float | None = None
        self._last_written = 0.0
        self._failures = 0

    @property
    def ongoing(self) -> bool:
        return self._since is not None

    def failed(self, error: BaseException, **extra: Any) -> None:
        now = self._clock()
        self._failures += 1
        if self._since is None:
            self._since = self._last_written = now
            self._log.warning(f"{self._what} unavailable", extra={"error": repr(error), **extra})
        elif now - self._last_written >= self._every:
            self._last_written = now
            self._log.warning(
                f"{self._what} still unavailable",
                extra={
                    "error": repr(error),
                    "failures": self._failures,
                    "for_s": round(now - self._since, 1),
                    **extra,
                },
            )

    def recovered(self) -> None:
        if self._since is None:
            return
        self._log.info(
            f"{self._what} recovered",
            extra={"failures": self._failures, "after_s": round(self._clock() - self._since, 1)},
        )
        self._since, self._failures = None, 0


def configure_logging(
    service: str, *, level: str = "INFO", json: bool = True, repeat_every: float = 30.0
) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if json:
        handler.setFormatter(JsonFormatter(service))
    else:
        handler.setFormatter(logging.Formatter(f"%(asctime)s {service} %(levelname)s %(message)s"))
    handler.addFilter(RepeatFilter(handler, every=repeat_every))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn installs its own plain-text handlers before importing the app: route its lines
    # through ours so that every line a service writes is one JSON object.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        server_logger = logging.getLogger(name)
        server_logger.handlers.clear()
        server_logger.propagate = True
    # Per-request access lines would dominate the output at webhook rates; metrics cover them.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    # httpx logs every request's full URL at INFO: some provider paths carry a token (HubSpot's
    # token introspection), and crm_push keeps every call, redacted, in its push log anyway.
    logging.getLogger("httpx").setLevel(logging.WARNING)
