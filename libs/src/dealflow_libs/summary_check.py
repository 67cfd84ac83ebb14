"""`check-summaries [--tenant T]`, the command every service with a trigger-kept read model
offers: recompute from the rows, print each difference, exit 1 if there is any."""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dealflow_libs.db import create_engine, session_factory

Difference = TypeVar("Difference")
Sessions = async_sessionmaker[AsyncSession]


def add_check_summaries(
    app: typer.Typer,
    *,
    database_url: Callable[[], str],
    differences: Callable[[Sessions, str | None], Awaitable[Sequence[Difference]]],
    describe: Callable[[Difference], str],
    help_text: str,
) -> None:
    """Registers `check-summaries` on `app`: `differences(sessions, tenant)` lists where the kept
    summaries and a recompute differ, `describe` prints one."""

    async def found(tenant: str | None) -> Sequence[Difference]:
        engine = create_engine(database_url(), pool_size=1)
        try:
            return await differences(session_factory(engine), tenant)
        finally:
            await engine.dispose()

    def check_summaries(
        tenant: Annotated[
            str | None, typer.Option(help="Only this tenant's (default: every)")
        ] = None,
    ) -> None:
        listed = asyncio.run(found(tenant))
        for difference in listed:
            typer.echo(describe(difference))
        typer.echo(f"{len(listed)} difference(s)")
        if listed:
            raise typer.Exit(1)

    app.command("check-summaries", help=help_text)(check_summaries)
