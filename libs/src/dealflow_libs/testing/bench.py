"""What the benchmarks in bench/ share: one percentile definition, one throwaway database."""

import math
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path

from dealflow_libs.devstack.services import installed_services
from dealflow_libs.devstack.stack import prepare, start_stack
from dealflow_libs.testing.servers import free_port


def percentile(values: Iterable[float], p: float) -> float:
    """Nearest-rank percentile (the smallest value with at least p% of values at or below it);
    NaN when there are none, so every benchmark reports p50/p99 the same way."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


@asynccontextmanager
async def service_database(service: str) -> AsyncIterator[str]:
    """A local PostgreSQL and broker in a temp dir with `service`'s database migrated; yields
    its URL (also set as DEALFLOW_<SERVICE>_DATABASE_URL) and removes everything afterwards."""
    data = Path(tempfile.mkdtemp(prefix=f"dealflow-bench-{service}-"))
    os.environ.setdefault("DEALFLOW_LOG_LEVEL", "WARNING")
    stack = start_stack(data, pg_port=free_port(), kafka_port=free_port())
    try:
        spec = [s for s in installed_services() if s.name == service]
        urls = await prepare(stack, spec, seed=False)
        os.environ[f"DEALFLOW_{service.upper()}_DATABASE_URL"] = urls[service]
        yield urls[service]
    finally:
        stack.stop()
        shutil.rmtree(data, ignore_errors=True)
