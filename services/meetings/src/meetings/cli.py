"""`dealflow-meetings`: operations of the meetings service."""

import asyncio
from collections.abc import Sequence
from dataclasses import astuple
from typing import Annotated

import typer

from dealflow_libs.db import create_engine, session_factory
from meetings.config import MeetingsSettings
from meetings.domain.analytics import RollupDifference
from meetings.uow import MeetingsUnitOfWork
from meetings.use_cases import show_rate_differences

app = typer.Typer(help="Dealflow meetings operations.", no_args_is_help=True)


@app.callback()
def main() -> None:
    """Dealflow meetings operations (a group, so each command keeps its name)."""


async def _differences(tenant: str | None) -> Sequence[RollupDifference]:
    engine = create_engine(MeetingsSettings().own_database_url, pool_size=1)
    try:
        return await show_rate_differences(MeetingsUnitOfWork(session_factory(engine)), tenant)
    finally:
        await engine.dispose()


@app.command("check-summaries")
def check_summaries(
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's (default: every)")] = None,
) -> None:
    """Recompute the show-rate daily rollup from the meetings and report every difference from
    the maintained one (exit 1 if any)."""
    differences = asyncio.run(_differences(tenant))
    for d in differences:
        typer.echo(
            f"{d.tenant_id} {d.day.isoformat()}: kept {astuple(d.kept)},"
            f" recomputed {astuple(d.recomputed)}"
            " (total, known, showed, rescheduled, cancelled, confirmed known/showed,"
            " reminded known/showed)"
        )
    typer.echo(f"{len(differences)} difference(s)")
    if differences:
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
