"""Associations: v4 default and labelled PUT, v4 list, v3 batch create with a label (§1.3e).

The v4 batches are in `association_batch`."""

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from dealflow_emulators.common import Collection, Record, iso_ms, utc_now
from dealflow_emulators.hubspot import links
from dealflow_emulators.hubspot.auth import authenticate, hubspot
from dealflow_emulators.hubspot.emulator import HubSpot
from dealflow_emulators.hubspot.envelope import batch_response
from dealflow_emulators.hubspot.errors import not_found, validation
from dealflow_emulators.hubspot.paging import offset_of, page
from dealflow_emulators.hubspot.records import live
from dealflow_emulators.hubspot.schema import LABELS, OBJECT_TYPE_IDS, SCOPE_FAMILY

router = APIRouter()
MAX_PAGE = 500  # associations per page of the v4 list and per input of the v4 batch read


def _pair(
    request: Request, from_name: str, from_id: str, to_name: str, to_id: str | None
) -> tuple[HubSpot, str, str]:
    from_type, to_type = links.object_type(from_name), links.object_type(to_name)
    authenticate(request, f"{SCOPE_FAMILY[from_type]}.write")
    emulator = hubspot(request)
    for kind, key in ((from_type, from_id), (to_type, to_id)):
        if key is not None and live(emulator, kind, key) is None:
            raise not_found()
    return emulator, from_type, to_type


def associate_by_default(
    store: Collection, from_type: str, from_id: str, to_type: str, to_id: str
) -> list[dict[str, Any]]:
    """Link a pair with its default type; the results name both directions, as HubSpot's do."""
    forward = links.link(store, from_type, from_id, to_type, to_id)
    backward = links.linked(store, to_type, to_id, from_type)
    return [
        {"from": {"id": from_id}, "to": {"id": to_id}, "associationSpec": forward[0]},
        *(
            {"from": {"id": to_id}, "to": {"id": from_id}, "associationSpec": s}
            for link in backward
            if link["toObjectId"] == from_id
            for s in link["types"][:1]
        ),
    ]


def associated(store: Collection, from_type: str, from_id: str, to_type: str) -> list[Record]:
    """One record's associations towards a type, as v4 answers them (`toObjectId` a number;
    labels of HubSpot's own types are null)."""
    return [
        {
            "toObjectId": int(link["toObjectId"]),
            "associationTypes": [
                {
                    "category": t["associationCategory"],
                    "typeId": t["associationTypeId"],
                    "label": None,
                }
                for t in link["types"]
            ],
        }
        for link in links.linked(store, from_type, from_id, to_type)
    ]


@router.put("/crm/v4/objects/{from_type}/{from_id}/associations/default/{to_type}/{to_id}")
async def associate_default(
    from_type: str, from_id: str, to_type: str, to_id: str, request: Request
) -> JSONResponse:
    emulator, from_kind, to_kind = _pair(request, from_type, from_id, to_type, to_id)
    started = iso_ms(utc_now())
    results = associate_by_default(
        emulator.store["associations"], from_kind, from_id, to_kind, to_id
    )
    return batch_response(results, started)


@router.put("/crm/v4/objects/{from_type}/{from_id}/associations/{to_type}/{to_id}")
async def associate_labelled(
    from_type: str,
    from_id: str,
    to_type: str,
    to_id: str,
    specs: list[dict[str, Any]],
    request: Request,
) -> JSONResponse:
    emulator, from_kind, to_kind = _pair(request, from_type, from_id, to_type, to_id)
    if not specs:
        raise validation("at least one association spec is required")
    types = links.link(emulator.store["associations"], from_kind, from_id, to_kind, to_id, specs)
    labels = [
        links.label_of(t["associationTypeId"])
        for t in types
        if t["associationCategory"] != "HUBSPOT_DEFINED"
    ]
    return JSONResponse(
        {
            "fromObjectTypeId": OBJECT_TYPE_IDS[from_kind],
            "fromObjectId": int(from_id),
            "toObjectTypeId": OBJECT_TYPE_IDS[to_kind],
            "toObjectId": int(to_id),
            "labels": labels,
        },
        status_code=201,
    )


@router.get("/crm/v4/objects/{from_type}/{from_id}/associations/{to_type}")
async def list_associations(
    from_type: str,
    from_id: str,
    to_type: str,
    request: Request,
    after: str | None = None,
    limit: int = Query(default=MAX_PAGE, ge=1, le=MAX_PAGE),
) -> dict[str, Any]:
    from_kind, to_kind = links.object_type(from_type), links.object_type(to_type)
    authenticate(request, f"{SCOPE_FAMILY[from_kind]}.read")
    found = associated(hubspot(request).store["associations"], from_kind, from_id, to_kind)
    return page(found, offset_of(after), limit, request)


@router.post("/crm/v3/associations/{from_type}/{to_type}/batch/create")
async def v3_batch_create(
    from_type: str, to_type: str, body: dict[str, Any], request: Request
) -> JSONResponse:
    """The legacy batch Cal.com still uses: `type` is a label such as
    `meeting_event_to_contact`; 201, or 207 with the failed inputs in `errors`."""
    from_kind, to_kind = links.object_type(from_type), links.object_type(to_type)
    authenticate(request, f"{SCOPE_FAMILY[from_kind]}.write")
    emulator = hubspot(request)
    started = iso_ms(utc_now())
    results: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for item in body.get("inputs", []):
        label = str(item.get("type", ""))
        from_id = str((item.get("from") or {}).get("id", ""))
        to_id = str((item.get("to") or {}).get("id", ""))
        type_id = LABELS.get(label)
        missing = [
            key
            for kind, key in ((from_kind, from_id), (to_kind, to_id))
            if live(emulator, kind, key) is None
        ]
        if type_id is None or missing:
            errors.append(
                {
                    "status": "error",
                    "category": "VALIDATION_ERROR",
                    "message": f"unknown association type {label}"
                    if type_id is None
                    else f"No object with id {missing[0]}",
                    "context": {"type": [label]},
                }
            )
            continue
        links.link(
            emulator.store["associations"], from_kind, from_id, to_kind, to_id,
            [links.spec(type_id)],
        )  # fmt: skip
        results.append({"from": {"id": from_id}, "to": {"id": to_id}, "type": label})
    return batch_response(results, started, errors, status=201)
