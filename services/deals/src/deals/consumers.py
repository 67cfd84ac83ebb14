"""Kafka subscribers of the deals service: parse, then one use case."""

from collections.abc import Callable, Sequence

from dealflow_libs.consumer import Incoming
from dealflow_libs.errors import PermanentError
from dealflow_libs.runtime import ServiceRuntime
from dealflow_schemas import model_for
from dealflow_schemas.meetings import MEETINGS_TOPIC, MeetingEvent
from deals import SERVICE
from deals.uow import DealsUnitOfWork
from deals.use_cases import record_meeting_events


def parse_meeting_event(item: Incoming) -> MeetingEvent:
    model = model_for(item.envelope.type)
    if model is None or not issubclass(model, MeetingEvent):
        raise PermanentError(f"unexpected event type {item.envelope.type} on {item.topic}")
    event: MeetingEvent = model.model_validate_json(item.envelope.data)
    if event.tenant_id != item.envelope.tenant_id:
        raise PermanentError("body tenant_id differs from the ce_tenantid header")
    return event


def subscribe_meetings(runtime: ServiceRuntime, uow: Callable[[str], DealsUnitOfWork]) -> None:
    async def handle(items: Sequence[Incoming]) -> None:
        await record_meeting_events(
            uow(SERVICE), [(i.envelope.id, parse_meeting_event(i)) for i in items]
        )

    runtime.consume(
        name=SERVICE,
        topic=MEETINGS_TOPIC,
        payload=MeetingEvent,
        handler=handle,
        description="Creates and advances deals from meeting events.",
    )
