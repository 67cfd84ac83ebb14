"""`/emails...` (api-reference/emails) and the emulator's own `/_emulator/webhooks`."""

import uuid
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from dealflow_emulators.common import Record, iso_ms
from dealflow_emulators.resend.emails import public_view
from dealflow_emulators.resend.errors import ResendError, not_found, validation
from dealflow_emulators.resend.payload import schedule_time

if TYPE_CHECKING:
    from dealflow_emulators.resend.emulator import ResendEmulator

EVENT_TYPES = frozenset(
    f"email.{name}"
    for name in (
        "sent",
        "delivered",
        "delivery_delayed",
        "bounced",
        "complained",
        "failed",
        "opened",
        "clicked",
        "scheduled",
        "suppressed",
    )
)


async def json_body(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise validation("The request body is not valid JSON.") from None


def api_router(emulator: "ResendEmulator") -> APIRouter:
    router = APIRouter(dependencies=[Depends(emulator.authorize)])

    def email_of(email_id: str) -> Record:
        try:
            uuid.UUID(email_id)
        except ValueError:
            raise ResendError(422, "invalid_parameter", "The `id` must be a valid UUID.") from None
        email = emulator.store["emails"].get(email_id)
        if email is None:
            raise not_found()
        return email

    @router.post("/emails")
    async def send_email(request: Request) -> Response:
        return await emulator.accept(request, "/emails", await json_body(request))

    @router.post("/emails/batch")
    async def send_batch(request: Request) -> Response:
        return await emulator.accept(request, "/emails/batch", await json_body(request))

    @router.get("/emails/{email_id}")
    async def retrieve(email_id: str) -> dict[str, Any]:
        return public_view(email_of(email_id))

    @router.patch("/emails/{email_id}")
    async def update(email_id: str, request: Request) -> dict[str, Any]:
        """Reschedule a scheduled email; a cancelled or sent one cannot be."""
        email = email_of(email_id)
        body = await json_body(request)
        if not isinstance(body, dict):
            raise validation("The request body must be a JSON object.")
        if email["last_event"] == "canceled":
            raise validation("This email has been canceled and cannot be rescheduled.")
        if email["last_event"] != "scheduled":
            raise validation("Only scheduled emails can be updated.")
        when = schedule_time(body.get("scheduled_at"), emulator.clock.now())
        if when is None:
            raise ResendError(422, "missing_required_field", "Missing `scheduled_at` field.")
        email["scheduled_at"] = iso_ms(when)
        return {"object": "email", "id": email["id"]}

    @router.post("/emails/{email_id}/cancel")
    async def cancel(email_id: str) -> dict[str, Any]:
        email = email_of(email_id)
        emulator.cancel_scheduled(email)
        return {"object": "email", "id": email["id"]}

    return router


class WebhookOrder(BaseModel):
    """Body of `POST /_emulator/webhooks/{email_id}`."""

    type: str | None = Field(default=None, description="an email.* event to send now")
    resend: bool = Field(
        default=False,
        description="deliver an earlier event again with the same svix-id and body (the latest "
        "of `type` when given, else the latest)",
    )
    data: dict[str, Any] | None = Field(default=None, description="merged into the event data")
    timestamp_offset_seconds: int = Field(
        default=0, description="sign with a timestamp this far from now (stale-event tests)"
    )


def control_router(emulator: "ResendEmulator") -> APIRouter:
    router = APIRouter(prefix="/_emulator/webhooks", tags=["emulator control"])

    @router.post("/{email_id}")
    async def send_webhook(email_id: str, order: WebhookOrder) -> Response:
        """Send one delivery event now (and wait for its first attempt): a bounce or complaint
        on demand, or the same svix-id again to test a receiver's deduplication."""
        email = emulator.store["emails"].get(email_id)
        if email is None:
            return JSONResponse({"detail": f"no email {email_id}"}, status_code=404)
        if not emulator.webhooks.enabled():
            return JSONResponse(
                {"detail": 'no webhook_url: PATCH /_emulator/config {"webhook_url": ...}'},
                status_code=409,
            )
        if order.resend:
            delivery = _latest(emulator, email_id, order.type)
            if delivery is None:
                return JSONResponse({"detail": "no earlier delivery to send again"}, 404)
            await emulator.webhooks.attempt(
                delivery, replay=True, timestamp_offset=order.timestamp_offset_seconds
            )
            return JSONResponse(delivery)
        if order.type not in EVENT_TYPES:
            return JSONResponse(
                {"detail": f"type must be one of {sorted(EVENT_TYPES)}"}, status_code=422
            )
        delivery = await emulator.event_now(
            email, order.type, order.data, order.timestamp_offset_seconds
        )
        return JSONResponse(delivery, status_code=201)

    return router


def _latest(emulator: "ResendEmulator", email_id: str, event_type: str | None) -> Record | None:
    matching = [
        d
        for d in emulator.webhooks.deliveries
        if d["email_id"] == email_id and (event_type is None or d["type"] == event_type)
    ]
    return max(matching, key=lambda d: d["seq"], default=None)
