"""Markov's training set by day: the journeys closed before the deal's conversion day (UTC),
the same for every deal won that day, whatever the order or batching they arrive in."""

import random
from datetime import UTC, datetime, timedelta, timezone

from attribution.domain.deal_runs import ModelsAsOf
from attribution.domain.markov import chain_counts, chain_removal_effects, removal_effects
from attribution.domain.models import ScoreModel
from attribution.domain.paths import PathCount, path_counts
from attribution.domain.settings import RunSettings
from attribution.domain.shapley import channel_shapley
from attribution.domain.training import (
    ClosedJourney,
    training_as_of,
    training_cutoff,
    trainings,
)
from attribution.domain.weighting import ModelName

DAY = datetime(2026, 11, 25, tzinfo=UTC)


def test_the_cutoff_is_the_start_of_the_conversions_utc_day() -> None:
    new_york = timezone(timedelta(hours=-5))
    assert training_cutoff(datetime(2026, 11, 25, 23, 30, tzinfo=new_york)) == DAY + timedelta(
        days=1
    )
    assert training_cutoff(DAY) == DAY
    assert training_cutoff(DAY + timedelta(hours=23, minutes=59)) == DAY


def test_a_deal_learns_from_the_journeys_closed_before_its_day_only() -> None:
    journeys = [
        ClosedJourney(("Phone",), True, DAY - timedelta(days=3)),
        ClosedJourney(("SMS", "Phone"), False, DAY - timedelta(microseconds=1)),
        ClosedJourney(("SMS",), True, DAY),  # the same day: not yet
        ClosedJourney(("Email",), True, DAY + timedelta(hours=5)),
        ClosedJourney((), False, DAY - timedelta(days=1)),  # no channel: nothing to learn
    ]
    morning = training_as_of(journeys, DAY + timedelta(hours=1))
    evening = training_as_of(reversed(journeys), DAY + timedelta(hours=22))
    assert morning == evening
    assert morning.chain == chain_counts(
        [PathCount(("Phone",), 1, 0), PathCount(("SMS", "Phone"), 0, 1)]
    )
    assert morning.canonical() == {
        "closed_before": "2026-11-25T00:00:00.000000+00:00",
        "journeys": 2,
        "conversions": 1,
        "digest": morning.digest,
    }
    later = training_as_of(journeys, DAY + timedelta(days=1))
    assert later.journeys == 4
    assert later.digest != morning.digest


def test_one_sweep_gives_what_training_each_day_from_scratch_gives() -> None:
    rng = random.Random(7)
    channels = ["Phone", "SMS", "Email", "Paid Search"]
    journeys = [
        ClosedJourney(
            tuple(rng.choice(channels) for _ in range(rng.randrange(0, 4))),
            rng.random() < 0.6,
            DAY + timedelta(hours=rng.randrange(0, 24 * 30)),
        )
        for _ in range(300)
    ]
    cutoffs = [DAY + timedelta(days=d) for d in range(0, 31, 3)]
    swept = trainings(journeys, reversed(cutoffs), channel_sets=True)
    for cutoff in cutoffs:
        before = [(j.path, j.converted) for j in journeys if j.closed_at < cutoff and j.path]
        trained = swept[cutoff]
        assert trained.journeys == len(before)
        assert trained.chain == chain_counts(path_counts(before))
        assert chain_removal_effects(trained.chain) == removal_effects(path_counts(before))
        assert trained.channel_sets is not None
        assert channel_shapley(trained.channel_sets) == channel_shapley(path_counts(before))


def test_every_deal_of_a_day_gets_the_same_model_whatever_is_asked_first() -> None:
    journeys = [
        ClosedJourney(("Phone",), True, DAY - timedelta(days=2)),
        ClosedJourney(("SMS",), False, DAY - timedelta(days=2)),
        ClosedJourney(("SMS",), True, DAY + timedelta(hours=2)),
    ]
    settings = RunSettings(models=(ModelName.MARKOV, ModelName.LINEAR))
    together = ModelsAsOf(settings, journeys)
    together.prepare([DAY + timedelta(hours=9), DAY + timedelta(days=1)])
    apart = ModelsAsOf(settings, journeys)
    late = apart.of(DAY + timedelta(days=1, hours=3))
    early = apart.of(DAY + timedelta(hours=1))
    assert early == together.of(DAY + timedelta(hours=23))
    assert late == together.of(DAY + timedelta(days=1))
    (markov,) = [m for m in early if m.name is ModelName.MARKOV]
    assert isinstance(markov, ScoreModel)
    assert markov.params()["training"]["journeys"] == 2
    assert markov.scores == {"Phone": 1, "SMS": 0}
    (markov_later,) = [m for m in late if m.name is ModelName.MARKOV]
    assert markov_later.params()["training"]["journeys"] == 3
