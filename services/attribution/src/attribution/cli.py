"""`dealflow-attribution`: operations of the attribution service (rebuild from the topics)."""

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import asdict
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from attribution.config import AttributionSettings
from attribution.leads import LeadDayDifference, LeadDifference, lead_differences
from attribution.rebuild import Progress as RebuildProgress
from attribution.rebuild import RebuildSummary, TargetNotEmpty, rebuild
from attribution.recompute import Tally, recompute_steps, recompute_tenant
from attribution.reporting import (
    CohortDifference,
    RollupDifference,
    cohort_differences,
    rollup_differences,
)
from attribution.uow import AttributionUnitOfWork
from dealflow_libs.db import create_engine, session_factory
from dealflow_libs.gc_tuning import tune_gc
from dealflow_libs.migrate import ensure_database, upgrade
from dealflow_libs.summary_check import add_check_summaries

app = typer.Typer(help="Dealflow attribution operations.", no_args_is_help=True)
console = Console(stderr=True)
_COLUMNS = (
    TextColumn("{task.description:<32}"),
    BarColumn(),
    MofNCompleteColumn(),
    TimeElapsedColumn(),
    TimeRemainingColumn(),
)


@app.callback()
def main() -> None:
    """Dealflow attribution operations (the service's settings: DEALFLOW_* variables)."""
    tune_gc()  # a recompute or rebuild is the service's own work: the same collector settings


class Bars(RebuildProgress):
    """One bar per topic read and per tenant computed."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task: TaskID | None = None

    def start(self, label: str, total: int) -> None:
        self._task = self._progress.add_task(label, total=total)

    def advance(self, steps: int) -> None:
        if self._task is not None:
            self._progress.advance(self._task, steps)


def _target_url(settings: AttributionSettings, database: str | None, url: str | None) -> str:
    if url:
        return url
    live = make_url(settings.own_database_url)
    return live.set(database=database).render_as_string(hide_password=False)


@app.command("rebuild")
def rebuild_command(
    database: Annotated[
        str, typer.Option(help="Target database on the service's server (created if missing)")
    ] = "dealflow_attribution_rebuild",
    database_url: Annotated[
        str | None, typer.Option(help="Target database URL (instead of --database)")
    ] = None,
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's events")] = None,
    copy_settings: Annotated[
        bool,
        typer.Option(
            "--copy-settings/--no-copy-settings",
            help="Copy run settings, channel rule versions and currency rates from the "
            "service's database (no topic carries them)",
        ),
    ] = True,
    batch_size: Annotated[int, typer.Option(min=1, help="Deals per transaction")] = 1000,
) -> None:
    """Rebuild attribution from the topics into an empty database: tenants, touches, meetings
    and deals read from the beginning, then every tenant's runs computed (nothing published).
    Runs' results and input hashes equal the live current runs as of a live recompute."""
    settings = AttributionSettings()
    target = _target_url(settings, database, database_url)
    if target == settings.own_database_url:
        raise typer.BadParameter("the target must not be the service's own database")
    summary = asyncio.run(_rebuild(settings, target, tenant, copy_settings, batch_size))
    for topic, count in summary.topics.items():
        skipped = f" ({count.skipped} not valid, skipped)" if count.skipped else ""
        typer.echo(f"{topic}: {count.records} records{skipped}")
    for tenant_id, tally in summary.tenants.items():
        typer.echo(
            f"{tenant_id}: {tally.deals} won deals, {tally.runs_created} runs"
            f" ({tally.runs_unchanged} unchanged)"
        )
    typer.echo(f"rebuilt into {make_url(target).database}")


@app.command("recompute")
def recompute_command(
    tenant: Annotated[str, typer.Argument(help="The tenant whose closed deals to recompute")],
    batch_size: Annotated[int, typer.Option(min=1, help="Deals per transaction")] = 1000,
) -> None:
    """Recompute every closed deal of a tenant in the service's database (what
    POST /v1/attribution/recompute {} does), with a progress bar: a new run, published, only
    where a run's inputs changed."""
    tally = asyncio.run(_recompute(AttributionSettings(), tenant, batch_size))
    typer.echo(
        f"{tenant}: {tally.deals} won deals, {tally.runs_created} runs created,"
        f" {tally.runs_unchanged} unchanged"
    )


