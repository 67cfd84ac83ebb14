"""Which closed journeys train a deal's data-driven runs: the model as of its conversion day.

A deal's markov (and shapley) run is trained on the tenant's closed journeys (won and lost)
whose close is before the start of the deal's conversion day in UTC. The set is defined by the
data alone, never by how events were batched or when they were processed: every deal won the
same day gets the same model, nothing is learnt from the deal itself or from later outcomes, and
a recompute or a rebuild over the same data trains the same model.

`trainings` sweeps the journeys once in close order and hands out the counts at each cutoff asked
for, so a whole-tenant recompute trains once per distinct conversion day, not per deal; the counts
are the chain's (moves between channels), whose size does not grow with the journeys.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from attribution.domain.canonical import sha256_of, utc_text
from attribution.domain.markov import ChainCounts
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
    """What the journeys closed before `closed_before` teach (journeys without a touch are left
    out: they name no channel): Markov's chain counts, and for Shapley the conversions and
    non-conversions per set of channels (`channel_sets`, None when not asked for)."""

    closed_before: datetime
    chain: ChainCounts
    channel_sets: tuple[PathCount, ...] | None = None

    @property
    def journeys(self) -> int:
        return self.chain.journeys

    @property
    def conversions(self) -> int:
        return self.chain.conversions

    @cached_property
    def digest(self) -> str:
        """sha256 of the counts the models learn from: equal digests, equal training."""
        sets = self.channel_sets
        return sha256_of(
            {
                "chain": self.chain.canonical(),
                "channel_sets": None
                if sets is None
                else [[list(p.path), p.conversions, p.nulls] for p in sets],
            }
        )

    def canonical(self) -> dict[str, Any]:
        """What a run records of its training (in its parameters, so in its input hash)."""
        return {
            "closed_before": utc_text(self.closed_before),
            "journeys": self.journeys,
            "conversions": self.conversions,
            "digest": self.digest,
        }


def trainings(
    journeys: Iterable[ClosedJourney], cutoffs: Iterable[datetime], *, channel_sets: bool = False
) -> dict[datetime, Training]:
    """The training at each cutoff, from one pass over the journeys in close order: the counts
    grow from one cutoff to the next, and each cutoff costs a copy of them (their size depends
    on the channels, not on the journeys). `channel_sets`: also count per set of channels."""
    ordered = sorted((j for j in journeys if j.path), key=lambda j: j.closed_at)
    chain = ChainCounts()
    sets: dict[tuple[str, ...], tuple[int, int]] = {}
    found: dict[datetime, Training] = {}
    taken = 0
    for cutoff in sorted(set(cutoffs)):
        while taken < len(ordered) and ordered[taken].closed_at < cutoff:
            journey = ordered[taken]
            won = int(journey.converted)
            chain.add(collapse_repeats(journey.path), won, 1 - won)
            if channel_sets:
                key = tuple(sorted(set(journey.path)))
                c, u = sets.get(key, (0, 0))
                sets[key] = (c + won, u + 1 - won)
            taken += 1
        snapshot = tuple(sorted(PathCount(k, c, u) for k, (c, u) in sets.items()))
        found[cutoff] = Training(cutoff, chain.copy(), snapshot if channel_sets else None)
    return found


def training_as_of(
    journeys: Iterable[ClosedJourney], conversion_at: datetime, *, channel_sets: bool = False
) -> Training:
    """The training of one deal converted at `conversion_at`."""
    cutoff = training_cutoff(conversion_at)
    return trainings(journeys, [cutoff], channel_sets=channel_sets)[cutoff]
