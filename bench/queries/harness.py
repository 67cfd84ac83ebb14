"""What every query benchmark in bench/queries shares: the clock, bulk loading by COPY with a
progress bar, timing endpoints over real HTTP, plans of prepared statements, the figures table.

A benchmark script supplies its rows and endpoints; this module does the rest the same way for
every service, so the figures in docs/performance.md compare like with like.
"""

import asyncio
import gc
import signal
import time
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

import asyncpg
import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from dealflow_libs.settings import plain_url
from dealflow_libs.testing.bench import percentile
from dealflow_libs.testing.tenants import TenantCredentials

console = Console(width=110)
Row = tuple[Any, ...]
CHUNK = 50_000
NOW = datetime.now(UTC)
YEARS = timedelta(days=3 * 365)
Figures = list[tuple[str, float, float]]


def literal(value: object) -> str:
    """A SQL string literal, for the EXECUTE of a prepared statement in EXPLAIN."""
    return "'" + str(value).replace("'", "''") + "'"


def url_time(at: datetime) -> str:
    """An ISO timestamp safe in a query string (`+` would read as a space)."""
    return at.isoformat().replace("+", "%2B")


@asynccontextmanager
async def loading() -> AsyncIterator[Progress]:
    """One progress bar per loaded table or tenant, with counts and elapsed time."""
    columns = (
        TextColumn("{task.description:<20}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        yield progress


async def copy_rows(
    url: str,
    label: str,
    total: int,
    batches: Iterator[dict[str, Sequence[Row]]],
    columns: dict[str, Sequence[str]],
    progress: Progress,
) -> None:
    """COPY each batch ({table: rows}) into its tables, advancing the bar by the batch's rows of
    the first table; `batches` is a generator so a million rows never sit in memory at once."""
    task = progress.add_task(label, total=total)
    first = next(iter(columns))
    conn = await asyncpg.connect(plain_url(url))
    try:
        for batch in batches:
            for table, rows in batch.items():
                if rows:
                    await conn.copy_records_to_table(table, records=rows, columns=columns[table])
            progress.advance(task, len(batch.get(first, ())))
    finally:
        await conn.close()


def table_batches(
    rows: Iterator[dict[str, Row | list[Row]]], tables: Iterable[str], size: int = CHUNK
) -> Iterator[dict[str, list[Row]]]:
    """Per-entity rows ({table: a row, or a list of rows}) as the batches copy_rows takes,
    `size` entities at a time."""
    names = list(tables)
    while chunk := list(islice(rows, size)):
        batch: dict[str, list[Row]] = {name: [] for name in names}
        for entity in chunk:
            for name in names:
                found = entity[name]
                if isinstance(found, list):
                    batch[name].extend(found)
                else:
                    batch[name].append(found)
        yield batch


async def vacuum_analyze(url: str, tables: Iterable[str]) -> None:
    """What autovacuum would have done to freshly loaded tables (visibility map, statistics)."""
    conn = await asyncpg.connect(plain_url(url))
    try:
        await conn.execute(f"VACUUM ANALYZE {', '.join(tables)}")
    finally:
        await conn.close()


async def time_endpoints(
    url: str, tenant: TenantCredentials, paths: list[tuple[str, str]], calls: int
) -> Figures:
    """Each path once to warm up, then `calls` timed calls: (label, p50 ms, p95 ms).
    The app runs in this process, beside everything loading left alive: that heap is frozen
    first (as a service freezes its start-up heap, `dealflow_libs.gc_tuning`), so the
    collector's full passes over it are not timed as the endpoints'."""
    gc.collect()
    gc.freeze()
    figures = []
    async with httpx.AsyncClient(base_url=url, headers=tenant.auth, timeout=120) as api:
        for label, path in paths:
            (await api.get(path)).raise_for_status()
            took = []
            for _ in range(calls):
                started = time.perf_counter()
                (await api.get(path)).raise_for_status()
                took.append((time.perf_counter() - started) * 1000)
            figures.append((label, percentile(took, 50), percentile(took, 95)))
    return figures


async def print_plans(url: str, plans: dict[str, tuple[str, Sequence[object]]]) -> None:
    """EXPLAIN ANALYZE of each prepared statement, custom and generic
    (plan_cache_mode = force_generic_plan) plans: what the app's asyncpg statements get."""
    conn = await asyncpg.connect(plain_url(url))
    try:
        for label, (sql, args) in plans.items():
            for mode in ("auto", "force_generic_plan"):
                await conn.execute(f"SET plan_cache_mode = {mode}")
                await conn.execute(f"PREPARE q AS {sql}")
                rows = await conn.fetch(
                    "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE"
                    f" q({', '.join(literal(a) for a in args)})"
                )
                await conn.execute("DEALLOCATE q")
                console.print(f"[bold]{label}[/] ({mode})")
                console.print("\n".join(r[0] for r in rows))
    finally:
        await conn.close()


async def held(url: str, tenant: TenantCredentials) -> None:
    """Keeps the loaded database up until SIGINT or SIGTERM (a background job ignores SIGINT),
    for probes run against it meanwhile; then the servers are stopped as after a run."""
    released = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, released.set)
    console.print(f"holding: {plain_url(url)} tenant {tenant.id} key {tenant.api_key};"
                  " SIGINT or SIGTERM ends")  # fmt: skip
    await released.wait()
    console.print("released")


def print_figures(title: str, figures: Figures) -> None:
    table = Table(title=title)
    for column in ("endpoint", "p50 ms", "p95 ms"):
        table.add_column(column, justify="left" if column == "endpoint" else "right")
    for label, p50, p95 in figures:
        table.add_row(label, f"{p50:,.1f}", f"{p95:,.1f}")
    console.print(table)
