"""Kafka plumbing shared by services: producer and consumer settings, topic creation."""

import logging
from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from dealflow_libs.settings import CommonSettings

log = logging.getLogger(__name__)

DEFAULT_PARTITIONS = 6


def dead_letter_topic(topic: str) -> str:
    return f"{topic}.dlq"


def producer_options(settings: CommonSettings) -> dict[str, object]:
    return {
        "bootstrap_servers": settings.kafka_bootstrap,
        "acks": "all",
        "enable_idempotence": settings.kafka_enable_idempotence,
        "compression_type": None
        if settings.kafka_compression == "none"
        else settings.kafka_compression,
        "linger_ms": 2,
        "max_batch_size": 256 * 1024,
    }


def new_producer(settings: CommonSettings, client_id: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        client_id=f"{settings.kafka_client_prefix}-{client_id}", **producer_options(settings)
    )


def consumer_options(settings: CommonSettings, *, hot_path: bool) -> dict[str, Any]:
    """aiokafka consumer settings for a subscription: offsets committed by the subscriber after
    handling, a new group reads from the start, the fetch wait of its kind (hot path or not)."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "fetch_max_wait_ms": settings.kafka_fetch_max_wait_ms
        if hot_path
        else settings.kafka_background_fetch_max_wait_ms,
        "session_timeout_ms": settings.kafka_session_timeout_ms,
        "heartbeat_interval_ms": settings.kafka_heartbeat_interval_ms,
    }
    if settings.kafka_rebalance_timeout_ms is not None:
        options["rebalance_timeout_ms"] = settings.kafka_rebalance_timeout_ms
    return options


async def ensure_topics(
    bootstrap: str, topics: Iterable[str], *, partitions: int = DEFAULT_PARTITIONS
) -> list[str]:
    """Creates the topics that do not exist yet; returns the names it created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [t for t in dict.fromkeys(topics) if t not in existing]
        created = []
        for topic in wanted:
            try:
                await admin.create_topics(
                    [NewTopic(topic, num_partitions=partitions, replication_factor=1)]
                )
                created.append(topic)
            except TopicAlreadyExistsError:
                pass
        return created
    finally:
        await admin.close()


async def check_broker(bootstrap: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
    await admin.start()
    try:
        await admin.list_topics()
    finally:
        await admin.close()
