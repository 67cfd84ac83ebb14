"""Alembic, driven from code: each service keeps its migrations inside its package."""

import asyncio
from importlib.resources import files

import asyncpg
from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from dealflow_libs.settings import asyncpg_url, plain_url


def alembic_config(package: str, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(files(package).joinpath("migrations")))
    config.set_main_option("sqlalchemy.url", asyncpg_url(database_url).replace("%", "%%"))
    return config


def upgrade(package: str, database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(package, database_url), revision)


def run_env(target_metadata: MetaData) -> None:
    """Body of every service's migrations/env.py (online mode, async engine)."""
    from alembic import context  # alembic populates this module only while running env.py

    url = context.config.get_main_option("sqlalchemy.url")
    assert url is not None

    def run(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()

    async def main() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as conn:
            await conn.run_sync(run)
        await engine.dispose()

    asyncio.run(main())


async def ensure_database(server_url: str, name: str) -> bool:
    """Creates database `name` on the server if missing; returns True if it created it."""
    conn = await asyncpg.connect(plain_url(server_url), database="postgres", timeout=10)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if exists:
            return False
        await conn.execute(f'CREATE DATABASE "{name}"')
        return True
    finally:
        await conn.close()
