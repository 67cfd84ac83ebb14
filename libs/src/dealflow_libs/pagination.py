"""Opaque keyset cursors: (sort value, id) of the last row seen, base64url-encoded JSON."""

import base64
from typing import Any

import orjson

from dealflow_libs.http import ApiError


def encode_cursor(*values: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(values), default=str)).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = orjson.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, orjson.JSONDecodeError) as exc:
        raise ApiError(400, "invalid_cursor", "cursor is not one this API returned") from exc
    if not isinstance(values, list) or len(values) != arity:
        raise ApiError(400, "invalid_cursor", "cursor is not one this API returned")
    return values
