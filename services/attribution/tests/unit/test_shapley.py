"""Exact Shapley values: a textbook game, the reference example, the equal-split identity."""

import random
from fractions import Fraction as F

import pytest

from attribution.domain.paths import PathCount
from attribution.domain.shapley import (
    MAX_SHAPLEY_GROUPS,
    TooManyChannelGroups,
    channel_shapley,
    shapley_values,
)


def test_the_glove_game() -> None:
    # One left glove (L), two right gloves: a pair is worth 1. Hand-checked: L gets 2/3.
    players = ["L", "R1", "R2"]
    worth = [0] * 8
    for mask in range(8):
        worth[mask] = int(bool(mask & 1) and bool(mask & 6))
    assert shapley_values(players, worth) == {"L": F(2, 3), "R1": F(1, 6), "R2": F(1, 6)}


def test_the_reference_example() -> None:
    paths = [
        PathCount(("A", "B"), 1, 0),
        PathCount(("A",), 0, 1),
        PathCount(("B",), 1, 1),
        PathCount(("A", "C", "B"), 1, 0),
        PathCount(("C",), 0, 2),
        PathCount(("C", "A"), 1, 0),
    ]
    result = channel_shapley(paths)
    # Hand check: each converting journey split equally among its distinct channels.
    # A: 1/2 (A,B) + 1/3 (A,C,B) + 1/2 (C,A); B: 1/2 + 1 + 1/3; C: 1/3 + 1/2.
    assert result.values == {"A": F(4, 3), "B": F(11, 6), "C": F(5, 6)}
    assert sum(result.values.values()) == 4  # efficiency: v(N) = all conversions
    assert result.shares == {"A": F(1, 3), "B": F(11, 24), "C": F(5, 24)}


def test_equals_the_equal_split_over_random_data() -> None:
    rng = random.Random(11)
    for _ in range(100):
        paths = [
            PathCount(
                tuple(rng.choice("ABCDEFG") for _ in range(rng.randint(1, 5))),
                rng.randint(0, 3),
                rng.randint(0, 3),
            )
            for _ in range(rng.randint(1, 10))
        ]
        expected: dict[str, F] = {}
        for p in paths:
            distinct = set(p.path)
            for channel in distinct:
                expected[channel] = expected.get(channel, F(0)) + F(p.conversions, len(distinct))
        assert channel_shapley(paths).values == expected


def test_non_converting_channels_are_null_players_outside_the_limit() -> None:
    converting = [PathCount((f"C{i:02d}",), 1, 0) for i in range(MAX_SHAPLEY_GROUPS)]
    losing = [PathCount((f"N{i:02d}",), 0, 1) for i in range(5)]
    result = channel_shapley([*converting, *losing])
    assert len(result.channels) == 21
    assert {result.values[f"N{i:02d}"] for i in range(5)} == {0}
    assert {result.values[f"C{i:02d}"] for i in range(16)} == {1}


def test_more_than_sixteen_groups_is_a_clear_error() -> None:
    paths = [PathCount(tuple(f"C{i:02d}" for i in range(17)), 1, 0)]
    with pytest.raises(TooManyChannelGroups, match="17 channel groups exceed the limit of 16"):
        channel_shapley(paths)
    with pytest.raises(TooManyChannelGroups) as raised:
        shapley_values([str(i) for i in range(17)], [0] * (1 << 17))
    assert (raised.value.count, raised.value.limit) == (17, 16)
    assert isinstance(raised.value, ValueError)


def test_worth_needs_one_value_per_coalition() -> None:
    with pytest.raises(ValueError, match="one value per coalition"):
        shapley_values(["A", "B"], [0, 1, 1])
