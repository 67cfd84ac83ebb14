import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncEngine

from dealflow_libs.db import create_engine, new_metadata
from dealflow_libs.devstack.broker import LocalBroker
from dealflow_libs.devstack.stack import Stack
from dealflow_libs.inbox import inbox_table
from dealflow_libs.migrate import ensure_database
from dealflow_libs.outbox import outbox_table, outbox_trigger_sql
from dealflow_libs.settings import CommonSettings, service_database_url
from dealflow_libs.testing.servers import free_port

METADATA = new_metadata()
OUTBOX = outbox_table(METADATA)
INBOX = inbox_table(METADATA)


@pytest.fixture(scope="session")
async def libs_database_url(stack: Stack) -> str:
    await ensure_database(stack.database_url, "dealflow_libs_test")
    url = service_database_url(CommonSettings(), "libs_test", None)
    engine = create_engine(url, pool_size=1)
    async with engine.begin() as conn:
        await conn.run_sync(METADATA.drop_all)
        await conn.run_sync(METADATA.create_all)
        for statement in outbox_trigger_sql("libs_test"):
            await conn.execute(text(statement))
    await engine.dispose()
    return url


@pytest.fixture
async def engine(libs_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(libs_database_url, pool_size=4)
    async with engine.begin() as conn:
        await conn.execute(OUTBOX.delete())
    yield engine
    await engine.dispose()


@pytest.fixture
def outbox() -> Table:
    return OUTBOX


@pytest.fixture
def inbox() -> Table:
    return INBOX


@pytest.fixture
def topic() -> str:
    return f"test.{uuid.uuid4().hex[:10]}"


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[LocalBroker]:
    """A broker of the test's own, to stop and start again (empty, as the local broker is)."""
    broker = LocalBroker(free_port(), tmp_path / "broker.log")
    broker.start()
    yield broker
    broker.stop()
