"""`dealflow-deals`: operations of the deals service."""

import asyncio
from collections.abc import Sequence
from typing import Annotated

import typer

from dealflow_libs.db import create_engine, session_factory
from deals.config import DealsSettings
from deals.domain.analytics import SummaryDifference
from deals.uow import DealsUnitOfWork
from deals.use_cases import summary_differences

app = typer.Typer(help="Dealflow deals operations.", no_args_is_help=True)


@app.callback()
def main() -> None:
    """Dealflow deals operations (a group, so each command keeps its name)."""


async def _differences(tenant: str | None) -> Sequence[SummaryDifference]:
    engine = create_engine(DealsSettings().own_database_url, pool_size=1)
    try:
        return await summary_differences(DealsUnitOfWork(session_factory(engine)), tenant)
    finally:
        await engine.dispose()


@app.command("check-summaries")
def check_summaries(
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's (default: every)")] = None,
) -> None:
    """Recompute the pipeline summaries from the deals and report every difference from the
    maintained ones (exit 1 if any)."""
    differences = asyncio.run(_differences(tenant))
    for d in differences:
        typer.echo(
            f"{d.tenant_id} {d.status}/{d.stage} {d.currency}: kept {d.kept_deals} deals,"
            f" {d.kept_value} value, {d.kept_probability} probability, {d.kept_weighted} weighted;"
            f" recomputed {d.recomputed_deals}, {d.recomputed_value}, {d.recomputed_probability},"
            f" {d.recomputed_weighted}"
        )
    typer.echo(f"{len(differences)} difference(s)")
    if differences:
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
