"""Exact Shapley values over channel groups (reference §2.3).

phi_i = sum over S not containing i of |S|! (n-|S|-1)! / n! * (v(S + i) - v(S)), enumerated over
all 2^n coalitions in integers (one division by n! at the end), so at most 16 groups.

Characteristic function (eeghor/mta's, the one the reference derives): v(S) = conversions of
the journeys whose set of distinct channels lies within S. Its Shapley value splits each
converting journey equally among its distinct channels; order and non-converting journeys do
not matter. Channels seen only in non-converting journeys are null players (exactly 0) and are
not enumerated, so they do not count towards the limit.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import factorial
from typing import Any

from attribution.domain.canonical import canonical_json, fraction_text
from attribution.domain.paths import PathCount

MAX_SHAPLEY_GROUPS = 16


class TooManyChannelGroups(ValueError):
    def __init__(self, count: int, limit: int = MAX_SHAPLEY_GROUPS) -> None:
        super().__init__(
            f"exact Shapley enumerates 2^n coalitions: {count} channel groups exceed the limit"
            f" of {limit}; merge channels into fewer groups"
        )
        self.count = count
        self.limit = limit


def shapley_values(players: Sequence[str], worth: Sequence[int | Fraction]) -> dict[str, Fraction]:
    """Shapley value of each player; worth[mask] = v(coalition), bit i set = players[i] in it."""
    n = len(players)
    if n > MAX_SHAPLEY_GROUPS:
        raise TooManyChannelGroups(n)
    if len(worth) != 1 << n:
        raise ValueError(f"worth needs one value per coalition: {1 << n}, got {len(worth)}")
    weights = [factorial(s) * factorial(n - s - 1) for s in range(n)]
    values: dict[str, Fraction] = {}
    for i, player in enumerate(players):
        bit = 1 << i
        total: int | Fraction = 0
        for mask in range(1 << n):
            if not mask & bit:
                total += weights[mask.bit_count()] * (worth[mask | bit] - worth[mask])
        values[player] = Fraction(total) / factorial(n)
    return values


@dataclass(frozen=True)
class ShapleyResult:
    channels: tuple[str, ...]
    values: dict[str, Fraction]  # sums to the number of conversions (efficiency)
    shares: dict[str, Fraction]

    def to_dict(self) -> dict[str, Any]:
        return {
            "channels": list(self.channels),
            "values": {c: fraction_text(v) for c, v in self.values.items()},
            "shares": {c: fraction_text(v) for c, v in self.shares.items()},
        }

    def to_json(self) -> bytes:
        return canonical_json(self.to_dict())


def channel_shapley(paths: Iterable[PathCount]) -> ShapleyResult:
    """Shapley value of each channel group for the conversions in `paths`."""
    paths = list(paths)
    channels = tuple(sorted({c for p in paths for c in p.path}))
    players = sorted({c for p in paths if p.conversions for c in p.path})
    if len(players) > MAX_SHAPLEY_GROUPS:
        raise TooManyChannelGroups(len(players))
    bits = {player: 1 << i for i, player in enumerate(players)}
    worth = [0] * (1 << len(players))
    for p in paths:
        if p.conversions:
            worth[sum({bits[c] for c in p.path})] += p.conversions
    for bit in bits.values():  # v(S) = sum over subsets T of S (zeta transform)
        for mask in range(len(worth)):
            if mask & bit:
                worth[mask] += worth[mask ^ bit]
    found = shapley_values(players, worth)
    values = {c: found.get(c, Fraction(0)) for c in channels}
    total = sum(values.values(), Fraction(0))
    shares = {c: (v / total if total else Fraction(0)) for c, v in values.items()}
    return ShapleyResult(channels, values, shares)
