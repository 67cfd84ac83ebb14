"""`/crm/v3/objects/{type}` for contacts, companies, deals and meetings (§1.2, §1.3)."""

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from dealflow_emulators.common import Record, iso_ms, utc_now
from dealflow_emulators.hubspot import links
from dealflow_emulators.hubspot.auth import authenticate, hubspot
from dealflow_emulators.hubspot.emulator import MARKER, HubSpot
from dealflow_emulators.hubspot.errors import HubSpotError, not_found, validation
from dealflow_emulators.hubspot.paging import offset_of, page
from dealflow_emulators.hubspot.records import (
    check_properties,
    live,
    new_record,
    shown,
    touch,
    wire_value,
)
from dealflow_emulators.hubspot.schema import ASSOCIATION_TYPES, QUERY_PROPERTIES, SCOPE_FAMILY
from dealflow_emulators.hubspot.search import FilterGroup, SearchRequest, matches, sort

router = APIRouter(prefix="/crm/v3/objects")


class AssociationTarget(BaseModel):
    id: str


class AssociationInput(BaseModel):
    to: AssociationTarget
    types: list[dict[str, Any]] = Field(min_length=1)


class CreateBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    properties: dict[str, Any]
    associations: list[AssociationInput] = Field(default_factory=list)


class UpdateBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    properties: dict[str, Any]


def crm_type(request: Request, name: str, access: str) -> tuple[HubSpot, str, str]:
    """(emulator, object type, token) once the caller may `access` (read|write) the type."""
    object_type = links.object_type(name)
    token = authenticate(request, f"{SCOPE_FAMILY[object_type]}.{access}")
    return hubspot(request), object_type, token


def _split(value: str | None) -> list[str] | None:
    return [p for p in value.split(",") if p] if value else None


def find_record(emulator: HubSpot, object_type: str, key: str, id_property: str | None) -> Record:
    collection = emulator.store[object_type]
    if id_property in (None, "", "hs_object_id"):
        record = collection.get(key)
    elif object_type == "contacts" and id_property == "email":
        record = collection.find("email", key.lower())
    else:
        raise validation(f"{id_property} is not a unique identifier property of {object_type}")
    if record is None:
        raise not_found()
    return record


def _with_associations(
    emulator: HubSpot, object_type: str, record: Record, answer: Record, to_types: list[str]
) -> Record:
    found: dict[str, Any] = {}
    for to_name in to_types:
        to_type = links.object_type(to_name)
        found_links = links.linked(
            emulator.store["associations"], object_type, record["id"], to_type
        )
        results = [
            {"id": link["toObjectId"], "type": links.label_of(t["associationTypeId"])}
            for link in found_links
            for t in link["types"]
        ]
        if results:
            found[to_type] = {"results": results}
    if found:
        answer["associations"] = found
    return answer


@router.post("/{object_type}/search")
async def search(object_type: str, body: SearchRequest, request: Request) -> dict[str, Any]:
    emulator, kind, token = crm_type(request, object_type, "read")
    emulator.check_search_rate(token)
    body.check_limits()
    candidates = [
        r
        for r in _narrowed(emulator, kind, body)
        if not r["archived"]
        and emulator.searchable(kind, r["id"])
        and matches(r, body, QUERY_PROPERTIES[kind])
    ]
    ordered = sort(candidates, body.sorts)
    answer = page(ordered, offset_of(body.after), body.limit)
    answer["results"] = [shown(kind, r, body.properties) for r in answer["results"]]
    return {"total": len(ordered), **answer}


#: Properties a search finds by index rather than a scan: (type, property) -> (index, unique).
_INDEXED = {
    ("contacts", "email"): ("email", True),
    ("companies", "domain"): ("domain", False),
    ("deals", MARKER): (MARKER, False),
    ("meetings", MARKER): (MARKER, False),
}


def _narrowed(emulator: HubSpot, kind: str, body: SearchRequest) -> list[Record]:
    """The records a search can match: when every group pins an indexed property with EQ or
    IN (a contact's email, a company's domain: the lookups every push makes), the index gives
    them without a scan; `matches` still checks each against the whole search."""
    collection = emulator.store[kind]
    if not body.filterGroups:
        return collection.values()
    found: dict[str, Record] = {}
    for group in body.filterGroups:
        pinned = _pinned_keys(kind, group)
        if pinned is None:
            return collection.values()
        (index, unique), keys = pinned
        for key in keys:
            if unique:
                record = collection.find(index, key)
                records = [] if record is None else [record]
            else:
                records = collection.find_all(index, key)
            found.update((r["id"], r) for r in records)
    return list(found.values())


def _pinned_keys(kind: str, group: FilterGroup) -> tuple[tuple[str, bool], list[str]] | None:
    for flt in group.filters:
        index = _INDEXED.get((kind, flt.propertyName))
        operator = flt.operator.upper()
        if index is None:
            continue
        if operator == "EQ" and flt.value:
            return index, [str(flt.value).lower()]
        if operator == "IN" and flt.values:
            return index, [str(v).lower() for v in flt.values]
    return None


@router.post("/{object_type}", status_code=201)
async def create(object_type: str, body: CreateBody, request: Request) -> Record:
    emulator, kind, _ = crm_type(request, object_type, "write")
    record = create_record(emulator, kind, body.properties, body.associations)
    return shown(kind, record, None, everything=True)


@dataclass(frozen=True)
class CheckedCreate:
    """A create that passed every check: what `write_create` stores, as given."""

    properties: dict[str, str]
    associations: list[tuple[str, str, list[dict[str, Any]]]]


