"""Opaque keyset cursors: (sort value, id) of the last row seen, base64url-encoded JSON."""

import base64
import uuid
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar, overload

import orjson
from sqlalchemy import ColumnElement, Select, and_, or_

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


K = TypeVar("K")


class Identified(Protocol):
    @property
    def id(self) -> uuid.UUID: ...


R = TypeVar("R", bound=Identified)


Id = TypeVar("Id")


@overload
def after_cursor(cursor: str | None, parse: Callable[[str], K]) -> tuple[K, uuid.UUID] | None: ...
@overload
def after_cursor(
    cursor: str | None, parse: Callable[[str], K], parse_id: Callable[[Any], Id]
) -> tuple[K, Id] | None: ...
def after_cursor(
    cursor: str | None, parse: Callable[[str], K], parse_id: Callable[[Any], Any] = uuid.UUID
) -> tuple[K, Any] | None:
    """The (sort value, id) a page continues after (ids are UUIDs unless `parse_id` says); a
    cursor that does not parse is a 400."""
    if not cursor:
        return None
    sort_value, last_id = decode_cursor(cursor, 2)
    try:
        return parse(sort_value), parse_id(last_id)
    except (TypeError, ValueError, AttributeError) as exc:
        raise ApiError(400, "invalid_cursor", "cursor is not one this API returned") from exc


def page_of(
    rows: Sequence[R], limit: int, sort_value: Callable[[R], str]
) -> tuple[list[R], str | None]:
    """Rows were fetched with limit + 1: the page, and the cursor to the next one if any."""
    page = list(rows[:limit])
    if len(rows) <= limit:
        return page, None
    return page, encode_cursor(sort_value(page[-1]), str(page[-1].id))


S = TypeVar("S", bound=Select[Any])


def keyset_page(
    query: S,
    sort: ColumnElement[K],
    key: ColumnElement[Id],
    after: tuple[K, Id] | None,
    limit: int,
    *,
    newest_first: bool = True,
) -> S:
    """`query` ordered by (sort, key), continued after the cursor's (sort value, id), limited.

    The cursor's bound on `sort` is stated alone as well as inside the OR that breaks ties on
    `key`: alone it is an index condition of an index ending (..., sort, key), so a deep page
    starts at the cursor; the OR by itself would be a filter over every row before it.
    """
    if after is not None:
        at, last = after
        if newest_first:
            query = query.where(sort <= at, or_(sort < at, and_(sort == at, key < last)))
        else:
            query = query.where(sort >= at, or_(sort > at, and_(sort == at, key > last)))
    order = (sort.desc(), key.desc()) if newest_first else (sort.asc(), key.asc())
    return query.order_by(*order).limit(limit)
