"""`/crm/v3/owners/` (with or without the trailing slash; `email` filter) (§1.3g)."""

from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from dealflow_emulators.hubspot.auth import hubspot, requires
from dealflow_emulators.hubspot.errors import not_found
from dealflow_emulators.hubspot.paging import offset_of, page

router = APIRouter(
    prefix="/crm/v3/owners", dependencies=[Depends(requires("crm.objects.owners.read"))]
)


@router.get("/")
@router.get("", include_in_schema=False)
async def list_owners(
    request: Request,
    email: str | None = None,
    after: str | None = None,
    limit: int = Query(default=100, ge=1, le=500),
    archived: bool = False,
) -> dict[str, Any]:
    owners = [
        o
        for o in hubspot(request).store["owners"]
        if o["archived"] == archived
        and (email is None or (o.get("email") or "").lower() == email.lower())
    ]
    return page(owners, offset_of(after), limit, request)


@router.get("/{owner_id}")
async def get_owner(
    owner_id: str,
    request: Request,
    idProperty: str = "id",
    archived: bool = False,
) -> dict[str, Any]:
    for owner in hubspot(request).store["owners"]:
        key = str(owner["userId"]) if idProperty == "userId" else owner["id"]
        if key == owner_id and owner["archived"] == archived:
            return owner
    raise not_found()
