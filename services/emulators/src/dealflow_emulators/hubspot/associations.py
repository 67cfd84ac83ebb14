"""Associations: v4 default and labelled PUT, v4 list, v3 batch create with a label (§1.3e)."""

from typing import Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from dealflow_emulators.common import iso_ms, utc_now
from dealflow_emulators.hubspot import links
from dealflow_emulators.hubspot.auth import authenticate, hubspot
from dealflow_emulators.hubspot.emulator import HubSpot
from dealflow_emulators.hubspot.errors import not_found, validation
from dealflow_emulators.hubspot.paging import offset_of, page
from dealflow_emulators.hubspot.schema import LABELS, OBJECT_TYPE_IDS, SCOPE_FAMILY

router = APIRouter()


def _pair(
    request: Request, from_name: str, from_id: str, to_name: str, to_id: str | None
) -> tuple[HubSpot, str, str]:
    from_type, to_type = links.object_type(from_name), links.object_type(to_name)
    authenticate(request, f"{SCOPE_FAMILY[from_type]}.write")
    emulator = hubspot(request)
    for kind, key in ((from_type, from_id), (to_type, to_id)):
        if key is None:
            continue
        record = emulator.store[kind].get(key)
        if record is None or record["archived"]:
            raise not_found()
    return emulator, from_type, to_type


@router.put("/crm/v4/objects/{from_type}/{from_id}/associations/default/{to_type}/{to_id}")
async def associate_default(
    from_type: str, from_id: str, to_type: str, to_id: str, request: Request
) -> dict[str, Any]:
    emulator, from_kind, to_kind = _pair(request, from_type, from_id, to_type, to_id)
    started = iso_ms(utc_now())
    store = emulator.store["associations"]
    forward = links.link(store, from_kind, from_id, to_kind, to_id)
    backward = links.linked(store, to_kind, to_id, from_kind)
    results = [
        {"from": {"id": from_id}, "to": {"id": to_id}, "associationSpec": forward[0]},
        *(
            {"from": {"id": to_id}, "to": {"id": from_id}, "associationSpec": s}
            for link in backward
            if link["toObjectId"] == from_id
            for s in link["types"][:1]
        ),
    ]
    return {
        "status": "COMPLETE",
        "results": results,
        "startedAt": started,
        "completedAt": iso_ms(utc_now()),
    }


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
    limit: int = Query(default=500, ge=1, le=500),
) -> dict[str, Any]:
    from_kind, to_kind = links.object_type(from_type), links.object_type(to_type)
    authenticate(request, f"{SCOPE_FAMILY[from_kind]}.read")
    found = links.linked(hubspot(request).store["associations"], from_kind, from_id, to_kind)
    results = [
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
        for link in found
    ]
    return page(results, offset_of(after), limit, request)


@router.post("/crm/v3/associations/{from_type}/{to_type}/batch/create")
async def v3_batch_create(
    from_type: str, to_type: str, body: dict[str, Any], request: Request
) -> Response:
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
            if (emulator.store[kind].get(key) or {"archived": True})["archived"]
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
    answer: dict[str, Any] = {
        "status": "COMPLETE",
        "results": results,
        "startedAt": started,
        "completedAt": iso_ms(utc_now()),
    }
    if errors:
        answer |= {"errors": errors, "numErrors": len(errors)}
    return JSONResponse(answer, status_code=207 if errors else 201)
