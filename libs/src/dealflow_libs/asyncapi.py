"""The AsyncAPI 3.0 document of a service, built from the same declarations that run it: the
subscriptions its consumers read (`ServiceRuntime.consume`) and the events its outbox writes
(`ServiceRuntime.publishes`)."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic.json_schema import models_json_schema

from dealflow_libs.cloudevents import CONTENT_TYPE, SPEC_VERSION
from dealflow_libs.consumer import Subscription
from dealflow_schemas.base import EventModel

_SCHEMAS = "#/components/schemas/{model}"


@dataclass(frozen=True)
class Publication:
    """Events a service writes to `topic` (through its outbox)."""

    topic: str
    events: tuple[type[EventModel], ...]


def document(
    *,
    title: str,
    version: str,
    description: str,
    server: str,
    subscriptions: Sequence[Subscription[Any]],
    publications: Sequence[Publication],
) -> dict[str, Any]:
    models = _unique(
        [m for s in subscriptions for m in s.events] + [m for p in publications for m in p.events]
    )
    _, schemas = models_json_schema(
        [(model, "validation") for model in models], ref_template=_SCHEMAS
    )
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for sub in subscriptions:
        _channel(channels, sub.topic, sub.events)
        operations[f"{sub.group}.receive.{sub.topic}"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{sub.topic}"},
            "summary": sub.description,
            "messages": _message_refs(sub.topic, sub.events),
            "bindings": {"kafka": {"groupId": {"type": "string", "enum": [sub.group]}}},
        }
    for pub in publications:
        _channel(channels, pub.topic, pub.events)
        operations[f"send.{pub.topic}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{pub.topic}"},
            "summary": "Written through the transactional outbox, published by its relay.",
            "messages": _message_refs(pub.topic, pub.events),
        }
    return {
        "asyncapi": "3.0.0",
        "info": {"title": title, "version": version, "description": description},
        "defaultContentType": CONTENT_TYPE,
        "servers": {"kafka": {"host": server, "protocol": "kafka"}},
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": {model.__name__: _message(model) for model in models},
            "schemas": schemas.get("$defs", {}),
        },
    }


def _unique(models: Iterable[type[EventModel]]) -> list[type[EventModel]]:
    return list(dict.fromkeys(models))


def _channel(channels: dict[str, Any], topic: str, events: Iterable[type[EventModel]]) -> None:
    channel = channels.setdefault(topic, {"address": topic, "messages": {}})
    for model in events:
        channel["messages"][model.__name__] = {"$ref": f"#/components/messages/{model.__name__}"}


def _message_refs(topic: str, events: Iterable[type[EventModel]]) -> list[dict[str, str]]:
    return [{"$ref": f"#/channels/{topic}/messages/{model.__name__}"} for model in events]


def _message(model: type[EventModel]) -> dict[str, Any]:
    """A CloudEvent in Kafka binary mode: context attributes in `ce_*` headers, body as value."""
    text = {"type": "string"}
    return {
        "name": model.ce_type,
        "title": model.__name__,
        "summary": (model.__doc__ or model.__name__).strip().splitlines()[0],
        "contentType": CONTENT_TYPE,
        "headers": {
            "type": "object",
            "required": ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_tenantid"],
            "properties": {
                "ce_specversion": {"const": SPEC_VERSION},
                "ce_id": text,
                "ce_source": text,
                "ce_type": {"const": model.ce_type},
                "ce_time": {"type": "string", "format": "date-time"},
                "ce_tenantid": {**text, "description": "Equals the body's tenant_id."},
                "ce_subject": text,
            },
        },
        "payload": {"$ref": _SCHEMAS.format(model=model.__name__)},
    }
