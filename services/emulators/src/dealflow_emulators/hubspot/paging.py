"""Forward paging (§1.6): `after` is an offset cursor; `paging.next` only when more remain."""

from typing import Any

from fastapi import Request

from dealflow_emulators.hubspot.errors import validation


def offset_of(after: Any) -> int:
    """`after` as HubSpot clients send it: a number or a numeric string (§1.3a)."""
    if after in (None, ""):
        return 0
    try:
        value = int(str(after))
    except ValueError:
        raise validation(f"Invalid after cursor: {after}") from None
    if value < 0:
        raise validation(f"Invalid after cursor: {after}")
    return value


def page(
    items: list[Any], offset: int, limit: int, request: Request | None = None
) -> dict[str, Any]:
    chosen = items[offset : offset + limit]
    answer: dict[str, Any] = {"results": chosen}
    if offset + limit < len(items):
        nxt: dict[str, Any] = {"after": str(offset + limit)}
        if request is not None:
            nxt["link"] = str(request.url.include_query_params(after=offset + limit))
        answer["paging"] = {"next": nxt}
    return answer
