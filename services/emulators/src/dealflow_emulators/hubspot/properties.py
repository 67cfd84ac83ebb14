"""`/crm/v3/properties/{objectType}`: the standard properties and custom ones a client adds
(a UTM or attribution field must exist before a record can carry it, in strict mode)."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from dealflow_emulators.common import Record, iso_ms, utc_now
from dealflow_emulators.hubspot import links
from dealflow_emulators.hubspot.auth import authenticate, hubspot
from dealflow_emulators.hubspot.emulator import HubSpot
from dealflow_emulators.hubspot.errors import HubSpotError, not_found
from dealflow_emulators.hubspot.schema import STANDARD_PROPERTIES

router = APIRouter(prefix="/crm/v3/properties")


class PropertyCreate(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str
    label: str
    type: str = "string"
    fieldType: str = "text"
    groupName: str = "dealflow"
    description: str = ""


def _definition(object_type: str, name: str, *, custom: dict[str, Any] | None = None) -> Record:
    stamp = iso_ms(utc_now())
    base = {
        "name": name,
        "label": name,
        "type": "string",
        "fieldType": "text",
        "groupName": f"{links.object_type(object_type)[:-1]}information",
        "description": "",
        "hubspotDefined": custom is None,
        "createdAt": stamp,
        "updatedAt": stamp,
        "archived": False,
    }
    return {**base, **(custom or {}), "objectType": object_type}


def custom_properties(emulator: HubSpot, object_type: str) -> dict[str, Record]:
    return {p["name"]: p for p in emulator.store["properties"] if p["objectType"] == object_type}


def known_properties(emulator: HubSpot, object_type: str) -> set[str]:
    return set(STANDARD_PROPERTIES[object_type]) | set(custom_properties(emulator, object_type))


@router.get("/{object_type}")
async def list_properties(object_type: str, request: Request) -> dict[str, Any]:
    kind = links.object_type(object_type)
    authenticate(request, f"crm.schemas.{kind}.read")
    emulator = hubspot(request)
    standard = [_definition(kind, name) for name in sorted(STANDARD_PROPERTIES[kind])]
    return {"results": standard + list(custom_properties(emulator, kind).values())}


@router.get("/{object_type}/{name}")
async def get_property(object_type: str, name: str, request: Request) -> Record:
    kind = links.object_type(object_type)
    authenticate(request, f"crm.schemas.{kind}.read")
    custom = custom_properties(hubspot(request), kind)
    if name in custom:
        return custom[name]
    if name in STANDARD_PROPERTIES[kind]:
        return _definition(kind, name)
    raise not_found()


@router.post("/{object_type}", status_code=201)
async def create_property(object_type: str, body: PropertyCreate, request: Request) -> Any:
    kind = links.object_type(object_type)
    authenticate(request, f"crm.schemas.{kind}.write")
    emulator = hubspot(request)
    if body.name in known_properties(emulator, kind):
        raise HubSpotError(
            409, "OBJECT_ALREADY_EXISTS", f"A property named '{body.name}' already exists."
        )
    record = _definition(kind, body.name, custom=body.model_dump())
    emulator.store["properties"].put(f"{kind}:{body.name}", record)
    return JSONResponse(record, status_code=201)
