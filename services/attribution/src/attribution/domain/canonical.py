"""Canonical serialisation: the same value gives the same bytes in every process and machine."""

import hashlib
import json
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any


def fraction_text(value: Fraction) -> str:
    """`"n/d"` in lowest terms (`"1/3"`, `"0/1"`): exact, unlike any decimal rendering."""
    return f"{value.numerator}/{value.denominator}"


def utc_text(moment: datetime) -> str:
    """ISO 8601 in UTC with microseconds, so equal instants in any zone give equal text."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def epoch_us(moment: datetime) -> int:
    """Microseconds since 1970-01-01 UTC: the instant, exactly, whatever the time zone."""
    return (moment - _EPOCH) // _MICROSECOND


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8; callers convert Fractions and datetimes first."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def sha256_of(value: Any) -> str:
    return hashlib.sha256(canonical_json(value)).hexdigest()