async def _recompute(settings: AttributionSettings, tenant: str, batch_size: int) -> Tally:
    engine = create_engine(settings.own_database_url, pool_size=2)
    sessions = session_factory(engine)
    try:
        steps = await recompute_steps(AttributionUnitOfWork(sessions), tenant)
        with Progress(*_COLUMNS, console=console) as progress:
            task = progress.add_task(f"runs of {tenant}", total=steps)
            return await recompute_tenant(
                lambda: AttributionUnitOfWork(sessions),
                tenant,
                caused_by=f"cli-recompute:{uuid.uuid4()}",
                batch_size=batch_size,
                progress=lambda n: progress.advance(task, n),
            )
    finally:
        await engine.dispose()


async def _rebuild(
    settings: AttributionSettings,
    target_url: str,
    tenant: str | None,
    copy_settings: bool,
    batch_size: int,
) -> RebuildSummary:
    target_db = make_url(target_url).database or ""
    await ensure_database(target_url, target_db)
    await asyncio.to_thread(upgrade, "attribution", target_url)
    target_engine = create_engine(target_url, pool_size=2)
    source_engine = create_engine(settings.own_database_url, pool_size=1)
    targets, sources = session_factory(target_engine), session_factory(source_engine)
    try:
        with Progress(*_COLUMNS, console=console) as progress:
            return await rebuild(
                lambda consumer: AttributionUnitOfWork(targets, consumer),
                bootstrap=settings.kafka_bootstrap,
                source=(lambda: AttributionUnitOfWork(sources)) if copy_settings else None,
                tenant=tenant,
                batch_size=batch_size,
                progress=Bars(progress),
            )
    except TargetNotEmpty as error:
        raise typer.BadParameter(f"{error}: give an empty or new --database") from error
    finally:
        await target_engine.dispose()
        await source_engine.dispose()


async def _differences(
    sessions: async_sessionmaker[AsyncSession], tenant: str | None
) -> Sequence[LeadDifference | LeadDayDifference | CohortDifference | RollupDifference]:
    leads = await lead_differences(AttributionUnitOfWork(sessions), tenant)
    cohorts = await cohort_differences(AttributionUnitOfWork(sessions), tenant)
    return [*leads, *cohorts, *await rollup_differences(AttributionUnitOfWork(sessions), tenant)]


def _describe(
    d: LeadDifference | LeadDayDifference | CohortDifference | RollupDifference,
) -> str:
    if isinstance(d, RollupDifference):
        return f"{d.tenant_id} {d.rollup} {d.key}: kept {d.kept} recomputed {d.recomputed}"
    if isinstance(d, LeadDayDifference):
        return f"{d.tenant_id} lead_days {d.day}: kept {d.kept} recomputed {d.recomputed}"
    if isinstance(d, CohortDifference):
        return f"{d.tenant_id} {d.row} {d.row_id}: {d.fact} kept {d.kept} recomputed {d.recomputed}"
    if d.kept is None or d.recomputed is None:
        return f"{d.tenant_id} {d.email}: kept {d.kept}; recomputed {d.recomputed}"
    kept, recomputed = asdict(d.kept), asdict(d.recomputed)
    fields = ", ".join(
        f"{name} kept {kept[name]!r} recomputed {recomputed[name]!r}"
        for name in kept
        if kept[name] != recomputed[name]
    )
    return f"{d.tenant_id} {d.email}: {fields}"


add_check_summaries(
    app,
    database_url=lambda: AttributionSettings().own_database_url,
    differences=_differences,
    describe=_describe,
    help_text="Derive every lead (and the funnel's cohort and period facts on it) and every deal's"
    " and booking's cohort fact again from the touches, bookings, leads and deal states and"
    " report every row that differs (exit 1 if any).",
)


if __name__ == "__main__":
    app()
