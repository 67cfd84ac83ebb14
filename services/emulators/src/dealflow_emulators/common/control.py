"""`/_emulator/*`: what tests and developers use to look at and steer an emulator."""

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError

from dealflow_emulators.common.emulator import Emulator, SeedError
from dealflow_emulators.common.faults import FaultKind, FaultSpec

router = APIRouter(prefix="/_emulator", tags=["emulator control"])


def emulator_of(request: Request) -> Emulator[Any]:
    emulator: Emulator[Any] = request.app.state.emulator
    return emulator


class ApiKeyBody(BaseModel):
    key: str


class ClockBody(BaseModel):
    advance_seconds: float


@router.get("/state")
async def state(request: Request) -> dict[str, Any]:
    """Every object held, per type, with counts; credential counts (never secrets); faults."""
    return emulator_of(request).state()


@router.post("/reset", status_code=204)
async def reset(request: Request) -> Response:
    """Back to the start: config, objects, credentials, faults, log; held requests let go."""
    emulator_of(request).reset()
    return Response(status_code=204)


@router.post("/faults", status_code=201)
async def add_fault(spec: FaultSpec, request: Request) -> dict[str, Any]:
    emulator = emulator_of(request)
    if spec.kind is FaultKind.EXPIRE_TOKENS:
        return {"kind": spec.kind.value, "affected": emulator.credentials.expire_all()}
    if spec.kind is FaultKind.REVOKE:
        return {"kind": spec.kind.value, "affected": emulator.credentials.revoke_all()}
    return emulator.faults.add(spec).describe()


@router.get("/faults")
async def list_faults(request: Request) -> dict[str, Any]:
    return {"faults": emulator_of(request).faults.describe()}


@router.delete("/faults", status_code=204)
async def clear_faults(request: Request) -> Response:
    emulator_of(request).faults.clear()
    return Response(status_code=204)


@router.get("/requests")
async def requests(
    request: Request,
    method: str | None = None,
    path_prefix: str | None = None,
    since_id: int = 0,
    status: int | None = None,
) -> dict[str, Any]:
    """Requests received (control calls excluded), oldest first, secrets redacted."""
    entries = emulator_of(request).requests.select(
        method=method, path_prefix=path_prefix, since_id=since_id, status=status
    )
    return {"count": len(entries), "requests": [e.as_dict() for e in entries]}


@router.delete("/requests", status_code=204)
async def clear_requests(request: Request) -> Response:
    emulator_of(request).requests.clear()
    return Response(status_code=204)


@router.get("/config")
async def get_config(request: Request) -> dict[str, Any]:
    return _shown(emulator_of(request))


@router.patch("/config")
async def patch_config(changes: dict[str, Any], request: Request) -> Any:
    emulator = emulator_of(request)
    try:
        emulator.update_config(changes)
    except ValidationError as exc:
        # The context of a custom check holds the exception itself: not JSON.
        detail = exc.errors(include_url=False, include_context=False)
        return JSONResponse({"detail": detail}, status_code=422)
    return _shown(emulator)


@router.post("/api-keys", status_code=201)
async def add_api_key(body: ApiKeyBody, request: Request) -> dict[str, Any]:
    """Accept a static key (again, if it was revoked)."""
    emulator_of(request).credentials.add_api_key(body.key, reinstate=True)
    return {"added": True}


@router.get("/clock")
async def clock(request: Request) -> dict[str, object]:
    return emulator_of(request).clock.describe()


@router.post("/clock")
async def advance_clock(body: ClockBody, request: Request) -> dict[str, object]:
    """Move the emulator's clock (what it measures windows and expiries with); reset puts it
    back to real time."""
    emulator = emulator_of(request)
    emulator.clock.advance(body.advance_seconds)
    return emulator.clock.describe()


@router.post("/seed/{object_type}", status_code=201)
async def seed(object_type: str, items: list[dict[str, Any]], request: Request) -> Any:
    """Add fixtures the provider's API cannot create (owners, users, pipelines)."""
    try:
        return {"results": emulator_of(request).seed_objects(object_type, items)}
    except SeedError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc


def _shown(emulator: Emulator[Any]) -> dict[str, Any]:
    """The config without secrets: the client secret and API keys are masked."""
    shown = emulator.config.model_dump()
    shown["client_secret"] = "[redacted]"  # noqa: S105 - a mask, not a secret
    shown["api_keys"] = [f"…{k[-4:]}" for k in shown["api_keys"]]
    for name in emulator.secret_config_fields:
        if shown.get(name) is not None:
            shown[name] = "[redacted]"
    return shown
