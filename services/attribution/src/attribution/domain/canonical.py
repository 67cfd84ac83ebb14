"""Canonical serialisation: the same value gives the same bytes in every process and machine."""

import hashlib
import json
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from functools import lru_cache
from typing import Any


def fraction_text(value: Fraction) -> str:
    """`"n/d"` in lowest terms (`"1/3"`, `"0/1"`): exact, unlike any decimal rendering."""
    return f"{_digits(value.numerator)}/{_digits(value.denominator)}"


#: Python refuses str() of an int over 4,300 digits (sys.get_int_max_str_digits), but a sum of
#: many deals' exact shares (time_decay's powers of two) goes past that: split it in halves.
_SHORT = 4_000


def _digits(number: int) -> str:
    """The integer in decimal, however long."""
    if number < 0:
        return "-" + _digits(-number)
    if number.bit_length() < _SHORT * 3:  # under 3,612 digits: str() takes it
        return str(number)
    half = number.bit_length() * 3 // 20  # about half its decimal digits
    high, low = divmod(number, 10**half)
    return _digits(high) + _digits(low).rjust(half, "0")


@lru_cache(maxsize=65_536)
def utc_text(moment: datetime) -> str:
    """ISO 8601 in UTC with microseconds, so equal instants in any zone give equal text.
    Cached: a recompute writes each touch's time into every model's run (equal instants in
    other zones hash alike, but the result depends only on the instant)."""
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
