"""Every service's migrations produce exactly the schema its tables declare (no drift)."""

import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from dealflow_libs.devstack.services import installed_services
from dealflow_libs.settings import asyncpg_url


@pytest.mark.parametrize("service", installed_services(), ids=lambda s: s.name)
async def test_migrations_match_tables(service, prepared_stack: dict[str, str]) -> None:
    metadata = importlib.import_module(f"{service.package}.db.tables").metadata
    engine = create_async_engine(asyncpg_url(prepared_stack[service.name]))
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), metadata)
            )
    finally:
        await engine.dispose()
    assert diff == [], f"{service.name}: tables and migrations differ; add a migration: {diff}"
