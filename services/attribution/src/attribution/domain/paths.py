"""Channel paths of many journeys, the training data of the data-driven models."""

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class PathCount:
    """How many journeys took this channel path and converted, or ended without converting."""

    path: tuple[str, ...]
    conversions: int
    nulls: int

    def __post_init__(self) -> None:
        if self.conversions < 0 or self.nulls < 0:
            raise ValueError("path counts must be non-negative")
        object.__setattr__(self, "path", collapse_repeats(self.path))


def collapse_repeats(path: Sequence[str]) -> tuple[str, ...]:
    """A, B, B, C -> A, B, C: consecutive touches in one channel are one visit of its state.

    For the Markov chain this changes nothing (a self-loop only delays absorption); for Shapley
    only the set of channels matters.
    """
    return tuple(c for i, c in enumerate(path) if i == 0 or path[i - 1] != c)


def path_counts(journeys: Iterable[tuple[Sequence[str], bool]]) -> list[PathCount]:
    """Aggregate (channel path, converted?) journeys into sorted PathCounts."""
    conversions: Counter[tuple[str, ...]] = Counter()
    nulls: Counter[tuple[str, ...]] = Counter()
    for path, converted in journeys:
        (conversions if converted else nulls)[collapse_repeats(path)] += 1
    return sorted(PathCount(p, conversions[p], nulls[p]) for p in conversions.keys() | nulls.keys())
