"""A won deal's runs (one per enabled model) and the DealAttributed built from each."""

import uuid
from datetime import UTC, datetime, timedelta

from attribution.domain.deal_runs import (
    DEFAULT_MODELS,
    DealFacts,
    channel_path,
    deal_inputs,
    enabled_models,
)
from attribution.domain.default_channels import default_rule_set
from attribution.domain.run import compute_run
from attribution.domain.settings import RunSettings
from attribution.domain.touches import ActivityType, Touch
from attribution.domain.training import ClosedJourney, Training, training_as_of
from attribution.domain.weighting import Milestones, ModelName
from attribution.events import deal_attributed, deal_attribution_voided
from dealflow_schemas.attribution import DealAttributed, DealAttributionVoided

WON = datetime(2026, 11, 25, tzinfo=UTC)


def trained(*journeys: tuple[list[str], bool]) -> Training:
    """The training of a deal won on WON's day over these journeys, closed the day before."""
    closed = WON - timedelta(days=1)
    return training_as_of([ClosedJourney(tuple(p), won, closed) for p, won in journeys], WON)


PHONE_WON = (["Phone"], True)
TOUCHES = [
    Touch("a", "x@c.com", WON - timedelta(days=9), ActivityType.CALL),
    Touch("b", "y@c.com", WON - timedelta(days=2), ActivityType.EMAIL_REPLIED),
    Touch("late", "y@c.com", WON + timedelta(days=1), ActivityType.CALL),
]


def test_default_models_are_every_standard_rule_based_model_and_markov() -> None:
    models = enabled_models(RunSettings(), trained((["Phone"], True), (["Outbound Email"], False)))
    assert [m.name for m in models] == list(DEFAULT_MODELS)
    assert ModelName.MARKOV in DEFAULT_MODELS
    assert ModelName.CUSTOM not in DEFAULT_MODELS
    chosen = enabled_models(RunSettings(models=(ModelName.LINEAR,)))
    assert [m.name for m in chosen] == [ModelName.LINEAR]


def test_runs_split_the_value_exactly_and_path_is_the_eligible_channels() -> None:
    rules = default_rule_set()
    assert channel_path(TOUCHES, rules, WON) == ["Phone", "Outbound Email"]
    facts = DealFacts("d", 1001, "USD", WON, Milestones(won_at=WON))
    runs = [
        *map(
            compute_run,
            deal_inputs(
                facts, TOUCHES, rules, enabled_models(RunSettings(), trained((["Phone"], True)))
            ),
        )
    ]
    assert all(sum(c.minor_units for c in run.channels) == 1001 for run in runs)
    assert all([e.exclusion.touch.touch_id for e in run.excluded] == ["late"] for run in runs)


def test_deal_attributed_names_every_field() -> None:
    facts = DealFacts(str(uuid.uuid4()), 500, "EUR", WON, Milestones(won_at=WON))
    (run,) = [
        *map(
            compute_run,
            deal_inputs(
                facts,
                TOUCHES,
                default_rule_set(),
                enabled_models(RunSettings(models=(ModelName.LINEAR,))),
            ),
        )
    ]
    previous = uuid.uuid4()
    event = deal_attributed(
        "t", uuid.uuid4(), run, supersedes=previous, computed_at=WON, caused_by="e"
    )
    assert event.model_fields_set == set(DealAttributed.model_fields)
    assert (event.supersedes, event.model, event.value_minor, event.currency) == (
        previous,
        "linear",
        500,
        "EUR",
    )
    assert [(c.channel, c.minor_units, c.weight) for c in event.channels] == [
        ("Outbound Email", 250, "1/2"),
        ("Phone", 250, "1/2"),
    ]


def test_deal_attribution_voided_names_every_field() -> None:
    runs = [uuid.uuid4(), uuid.uuid4()]
    event = deal_attribution_voided(
        "t", uuid.uuid4(), runs, reason="deal reopened from won", voided_at=WON, caused_by="e"
    )
    assert event.model_fields_set == set(DealAttributionVoided.model_fields)
    assert event.run_ids == runs
