"""First-order Markov removal effects, solved exactly on the absorbing chain (reference §2.2).

States: start S, one per channel, and the absorbing CONV and NULL. Each journey with c
conversions and u non-conversions adds c+u to every step of its path (S -> p1 -> ... -> pm),
then c to pm -> CONV and u to pm -> NULL. With the row-normalised matrix P = [[Q, R], [0, I]]
the conversion probability from S is x_S where (I - Q) x = R[:, CONV].

Multiplying row i by its total out-count makes the system integer: (T - C) x = conv, with T the
diagonal of out-counts and C the transient counts. It is solved by Cramer's rule with Bareiss'
fraction-free determinants: exact, no floats, no simulation, identical everywhere.

Removing channel c sends every move into c to NULL: drop c's row and column, keep the totals.
RE(c) = 1 - P_without_c / P. Shares RE(c) / sum RE split revenue (sum RE is not 1).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import pairwise
from typing import Any

from attribution.domain.canonical import canonical_json, fraction_text
from attribution.domain.paths import PathCount


@dataclass(frozen=True)
class MarkovResult:
    channels: tuple[str, ...]
    conversion_probability: Fraction
    observed_rate: Fraction
    removal_effects: dict[str, Fraction]
    shares: dict[str, Fraction]

    def to_dict(self) -> dict[str, Any]:
        return {
            "channels": list(self.channels),
            "conversion_probability": fraction_text(self.conversion_probability),
            "observed_rate": fraction_text(self.observed_rate),
            "removal_effects": {c: fraction_text(v) for c, v in self.removal_effects.items()},
            "shares": {c: fraction_text(v) for c, v in self.shares.items()},
        }

    def to_json(self) -> bytes:
        return canonical_json(self.to_dict())


@dataclass
class ChainCounts:
    """The absorbing chain's sufficient statistics, built a journey at a time: the weight of
    every move between transient states (None is the start) and, per last state, the
    conversions and non-conversions absorbed there. Two path sets with equal counts give equal
    removal effects, so a training can grow by adding journeys instead of being rebuilt."""

    moves: dict[tuple[str | None, str], int] = field(default_factory=dict)
    ends: dict[str | None, tuple[int, int]] = field(default_factory=dict)

    def add(self, path: Sequence[str], conversions: int, nulls: int) -> None:
        weight = conversions + nulls
        if not weight:
            return
        states: list[str | None] = [None, *path]
        for here, there in pairwise(states):
            assert there is not None
            self.moves[here, there] = self.moves.get((here, there), 0) + weight
        c, u = self.ends.get(states[-1], (0, 0))
        self.ends[states[-1]] = (c + conversions, u + nulls)

    def copy(self) -> "ChainCounts":
        return ChainCounts(dict(self.moves), dict(self.ends))

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(sorted({there for _, there in self.moves}))

    @property
    def conversions(self) -> int:
        return sum(c for c, _ in self.ends.values())

    @property
    def journeys(self) -> int:
        return sum(c + u for c, u in self.ends.values())

    def canonical(self) -> dict[str, Any]:
        """Sorted lists (the start written as null), for a digest of the training."""
        return {
            "moves": sorted(([h, t, n] for (h, t), n in self.moves.items()), key=_state_order),
            "ends": sorted(([s, c, u] for s, (c, u) in self.ends.items()), key=_state_order),
        }


def _state_order(row: list[Any]) -> tuple[Any, ...]:
    return tuple((v is not None, v) for v in row)


def chain_counts(paths: Iterable[PathCount]) -> ChainCounts:
    counts = ChainCounts()
    for p in paths:
        counts.add(p.path, p.conversions, p.nulls)
    return counts


def removal_effects(paths: Iterable[PathCount]) -> MarkovResult:
    """Removal effect and revenue share of every channel seen in `paths`."""
    return chain_removal_effects(chain_counts(paths))


def chain_removal_effects(counts: ChainCounts) -> MarkovResult:
    """Removal effect and revenue share of every channel of the chain."""
    channels = counts.channels
    conversions = counts.conversions
    journeys = counts.journeys
    observed = Fraction(conversions, journeys) if journeys else Fraction(0)
    if not conversions:
        zeros = dict.fromkeys(channels, Fraction(0))
        return MarkovResult(channels, Fraction(0), observed, zeros, dict(zeros))
    matrix, converted = _system(counts, channels)
    everything = list(range(len(matrix)))
    probability = _start_probability(matrix, converted, everything)
    effects = {
        channel: 1
        - _start_probability(matrix, converted, everything[:i] + everything[i + 1 :]) / probability
        for i, channel in enumerate(channels, start=1)
    }
    total = sum(effects.values(), Fraction(0))
    shares = {c: (e / total if total else Fraction(0)) for c, e in effects.items()}
    return MarkovResult(channels, probability, observed, effects, shares)


def _system(counts: ChainCounts, channels: tuple[str, ...]) -> tuple[list[list[int]], list[int]]:
    """(T - C, conv) over the transient states: 0 is the start, i + 1 is channels[i]."""
    index: dict[str | None, int] = {channel: i for i, channel in enumerate(channels, start=1)}
    index[None] = 0
    size = len(channels) + 1
    matrix = [[0] * size for _ in range(size)]
    converted = [0] * size
    for (here, there), weight in counts.moves.items():
        matrix[index[here]][index[here]] += weight
        matrix[index[here]][index[there]] -= weight
    for last, (c, u) in counts.ends.items():
        matrix[index[last]][index[last]] += c + u  # c to CONV and u to NULL leave the chain
        converted[index[last]] += c
    return matrix, converted


def _start_probability(matrix: list[list[int]], rhs: list[int], keep: list[int]) -> Fraction:
    """x_start of the system restricted to the states in `keep` (which starts with 0)."""
    system = [[matrix[i][j] for j in keep] for i in keep]
    replaced = [[rhs[i], *row[1:]] for i, row in zip(keep, system, strict=True)]
    return Fraction(_determinant(replaced), _determinant(system))


def _determinant(rows: list[list[int]]) -> int:
    """Bareiss' fraction-free elimination: every division is exact, so integers stay integers."""
    m = [row[:] for row in rows]
    n = len(m)
    sign, previous = 1, 1
    for k in range(n - 1):
        if m[k][k] == 0:
            swap = next((i for i in range(k + 1, n) if m[i][k]), None)
            if swap is None:
                return 0
            m[k], m[swap] = m[swap], m[k]
            sign = -sign
        pivot = m[k][k]
        for i in range(k + 1, n):
            row, factor = m[i], m[i][k]
            top = m[k]
            for j in range(k + 1, n):
                row[j] = (row[j] * pivot - factor * top[j]) // previous
        previous = pivot
    return sign * m[n - 1][n - 1]
