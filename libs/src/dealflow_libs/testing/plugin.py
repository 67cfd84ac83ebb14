"""pytest plugin (loaded by `-p dealflow_libs.testing.plugin`): one real stack per session."""

import asyncio
import os
from collections.abc import AsyncIterator, Iterator

import pytest
from aiokafka import AIOKafkaProducer

from dealflow_libs.devstack.services import installed_services
from dealflow_libs.devstack.stack import Stack, prepare
from dealflow_libs.secretbox import new_key_spec
from dealflow_libs.testing.servers import session_stack

pytest_plugins = ["dealflow_libs.testing.watchdog"]


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    with session_stack() as running:
        previous = {k: os.environ.get(k) for k in [*running.env(), "DEALFLOW_SECRET_KEYS"]}
        os.environ.update(running.env())
        os.environ.setdefault("DEALFLOW_LOG_JSON", "false")
        os.environ.setdefault("DEALFLOW_SECRET_KEYS", new_key_spec("test"))
        try:
            yield running
        finally:
            for key, old in previous.items():
                if old is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = old


@pytest.fixture(scope="session")
async def prepared_stack(stack: Stack) -> dict[str, str]:
    """Topics created, every installed service's database migrated; maps service -> database URL."""
    urls = await asyncio.wait_for(prepare(stack, installed_services(), seed=False), timeout=120)
    return urls


@pytest.fixture(scope="session")
async def producer(stack: Stack) -> AsyncIterator[AIOKafkaProducer]:
    """A plain producer for tests that play another service's part on Kafka."""
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap)
    await producer.start()
    yield producer
    await producer.stop()
