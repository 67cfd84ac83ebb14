"""`dealflow-meetings`: operations of the meetings service."""

from collections.abc import Sequence
from dataclasses import astuple

import typer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dealflow_libs.summary_check import add_check_summaries
from meetings.config import MeetingsSettings
from meetings.domain.analytics import RollupDifference
from meetings.uow import MeetingsUnitOfWork
from meetings.use_cases import show_rate_differences

app = typer.Typer(help="Dealflow meetings operations.", no_args_is_help=True)


@app.callback()
def main() -> None:
    """Dealflow meetings operations (a group, so each command keeps its name)."""


async def _differences(
    sessions: async_sessionmaker[AsyncSession], tenant: str | None
) -> Sequence[RollupDifference]:
    return await show_rate_differences(MeetingsUnitOfWork(sessions), tenant)


def _describe(d: RollupDifference) -> str:
    return (
        f"{d.tenant_id} {d.day.isoformat()}: kept {astuple(d.kept)},"
        f" recomputed {astuple(d.recomputed)} (total, known, showed, rescheduled, cancelled,"
        " confirmed known/showed, reminded known/showed)"
    )


add_check_summaries(
    app,
    database_url=lambda: MeetingsSettings().own_database_url,
    differences=_differences,
    describe=_describe,
    help_text="Recompute the show-rate daily rollup from the meetings and report every"
    " difference from the maintained one (exit 1 if any).",
)


if __name__ == "__main__":
    app()
