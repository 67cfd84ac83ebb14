"""A tenant's attribution settings: defaults, stored form, validation, and the runs using them."""

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest

from attribution.domain.deal_runs import DealFacts, channel_path, deal_inputs, enabled_models
from attribution.domain.default_channels import default_rule_set
from attribution.domain.models import CustomModel, ScoreModel, TimeDecay, UnavailableModel
from attribution.domain.run import compute_run
from attribution.domain.settings import (
    DEFAULT_MODELS,
    CustomWeights,
    RunSettings,
    SettingsError,
    number_text,
)
from attribution.domain.shapley import MAX_SHAPLEY_GROUPS
from attribution.domain.touches import ActivityType, Touch, Window
from attribution.domain.training import ClosedJourney, Training, training_as_of
from attribution.domain.weighting import Milestones, ModelName, Role

WON = datetime(2026, 11, 25, tzinfo=UTC)


def trained(*journeys: tuple[list[str], bool]) -> Training:
    """The training of a deal won on WON's day over these journeys, closed the day before."""
    closed = WON - timedelta(days=1)
    found = [ClosedJourney(tuple(p), won, closed) for p, won in journeys]
    return training_as_of(found, WON, channel_sets=True)


class TestDefaults:
    def test_nothing_stored_is_the_documented_defaults(self) -> None:
        settings = RunSettings.from_stored({})
        assert settings == RunSettings()
        assert settings.models == DEFAULT_MODELS
        assert ModelName.MARKOV in settings.models
        assert ModelName.CUSTOM not in settings.models
        assert ModelName.SHAPLEY not in settings.models
        assert settings.half_life == timedelta(days=7)
        assert settings.window == Window(90, frozenset({ActivityType.EMAIL_OPENED}))
        assert settings.custom_weights is None

    def test_other_services_keys_and_unknown_keys_are_ignored(self) -> None:
        assert RunSettings.from_stored({"something_else": 1}) == RunSettings()


class TestStoredForm:
    def test_round_trip(self) -> None:
        settings = RunSettings(
            models=(ModelName.CUSTOM, ModelName.LINEAR, ModelName.SHAPLEY, ModelName.TIME_DECAY),
            half_life_days=Fraction(3, 2),
            custom_weights=CustomWeights(
                {"first": Fraction(2, 5), "middle": Fraction(1, 5), "last": Fraction(2, 5)},
                {ActivityType.EMAIL_SENT: Fraction(1, 2)},
            ),
            window=Window(0, frozenset()),
        )
        stored = settings.to_stored()
        assert stored == {
            # One order whatever the tenant wrote (ModelName's).
            "models": ["linear", "time_decay", "custom", "shapley"],
            "time_decay_half_life_days": "1.5",
            "custom_weights": {
                "roles": {"first": "0.4", "last": "0.4", "middle": "0.2"},
                "activity_types": {"email_sent": "0.5"},
            },
            "lookback_days": 0,
            "ignored_activity_types": [],
        }
        assert RunSettings.from_stored(stored) == settings

    def test_numbers_are_read_exactly(self) -> None:
        assert number_text(Fraction(1, 3)) == "1/3"
        assert number_text(Fraction(7)) == "7"
        assert number_text(Fraction(1, 8)) == "0.125"
        weights = CustomWeights.from_stored({"roles": {"first": 0.1, "last": "1/3"}})
        assert weights.roles == {"first": Fraction(1, 10), "last": Fraction(1, 3)}


class TestValidation:
    @pytest.mark.parametrize(
        ("stored", "message"),
        [
            ({"models": []}, "models: enable at least one model"),
            ({"models": ["nope"]}, "models: 'nope' is not a model"),
            ({"models": ["custom"]}, "models: custom is enabled but custom_weights are not set"),
            ({"time_decay_half_life_days": 0}, "time_decay_half_life_days: must be between"),
            ({"time_decay_half_life_days": "x"}, "time_decay_half_life_days: must be a finite"),
            ({"time_decay_half_life_days": 4000}, "time_decay_half_life_days: must be between"),
            ({"lookback_days": -1}, "lookback_days: must be 0 (no limit) to 36500 days"),
            ({"lookback_days": 1.5}, "lookback_days: must be whole days"),
            ({"ignored_activity_types": ["fax"]}, "ignored_activity_types: 'fax' is not an"),
            ({"custom_weights": {"roles": {}}}, "custom_weights.roles: give at least one"),
            (
                {"custom_weights": {"roles": {"first": -1, "last": 2}}},
                "custom_weights.roles.first: must not be negative",
            ),
            (
                {"custom_weights": {"roles": {"first": 0, "middle": 0}}},
                "custom_weights.roles: the weights must sum to more than 0",
            ),
            (
                {"custom_weights": {"roles": {"second": 1}}},
                "custom_weights.roles.second: not a role",
            ),
            (
                {"custom_weights": {"roles": {"first": 1}, "activity_types": {"call": -1}}},
                "custom_weights.activity_types.call: must not be negative",
            ),
            (
                {"custom_weights": {"roles": {"first": 1}, "activity_types": {"fax": 1}}},
                "custom_weights.activity_types.fax: not an activity type",
            ),
        ],
    )
    def test_each_problem_names_its_field(self, stored: dict[str, object], message: str) -> None:
        with pytest.raises(SettingsError) as raised:
            RunSettings.from_stored(stored)
        assert str(raised.value).startswith(message)


