"""Error kinds that decide what a consumer does with a failing record."""

import asyncio

import asyncpg
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from dealflow_libs.cloudevents import EnvelopeError
from dealflow_libs.secretbox import SecretBoxError


class PermanentError(Exception):
    """The record can never be processed as it is (bad contract, rule violation): dead-letter it."""


_TRANSIENT_PG = (
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.SerializationError,
    asyncpg.DeadlockDetectedError,
)

#: What asyncpg's InterfaceError says when the connection or pool went away. Any other
#: InterfaceError is our own bug (more than 32,767 bind parameters, a second query on a busy
#: connection): retrying the same request cannot succeed, so it must not answer 503.
_GONE = ("connection is closed", "pool is closing", "pool is closed")


def is_permanent(exc: BaseException) -> bool:
    return isinstance(exc, PermanentError | ValidationError | EnvelopeError)


def is_transient(exc: BaseException) -> bool:
    """Infrastructure hiccups: the same record will succeed once the database or broker is back."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, SecretBoxError):
        # A stored credential that the key ring cannot open: an operator fixes the ring
        # (DEALFLOW_SECRET_KEYS), then the same request or record succeeds.
        return True
    if isinstance(exc, OperationalError | PoolTimeoutError):
        return True
    if isinstance(exc, DBAPIError) and isinstance(exc.orig, Exception):
        cause = getattr(exc.orig, "__cause__", None) or exc.orig
        return isinstance(cause, _TRANSIENT_PG) or _connection_gone(cause)
    if _connection_gone(exc):
        return True
    return isinstance(
        exc,
        (
            OSError,
            TimeoutError,
            asyncio.TimeoutError,
            KafkaConnectionError,
            KafkaTimeoutError,
            _TRANSIENT_PG,
        ),
    )


def _connection_gone(exc: BaseException) -> bool:
    return isinstance(exc, asyncpg.InterfaceError | InterfaceError) and any(
        words in str(exc) for words in _GONE
    )
