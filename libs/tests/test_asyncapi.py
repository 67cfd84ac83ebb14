"""The AsyncAPI document comes from the declarations the runtime runs: one source, no copy."""

from collections.abc import Sequence

from dealflow_libs.asyncapi import Publication, document
from dealflow_libs.consumer import Received, Subscription
from dealflow_schemas.bookings import BOOKINGS_TOPIC, BookingEvent
from dealflow_schemas.deals import DEAL_EVENTS, DEALS_TOPIC, DealEvent
from dealflow_schemas.tenants import TENANTS_TOPIC, TenantChanged


async def ignore(_: Sequence[Received[DealEvent]]) -> None:
    pass


def test_document_lists_what_is_consumed_and_published_with_payload_schemas() -> None:
    spec = document(
        title="svc",
        version="1",
        description="d",
        server="kafka:9092",
        subscriptions=[
            Subscription(
                group="svc-deals",
                topic=DEALS_TOPIC,
                events=DEAL_EVENTS,
                handler=ignore,
                description="Follows deals.",
            )
        ],
        publications=[
            Publication(BOOKINGS_TOPIC, (BookingEvent,)),
            Publication(TENANTS_TOPIC, (TenantChanged,)),
        ],
    )

    assert spec["asyncapi"] == "3.0.0"
    assert set(spec["channels"]) == {DEALS_TOPIC, BOOKINGS_TOPIC, TENANTS_TOPIC}
    receive = spec["operations"][f"svc-deals.receive.{DEALS_TOPIC}"]
    assert receive["action"] == "receive"
    assert receive["bindings"]["kafka"]["groupId"]["enum"] == ["svc-deals"]
    assert len(receive["messages"]) == len(DEAL_EVENTS)
    assert spec["operations"][f"send.{BOOKINGS_TOPIC}"]["action"] == "send"
    messages = spec["components"]["messages"]
    created = messages["DealCreated"]
    assert created["headers"]["properties"]["ce_type"] == {"const": "dealflow.deal.created.v1"}
    assert created["payload"] == {"$ref": "#/components/schemas/DealCreated"}
    assert "tenant_id" in spec["components"]["schemas"]["BookingEvent"]["properties"]
    for ref in refs(spec):  # payloads, the models they nest, channels and messages
        assert resolve(spec, ref) is not None, ref


def refs(node: object) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for value in node.values() for r in refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in refs(value)]
    return []


def resolve(spec: dict, ref: str) -> object:
    node: object = spec
    for part in ref.removeprefix("#/").split("/"):
        node = node.get(part) if isinstance(node, dict) else None
    return node