TOUCHES = [
    Touch("old", "x@c.com", WON - timedelta(days=40), ActivityType.CALL),
    Touch("opened", "x@c.com", WON - timedelta(days=9), ActivityType.EMAIL_OPENED),
    Touch("sent", "y@c.com", WON - timedelta(days=7), ActivityType.EMAIL_SENT),
    Touch("call", "y@c.com", WON, ActivityType.CALL),
]
FACTS = DealFacts("d", 1000, "USD", WON, Milestones(won_at=WON))


class TestRunsUseTheSettings:
    def test_window_decides_eligibility_and_the_training_path(self) -> None:
        rules = default_rule_set()
        default = RunSettings()
        assert channel_path(TOUCHES, rules, WON, default.window) == [
            "Phone",
            "Outbound Email",
            "Phone",
        ]
        tight = RunSettings.from_stored({"lookback_days": 30, "ignored_activity_types": []})
        assert channel_path(TOUCHES, rules, WON, tight.window) == [
            "Outbound Email",
            "Outbound Email",
            "Phone",
        ]
        (run,) = [
            *map(
                compute_run,
                deal_inputs(
                    FACTS,
                    TOUCHES,
                    rules,
                    enabled_models(RunSettings(models=(ModelName.LINEAR,), window=tight.window)),
                    tight.window,
                ),
            )
        ]
        assert [t.touch_id for t in run.touches] == ["opened", "sent", "call"]
        assert run.window.canonical() == {"lookback_days": 30, "ignored_activity_types": []}

    def test_half_life_is_the_tenants_and_recorded(self) -> None:
        stored = {"models": ["time_decay"], "lookback_days": 30}
        settings = RunSettings.from_stored({**stored, "time_decay_half_life_days": 7})
        (model,) = enabled_models(settings)
        assert model == TimeDecay(timedelta(days=7))
        (run,) = [
            *map(
                compute_run,
                deal_inputs(FACTS, TOUCHES, default_rule_set(), [model], settings.window),
            )
        ]
        # A touch one half-life old gets half the weight of one at the conversion.
        assert {t.touch_id: t.minor_units for t in run.touches} == {"sent": 333, "call": 667}
        faster = RunSettings.from_stored({**stored, "time_decay_half_life_days": 1})
        (model,) = enabled_models(faster)
        (run,) = [
            *map(
                compute_run, deal_inputs(FACTS, TOUCHES, default_rule_set(), [model], faster.window)
            )
        ]
        assert run.params == {"half_life_days": "1/1"}
        assert {t.touch_id: t.minor_units for t in run.touches} == {"sent": 8, "call": 992}

    def test_custom_weights_become_the_custom_model(self) -> None:
        stored = {
            "models": ["custom"],
            "custom_weights": {
                "roles": {"first": 30, "last": 50, "middle": 20},
                "activity_types": {"email_sent": 0},
            },
        }
        (model,) = enabled_models(RunSettings.from_stored(stored))
        assert model == CustomModel(
            {Role.FIRST: Fraction(3, 10), Role.LAST: Fraction(1, 2)},
            {ActivityType.EMAIL_SENT: Fraction(0)},
        )
        window = Window(30)
        (run,) = [
            *map(compute_run, deal_inputs(FACTS, TOUCHES, default_rule_set(), [model], window))
        ]
        assert run.params["role_weights"] == {"first": "3/10", "last": "1/2"}
        assert {t.touch_id: t.minor_units for t in run.touches} == {"sent": 0, "call": 1000}

    def test_shapley_runs_when_enabled(self) -> None:
        settings = RunSettings(models=(ModelName.SHAPLEY,))
        (model,) = enabled_models(settings, trained((["Phone"], True), (["Phone", "Email"], True)))
        assert isinstance(model, ScoreModel)
        assert model.scores == {"Email": Fraction(1, 4), "Phone": Fraction(3, 4)}

    def test_shapley_over_too_many_groups_is_a_recorded_unattributed_run(self) -> None:
        channels = [f"C{i}" for i in range(MAX_SHAPLEY_GROUPS + 1)]
        settings = RunSettings(models=(ModelName.SHAPLEY, ModelName.LINEAR))
        linear, shapley = enabled_models(settings, trained((channels, True)))
        assert isinstance(shapley, UnavailableModel)
        assert linear.name is ModelName.LINEAR
        (run,) = [
            *map(
                compute_run, deal_inputs(FACTS, TOUCHES, default_rule_set(), [shapley], Window(30))
            )
        ]
        assert run.unattributed_reason is not None
        assert "17 channel groups exceed the limit of 16" in run.unattributed_reason
        assert run.params == {"unavailable": run.unattributed_reason}
        assert [(c.channel, c.minor_units) for c in run.channels if c.minor_units] == [
            ("(unattributed)", 1000)
        ]
        assert all(t.minor_units == 0 for t in run.touches)

    def test_journeys_are_not_needed_without_a_trained_model(self) -> None:
        assert not RunSettings(models=(ModelName.LINEAR,)).needs_training
        assert RunSettings().needs_training
