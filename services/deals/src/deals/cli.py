"""`dealflow-deals`: operations of the deals service."""

from collections.abc import Sequence

import typer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dealflow_libs.summary_check import add_check_summaries
from deals.config import DealsSettings
from deals.domain.analytics import LostMonthDifference, SummaryDifference
from deals.uow import DealsUnitOfWork
from deals.use_cases import summary_differences

app = typer.Typer(help="Dealflow deals operations.", no_args_is_help=True)


@app.callback()
def main() -> None:
    """Dealflow deals operations (a group, so each command keeps its name)."""


async def _differences(
    sessions: async_sessionmaker[AsyncSession], tenant: str | None
) -> Sequence[SummaryDifference | LostMonthDifference]:
    return await summary_differences(DealsUnitOfWork(sessions), tenant)


def _describe(d: SummaryDifference | LostMonthDifference) -> str:
    if isinstance(d, LostMonthDifference):
        return (
            f"{d.tenant_id} lost {d.month:%Y-%m} {d.reason} from {d.stage_left or '(no stage)'}:"
            f" kept {d.kept}, recomputed {d.recomputed} (deals, value, days, days counted)"
        )
    return (
        f"{d.tenant_id} {d.status}/{d.stage} {d.currency}: kept {d.kept_deals} deals,"
        f" {d.kept_value} value, {d.kept_probability} probability, {d.kept_weighted} weighted;"
        f" recomputed {d.recomputed_deals}, {d.recomputed_value}, {d.recomputed_probability},"
        f" {d.recomputed_weighted}"
    )


add_check_summaries(
    app,
    database_url=lambda: DealsSettings().own_database_url,
    differences=_differences,
    describe=_describe,
    help_text="Recompute the pipeline summaries and the lost deals' monthly rollup from the"
    " deals and report every difference from the maintained ones (exit 1 if any).",
)


if __name__ == "__main__":
    app()
