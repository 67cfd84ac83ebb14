"""The attribution repository the unit of work exposes as `uow.attribution`: one object over
the modules that hold the SQL by concern (touches, rules, bookings, closed deals, paths, runs,
what a rebuild copies). Nothing here commits."""

from attribution.db.bookings import BookingsRepository
from attribution.db.closed_deals import ClosedDealsRepository
from attribution.db.paths import DealPath, PathsRepository
from attribution.db.rules import RulesRepository
from attribution.db.runs import LatestRun, NewRun, RunsRepository
from attribution.db.stored import StoredRepository
from attribution.db.touches import TouchesRepository

__all__ = ["AttributionRepository", "DealPath", "LatestRun", "NewRun"]


class AttributionRepository(
    TouchesRepository,
    RulesRepository,
    BookingsRepository,
    ClosedDealsRepository,
    PathsRepository,
    RunsRepository,
    StoredRepository,
):
    """Every concern's queries on one session (each base keeps it as `self.session`)."""
