"""Exact Markov removal effects: the reference example, flow conservation, the textbook solver."""

import random
from collections.abc import Sequence
from fractions import Fraction as F
from itertools import pairwise

from attribution.domain.markov import removal_effects
from attribution.domain.paths import PathCount, path_counts

# The reference's 6-journey example (§2.4): A>B conv; A null; B 1 conv/1 null; A>C>B conv;
# C 2 null; C>A conv.
EXAMPLE = [
    PathCount(("A", "B"), 1, 0),
    PathCount(("A",), 0, 1),
    PathCount(("B",), 1, 1),
    PathCount(("A", "C", "B"), 1, 0),
    PathCount(("C",), 0, 2),
    PathCount(("C", "A"), 1, 0),
]


def textbook(paths: Sequence[tuple[Sequence[str], int, int]], removed: str | None = None) -> F:
    """P(conv) from S via the fundamental matrix N = (I - Q)^-1 and B = N R, with Fractions on
    the row-normalised matrix, self-loops kept: an independent check of the module's solver."""
    states = ["S", *sorted({c for path, _, _ in paths for c in path})]
    at = {s: i for i, s in enumerate(states)}
    size = len(states)
    counts = [[F(0)] * (size + 2) for _ in range(size)]  # columns: states, CONV, NULL
    for path, conv, null in paths:
        walk = ["S", *path]
        for here, there in pairwise(walk):
            counts[at[here]][at[there]] += conv + null
        counts[at[walk[-1]]][size] += conv
        counts[at[walk[-1]]][size + 1] += null
    rows = [[c / sum(row) if sum(row) else F(0) for c in row] for row in counts]
    if removed is not None:
        for row in rows:
            row[size + 1] += row[at[removed]]
            row[at[removed]] = F(0)
    # Gauss-Jordan inverse of I - Q, then B = N R.
    a = [
        [(1 if i == j else 0) - rows[i][j] for j in range(size)]
        + [F(int(i == j)) for j in range(size)]
        for i in range(size)
    ]
    for col in range(size):
        pivot = next(r for r in range(col, size) if a[r][col] != 0)
        a[col], a[pivot] = a[pivot], a[col]
        a[col] = [v / a[col][col] for v in a[col]]
        for r in range(size):
            if r != col and a[r][col] != 0:
                a[r] = [v - a[r][col] * p for v, p in zip(a[r], a[col], strict=True)]
    fundamental = [row[size:] for row in a]
    return sum((fundamental[0][k] * rows[k][size] for k in range(size)), F(0))


def random_paths(rng: random.Random) -> list[tuple[tuple[str, ...], int, int]]:
    return [
        (
            tuple(rng.choice("ABCDE") for _ in range(rng.randint(0, 5))),
            rng.randint(0, 4),
            rng.randint(0, 4),
        )
        for _ in range(rng.randint(1, 12))
    ]


def test_the_reference_example() -> None:
    result = removal_effects(EXAMPLE)
    assert result.conversion_probability == result.observed_rate == F(1, 2)
    assert result.removal_effects == {"A": F(31, 64), "B": F(3, 4), "C": F(19, 64)}
    total = F(31 + 48 + 19, 64)
    assert result.shares == {"A": F(31, 64) / total, "B": F(3, 4) / total, "C": F(19, 64) / total}
    assert sum(result.shares.values()) == 1


def test_conversion_probability_equals_the_observed_rate_and_the_textbook_solution() -> None:
    rng = random.Random(2025)
    checked = 0
    for case in range(200):
        raw = random_paths(rng)
        result = removal_effects(PathCount(*p) for p in raw)
        conversions = sum(c for _, c, _ in raw)
        journeys = sum(c + u for _, c, u in raw)
        if not journeys:
            continue
        assert result.conversion_probability == F(conversions, journeys) == result.observed_rate
        if conversions and case < 50:  # the Fraction textbook solver is slow; 50 cases suffice
            for channel in result.channels:
                expected = 1 - textbook(raw, channel) / textbook(raw)
                assert result.removal_effects[channel] == expected
            checked += 1
    assert checked > 30


def test_without_conversions_every_effect_is_zero() -> None:
    result = removal_effects([PathCount(("A", "B"), 0, 3)])
    assert result.conversion_probability == 0
    assert result.removal_effects == result.shares == {"A": 0, "B": 0}
    assert removal_effects([]).channels == ()


def test_journeys_without_touches_count_in_the_rate() -> None:
    result = removal_effects([PathCount((), 1, 1), PathCount(("A",), 1, 1)])
    assert result.conversion_probability == F(1, 2)
    assert result.removal_effects == {"A": F(1, 2)}


def test_path_counts_aggregate_and_collapse_repeats() -> None:
    found = path_counts([(["A", "A", "B"], True), (["A", "B"], False), (["B"], True)])
    assert found == [PathCount(("A", "B"), 1, 1), PathCount(("B",), 1, 0)]


def test_output_is_sorted_and_exact_text() -> None:
    assert removal_effects(EXAMPLE).to_json() == (
        b'{"channels":["A","B","C"],"conversion_probability":"1/2","observed_rate":"1/2",'
        b'"removal_effects":{"A":"31/64","B":"3/4","C":"19/64"},'
        b'"shares":{"A":"31/98","B":"24/49","C":"19/98"}}'
    )
