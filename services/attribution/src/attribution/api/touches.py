"""Touch intake: a batch in, one result per item (a bad item never fails the others)."""

from enum import StrEnum
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from attribution.api.deps import Ctx, RequestId, Tenant
from attribution.use_cases import TouchStatus, record_touches
from dealflow_schemas.attribution import MAX_TOUCHES_PER_BATCH, TouchIn

router = APIRouter(prefix="/v1/touches", tags=["touches"])

_ITEM: TypeAdapter[TouchIn] = TypeAdapter(TouchIn)


class TouchBatch(BaseModel):
    touches: list[Any] = Field(
        min_length=1,
        max_length=MAX_TOUCHES_PER_BATCH,
        description="Touches as `TouchIn` objects; each is checked on its own.",
    )


class ItemStatus(StrEnum):
    CREATED = "created"
    DUPLICATE = "duplicate"
    ERROR = "error"


class ItemResult(BaseModel):
    index: int
    touch_id: str | None = None
    status: ItemStatus
    channel: str | None = Field(default=None, description="The channel of a created touch.")
    rule_version: int | None = Field(default=None, description="Rules that classified it.")
    error: str | None = Field(default=None, description="Which field is wrong and why.")


class BatchResult(BaseModel):
    created: int
    duplicates: int
    errors: int
    results: list[ItemResult]


def problem(error: ValidationError) -> str:
    """Each problem as `field: message` (fields as dotted paths), e.g. `occurred_at: ...`."""
    parts = []
    for found in error.errors(include_url=False, include_input=False):
        field = ".".join(str(step) for step in found["loc"]) or "touch"
        parts.append(f"{field}: {found['msg']}")
    return "; ".join(parts)


@router.post("", response_model=BatchResult)
async def post_touches(
    body: TouchBatch, tenant: Tenant, ctx: Ctx, request_id: RequestId
) -> BatchResult:
    """Records up to 1,000 touches, idempotent on each `touch_id` per tenant. A new touch inside
    a closed deal's window (its account, at or before the close, within the lookback) attributes
    the deal again before the answer."""
    results: list[ItemResult | None] = [None] * len(body.touches)
    valid: list[tuple[int, TouchIn]] = []
    for index, raw in enumerate(body.touches):
        try:
            valid.append((index, _ITEM.validate_python(raw)))
        except ValidationError as error:
            touch_id = raw.get("touch_id") if isinstance(raw, dict) else None
            results[index] = ItemResult(
                index=index,
                touch_id=touch_id if isinstance(touch_id, str) else None,
                status=ItemStatus.ERROR,
                error=problem(error),
            )
    outcomes = await record_touches(
        ctx.uow(), tenant, [item for _, item in valid], "api", caused_by=request_id
    )
    for (index, _), outcome in zip(valid, outcomes, strict=True):
        found = outcome.touch.classification
        created = outcome.status is TouchStatus.CREATED
        results[index] = ItemResult(
            index=index,
            touch_id=outcome.touch.touch.touch_id,
            status=ItemStatus(outcome.status.value),
            channel=found.channel if created else None,
            rule_version=found.rule_version if created else None,
        )
    done = [r for r in results if r is not None]
    return BatchResult(
        created=sum(r.status is ItemStatus.CREATED for r in done),
        duplicates=sum(r.status is ItemStatus.DUPLICATE for r in done),
        errors=sum(r.status is ItemStatus.ERROR for r in done),
        results=done,
    )
