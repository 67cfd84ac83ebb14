"""`dealflow-crm-push`: operations of the CRM push service."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer

from crm_push.config import CrmPushSettings
from crm_push.connections import replay_parked, reseal_credentials
from crm_push.uow import CrmPushUnitOfWork
from dealflow_libs.db import create_engine, session_factory

app = typer.Typer(help="Dealflow CRM push operations.", no_args_is_help=True)
T = TypeVar("T")


def _run(work: Callable[[Callable[[], CrmPushUnitOfWork], CrmPushSettings], Awaitable[T]]) -> T:
    settings = CrmPushSettings()

    async def main() -> T:
        engine = create_engine(settings.own_database_url, pool_size=1)
        sessions = session_factory(engine)
        try:
            return await work(lambda: CrmPushUnitOfWork(sessions), settings)
        finally:
            await engine.dispose()

    return asyncio.run(main())


@app.command("replay")
def replay(
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's (default: every)")] = None,
) -> None:
    """Run every parked push again (after fixing what parked them); the running service's
    worker picks them up within its poll interval."""
    count = _run(lambda uow, _: replay_parked(uow, tenant))
    typer.echo(f"{count} parked push(es) queued again")


@app.command("reseal")
def reseal() -> None:
    """Re-seal every stored CRM credential with the first key of DEALFLOW_SECRET_KEYS (after
    putting a new key first; drop the old key once this has run)."""
    count = _run(lambda uow, settings: reseal_credentials(uow, settings.secret_box()))
    typer.echo(f"{count} connection(s) re-sealed")
