"""v4 association batches (§1.3): read many records' associations, associate many pairs by
default. Both answer in HubSpot's batch shape; the default one shares the single PUT's results."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from dealflow_emulators.common import iso_ms, utc_now
from dealflow_emulators.hubspot import links
from dealflow_emulators.hubspot.associations import MAX_PAGE, associate_by_default, associated
from dealflow_emulators.hubspot.auth import authenticate, hubspot
from dealflow_emulators.hubspot.envelope import batch_response
from dealflow_emulators.hubspot.errors import validation
from dealflow_emulators.hubspot.paging import offset_of, page
from dealflow_emulators.hubspot.records import live
from dealflow_emulators.hubspot.schema import SCOPE_FAMILY, SINGULAR

router = APIRouter(prefix="/crm/v4/associations/{from_type}/{to_type}/batch")
MAX_READ_INPUTS, MAX_ASSOCIATE_INPUTS = 1000, 100


class ObjectId(BaseModel):
    id: str


class ReadInput(BaseModel):
    id: str
    after: str | None = None


class BatchRead(BaseModel):
    inputs: list[ReadInput] = Field(min_length=1, max_length=MAX_READ_INPUTS)


class Pair(BaseModel):
    from_: ObjectId = Field(alias="from")
    to: ObjectId


class BatchAssociateDefault(BaseModel):
    inputs: list[Pair] = Field(min_length=1, max_length=MAX_ASSOCIATE_INPUTS)


def _kinds(request: Request, from_type: str, to_type: str, access: str) -> tuple[str, str]:
    """Both object types, once the caller may `access` (read|write) the first."""
    from_kind, to_kind = links.object_type(from_type), links.object_type(to_type)
    authenticate(request, f"{SCOPE_FAMILY[from_kind]}.{access}")
    return from_kind, to_kind


@router.post("/read")
async def batch_read(
    from_type: str, to_type: str, body: BatchRead, request: Request
) -> JSONResponse:
    from_kind, to_kind = _kinds(request, from_type, to_type, "read")
    store = hubspot(request).store["associations"]
    started = iso_ms(utc_now())
    results, errors = [], []
    for item in body.inputs:
        found = associated(store, from_kind, item.id, to_kind)
        if not found:
            # An unknown id gets the same error: HubSpot does not tell the two apart.
            errors.append(_none_associated(from_kind, item.id, to_kind))
            continue
        one_page = page(found, offset_of(item.after), MAX_PAGE)
        results.append({"from": {"id": item.id}, "to": one_page.pop("results"), **one_page})
    return batch_response(results, started, errors)


def _none_associated(from_kind: str, from_id: str, to_kind: str) -> dict[str, Any]:
    return {
        "status": "error",
        "category": "OBJECT_NOT_FOUND",
        "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
        "message": f"No {SINGULAR[to_kind]} is associated with {SINGULAR[from_kind]} {from_id}.",
        "context": {
            "fromObjectId": [from_id],
            "fromObjectType": [SINGULAR[from_kind]],
            "toObjectType": [SINGULAR[to_kind]],
        },
    }


@router.post("/associate/default")
async def batch_associate_default(
    from_type: str, to_type: str, body: BatchAssociateDefault, request: Request
) -> JSONResponse:
    from_kind, to_kind = _kinds(request, from_type, to_type, "write")
    emulator = hubspot(request)
    links.default_specs(from_kind, to_kind)
    # Every pair is checked before any is linked: one missing record refuses the batch.
    for item in body.inputs:
        for kind, key in ((from_kind, item.from_.id), (to_kind, item.to.id)):
            if live(emulator, kind, key) is None:
                raise validation(f"{SINGULAR[kind].capitalize()} {key} does not exist")
    started = iso_ms(utc_now())
    store = emulator.store["associations"]
    results = [
        result
        for item in body.inputs
        for result in associate_by_default(store, from_kind, item.from_.id, to_kind, item.to.id)
    ]
    return batch_response(results, started)