def check_create(
    emulator: HubSpot,
    kind: str,
    raw_properties: dict[str, Any],
    associations: list[AssociationInput] | None = None,
) -> CheckedCreate:
    """Everything a create is refused for, found before anything is written."""
    properties = {k: wire_value(v) for k, v in raw_properties.items()}
    check_properties(emulator, kind, properties, {})
    _check_email_free(emulator, kind, properties, None)
    return CheckedCreate(properties, _checked_associations(emulator, kind, associations or []))


def write_create(emulator: HubSpot, kind: str, checked: CheckedCreate) -> Record:
    collection = emulator.store[kind]
    record_id = str(collection.new_id())
    record = collection.put(record_id, new_record(kind, record_id, checked.properties))
    for to_type, to_id, specs in checked.associations:
        links.link(emulator.store["associations"], kind, record_id, to_type, to_id, specs)
    emulator.touched(kind, record_id)
    return record


def create_record(
    emulator: HubSpot,
    kind: str,
    raw_properties: dict[str, Any],
    associations: list[AssociationInput] | None = None,
) -> Record:
    """One record and its inline associations, all or nothing."""
    return write_create(emulator, kind, check_create(emulator, kind, raw_properties, associations))


def _check_email_free(
    emulator: HubSpot, kind: str, properties: dict[str, str], own_id: str | None
) -> None:
    email = properties.get("email") if kind == "contacts" else None
    other = emulator.store[kind].find("email", email) if email else None
    if other is not None and other["id"] != own_id:
        raise HubSpotError(409, "CONFLICT", f"Contact already exists. Existing ID: {other['id']}")


def _checked_associations(
    emulator: HubSpot, kind: str, inputs: list[AssociationInput]
) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """Inline associations, checked before anything is written (all or nothing)."""
    pending = []
    for item in inputs:
        type_id = int(item.types[0].get("associationTypeId", 0))
        known = ASSOCIATION_TYPES.get(type_id)
        if known is None or known[0] != kind:
            raise validation(f"associationTypeId {type_id} is not valid from {kind}")
        to_type = known[1]
        links.check_specs(kind, to_type, item.types)
        if live(emulator, to_type, item.to.id) is None:
            raise validation(
                f"One or more associations are invalid: {to_type} {item.to.id} does not exist"
            )
        pending.append((to_type, item.to.id, item.types))
    return pending


@router.get("/{object_type}")
async def list_objects(
    object_type: str,
    request: Request,
    limit: int = Query(default=10, ge=1, le=100),
    after: str | None = None,
    properties: str | None = None,
    associations: str | None = None,
    archived: bool = False,
) -> dict[str, Any]:
    emulator, kind, _ = crm_type(request, object_type, "read")
    records = [r for r in emulator.store[kind] if r["archived"] == archived]
    answer = page(records, offset_of(after), limit, request)
    requested, to_types = _split(properties), _split(associations) or []
    answer["results"] = [
        _with_associations(emulator, kind, r, shown(kind, r, requested), to_types)
        for r in answer["results"]
    ]
    return answer


@router.get("/{object_type}/{object_id}")
async def get_object(
    object_type: str,
    object_id: str,
    request: Request,
    idProperty: str | None = None,
    properties: str | None = None,
    associations: str | None = None,
    archived: bool = False,
) -> Record:
    emulator, kind, _ = crm_type(request, object_type, "read")
    record = find_record(emulator, kind, object_id, idProperty)
    if record["archived"] != archived:
        raise not_found()
    answer = shown(kind, record, _split(properties))
    return _with_associations(emulator, kind, record, answer, _split(associations) or [])


@router.patch("/{object_type}/{object_id}")
async def update(
    object_type: str,
    object_id: str,
    body: UpdateBody,
    request: Request,
    idProperty: str | None = None,
) -> Record:
    emulator, kind, _ = crm_type(request, object_type, "write")
    record = find_record(emulator, kind, object_id, idProperty)
    if record["archived"]:
        raise not_found()
    return shown(
        kind, update_record(emulator, kind, record, body.properties), None, everything=True
    )


def update_record(
    emulator: HubSpot, kind: str, record: Record, raw_properties: dict[str, Any]
) -> Record:
    return write_update(
        emulator, kind, record, check_update(emulator, kind, record, raw_properties)
    )


def check_update(
    emulator: HubSpot, kind: str, record: Record, raw_properties: dict[str, Any]
) -> dict[str, str]:
    """Everything an update is refused for, found before anything is written; the
    properties as they will be stored."""
    properties = {k: wire_value(v) for k, v in raw_properties.items()}
    check_properties(emulator, kind, properties, record["properties"])
    _check_email_free(emulator, kind, properties, record["id"])
    return properties


def write_update(
    emulator: HubSpot, kind: str, record: Record, properties: dict[str, str]
) -> Record:
    touch(kind, record, properties)
    emulator.store[kind].reindex(record["id"])
    emulator.touched(kind, record["id"])
    return record


@router.delete("/{object_type}/{object_id}", status_code=204)
async def archive(object_type: str, object_id: str, request: Request) -> Response:
    emulator, kind, _ = crm_type(request, object_type, "write")
    record = emulator.store[kind].get(object_id)
    if record is not None and not record["archived"]:
        stamp = iso_ms(utc_now())
        record.update(archived=True, archivedAt=stamp, updatedAt=stamp)
        if kind == "contacts":  # the email is free again, as after a real archive
            emulator.store[kind].put(record["id"], record)
        links.unlink_all(emulator.store["associations"], kind, record["id"])
    return Response(status_code=204)
