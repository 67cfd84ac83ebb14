"""Which closed journeys train a deal's data-driven runs: the model as of its conversion day.

A deal's markov (and shapley) run is trained on the tenant's closed journeys (won and lost)
whose close is before the start of the deal's conversion day in UTC. The set is defined by the
data alone, never by how events were batched or when they were processed: every deal won the
same day gets the same model, nothing is learnt from the deal itself or from later outcomes, and
a recompute or a rebuild over the same data trains the same model.

`trainings` sweeps the journeys once in close order and hands out the path counts at each cutoff
asked for, so a whole-tenant recompute trains once per distinct conversion day, not per deal.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from attribution.domain.canonical import sha256_of, utc_text
from attribution.domain.paths import PathCount, collapse_repeats


def training_cutoff(conversion_at: datetime) -> datetime:
    """The start of the conversion's UTC day: the deal trains on journeys closed before it."""
    day = conversion_at.astimezone(UTC)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ClosedJourney:
    """A closed deal's channel path (eligible touches in its window), outcome and close."""

    path: tuple[str, ...]
    converted: bool
    closed_at: datetime


@dataclass(frozen=True)
class Training:
    """The path counts of the journeys closed before `closed_before` (journeys without a touch
    are left out: they name no channel)."""

    closed_before: datetime
    paths: tuple[PathCount, ...]

    @property
    def journeys(self) -> int:
        return sum(p.conversions + p.nulls for p in self.paths)

    @property
    def conversions(self) -> int:
        return sum(p.conversions for p in self.paths)

    @cached_property
    def digest(self) -> str:
        """sha256 of the sorted path counts: equal digests, equal training data."""
        return sha256_of([[list(p.path), p.conversions, p.nulls] for p in self.paths])

    def canonical(self) -> dict[str, Any]:
        """What a run records of its training (in its parameters, so in its input hash)."""
        return {
            "closed_before": utc_text(self.closed_before),
            "journeys": self.journeys,
            "conversions": self.conversions,
            "digest": self.digest,
        }


def trainings(
    journeys: Iterable[ClosedJourney], cutoffs: Iterable[datetime]
) -> dict[datetime, Training]:
    """The training at each cutoff, from one pass over the journeys in close order (the counts
    accumulate from one cutoff to the next)."""
    ordered = sorted((j for j in journeys if j.path), key=lambda j: j.closed_at)
    counts: dict[tuple[str, ...], list[int]] = {}
    found: dict[datetime, Training] = {}
    taken = 0
    for cutoff in sorted(set(cutoffs)):
        while taken < len(ordered) and ordered[taken].closed_at < cutoff:
            journey = ordered[taken]
            tally = counts.setdefault(collapse_repeats(journey.path), [0, 0])
            tally[0 if journey.converted else 1] += 1
            taken += 1
        found[cutoff] = Training(cutoff, _path_counts(counts))
    return found


def training_as_of(journeys: Iterable[ClosedJourney], conversion_at: datetime) -> Training:
    """The training of one deal converted at `conversion_at`."""
    cutoff = training_cutoff(conversion_at)
    return trainings(journeys, [cutoff])[cutoff]


def _path_counts(counts: dict[tuple[str, ...], list[int]]) -> tuple[PathCount, ...]:
    return tuple(sorted(PathCount(path, c, u) for path, (c, u) in counts.items()))
