"""Batch reads, creates and upserts (§1.3): `POST /crm/v3/objects/{type}/batch/read|create|upsert`.

Upsert is how a client pushes many contacts at once without searching first: each input
names its record by a unique property (contacts: `email`), which is updated when it exists
and created otherwise. Create pushes many new records (meetings with their associations)
in one call, all or nothing.
"""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from dealflow_emulators.common import Record, iso_ms, utc_now
from dealflow_emulators.hubspot.envelope import batch_response
from dealflow_emulators.hubspot.errors import HubSpotError, validation
from dealflow_emulators.hubspot.objects import (
    CheckedCreate,
    CreateBody,
    check_create,
    check_update,
    crm_type,
    find_record,
    write_create,
    write_update,
)
from dealflow_emulators.hubspot.records import shown
from dealflow_emulators.hubspot.schema import SINGULAR

router = APIRouter(prefix="/crm/v3/objects")
MAX_INPUTS = 100


class ReadInput(BaseModel):
    id: str


class BatchRead(BaseModel):
    model_config = ConfigDict(extra="ignore")
    inputs: list[ReadInput] = Field(max_length=MAX_INPUTS)
    properties: list[str] | None = None
    idProperty: str | None = None


class CreateInput(CreateBody):
    objectWriteTraceId: str | None = None


class BatchCreate(BaseModel):
    inputs: list[CreateInput] = Field(min_length=1, max_length=MAX_INPUTS)


class UpsertInput(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
    idProperty: str
    properties: dict[str, Any] = Field(default_factory=dict)


class BatchUpsert(BaseModel):
    inputs: list[UpsertInput] = Field(min_length=1, max_length=MAX_INPUTS)


@router.post("/{object_type}/batch/read")
async def batch_read(object_type: str, body: BatchRead, request: Request) -> JSONResponse:
    emulator, kind, _ = crm_type(request, object_type, "read")
    started = iso_ms(utc_now())
    results, missing = [], []
    for item in body.inputs:
        try:
            record = find_record(emulator, kind, item.id, body.idProperty)
        except HubSpotError:
            missing.append(item.id)
            continue
        if record["archived"]:
            missing.append(item.id)
        else:
            results.append(shown(kind, record, body.properties))
    errors = []
    if missing:
        errors.append(
            {
                "status": "error",
                "category": "OBJECT_NOT_FOUND",
                "message": f"Could not get some {SINGULAR[kind].upper()} objects, they may be "
                "deleted or not exist. Check that ids are valid.",
                "context": {"ids": missing},
            }
        )
    return batch_response(results, started, errors)


@router.post("/{object_type}/batch/upsert")
async def batch_upsert(object_type: str, body: BatchUpsert, request: Request) -> JSONResponse:
    emulator, kind, _ = crm_type(request, object_type, "write")
    ids = [item.id.lower() for item in body.inputs]
    if len(set(ids)) != len(ids):
        raise validation("Duplicate IDs found in batch input")
    # Every input is checked before any is written: the first problem refuses the whole batch.
    plan: list[tuple[Record | None, CheckedCreate | dict[str, str]]] = []
    for item in body.inputs:
        if kind != "contacts" or item.idProperty != "email":
            raise validation(f"{item.idProperty} is not a unique property of {kind}")
        try:
            existing: Record | None = find_record(emulator, kind, item.id, item.idProperty)
        except HubSpotError:
            existing = None
        if existing is not None and not existing["archived"]:
            plan.append((existing, check_update(emulator, kind, existing, item.properties)))
        else:
            raw = {**item.properties, "email": item.id}
            plan.append((None, check_create(emulator, kind, raw)))
    started = iso_ms(utc_now())
    results = []
    for existing, checked in plan:
        if existing is None:
            assert isinstance(checked, CheckedCreate)
            record = write_create(emulator, kind, checked)
        else:
            assert isinstance(checked, dict)
            record = write_update(emulator, kind, existing, checked)
        results.append({**shown(kind, record, None, everything=True), "new": existing is None})
    return batch_response(results, started)


@router.post("/{object_type}/batch/create", status_code=201)
async def batch_create(object_type: str, body: BatchCreate, request: Request) -> JSONResponse:
    emulator, kind, _ = crm_type(request, object_type, "write")
    started = iso_ms(utc_now())
    # Every input passes before any is written: the first problem refuses the whole batch.
    checked: list[CheckedCreate] = []
    emails: set[str] = set()
    for item in body.inputs:
        plan = check_create(emulator, kind, item.properties, item.associations)
        email = plan.properties.get("email") if kind == "contacts" else None
        if email in emails:
            raise validation(f"Duplicate email found in batch input: {email}")
        if email:
            emails.add(email)
        checked.append(plan)
    results = []
    for item, plan in zip(body.inputs, checked, strict=True):
        answer = shown(kind, write_create(emulator, kind, plan), None, everything=True)
        if item.objectWriteTraceId is not None:
            answer["objectWriteTraceId"] = item.objectWriteTraceId
        results.append(answer)
    return batch_response(results, started, status=201)
