"""The test vectors of shared/research/attribution.md §8, verbatim, through a whole run."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from attribution.domain.default_channels import default_rule_set
from attribution.domain.models import STANDARD_MODELS
from attribution.domain.money import from_minor_units, to_minor_units
from attribution.domain.run import AttributionRun, RunInput, compute_run
from attribution.domain.touches import ActivityType, Touch
from attribution.domain.weighting import Milestones, ModelName, Role

WON = datetime(2025, 6, 30, 12, tzinfo=UTC)
# Deal $10,000.00. Touches t1…t5 are at 30, 20, 10, 3 and 0 days before won_at.
JOURNEY = [
    ("t1", 30, "Paid Social"),  # first
    ("t2", 20, "Organic Search"),  # lead creation
    ("t3", 10, "Email"),
    ("t4", 3, "LinkedIn"),  # deal creation
    ("t5", 0, "Direct"),  # closed-won
]
MILESTONES = Milestones(
    lead_created_at=WON - timedelta(days=15),
    deal_created_at=WON - timedelta(days=2),
    won_at=WON,
)
VECTORS = """
first_touch      | 10000.00 | 0       | 0       | 0       | 0
last_touch       | 0        | 0       | 0       | 0       | 10000.00
last_non_direct  | 0        | 0       | 0       | 10000.00 | 0
linear           | 2000.00  | 2000.00 | 2000.00 | 2000.00 | 2000.00
position_based   | 4000.00  | 666.67  | 666.67  | 666.66  | 4000.00
j_shaped         | 2000.00  | 666.67  | 666.67  | 666.66  | 6000.00
inverse_j        | 6000.00  | 666.67  | 666.67  | 666.66  | 2000.00
w_shaped         | 3000.00  | 3000.00 | 500.00  | 3000.00 | 500.00
full_path        | 2250.00  | 2250.00 | 1000.00 | 2250.00 | 2250.00
time_decay       | 222.55   | 599.06  | 1612.56 | 3225.13 | 4340.70
"""
ROWS = [[cell.strip() for cell in line.split("|")] for line in VECTORS.strip().splitlines()]


def vector_run(model: ModelName) -> AttributionRun:
    touches = [
        Touch(tid, "buyer@acme.com", WON - timedelta(days=days), ActivityType.OTHER, channel)
        for tid, days, channel in JOURNEY
    ]
    value = to_minor_units(Decimal("10000.00"), "USD")
    return compute_run(
        RunInput(
            "deal-1",
            touches,
            WON,
            value,
            "USD",
            STANDARD_MODELS[model],
            default_rule_set(),
            MILESTONES,
        )
    )


@pytest.mark.parametrize("row", ROWS, ids=[row[0] for row in ROWS])
def test_reference_vector(row: list[str]) -> None:
    run = vector_run(ModelName(row[0]))
    assert [str(from_minor_units(t.minor_units, "USD")) for t in run.touches] == [
        str(Decimal(cell).quantize(Decimal("0.01"))) for cell in row[1:]
    ]
    assert sum(t.minor_units for t in run.touches) == 1_000_000
    assert sum(c.minor_units for c in run.channels) == 1_000_000
    assert sum(t.weight for t in run.touches) == 1


def test_every_rule_based_model_has_a_vector() -> None:
    assert {row[0] for row in ROWS} == set(STANDARD_MODELS)


def test_roles_and_reasons_of_the_w_shaped_vector() -> None:
    run = vector_run(ModelName.W_SHAPED)
    assert [t.roles for t in run.touches] == [
        (Role.FIRST,),
        (Role.LEAD_CREATION,),
        (Role.MIDDLE,),
        (Role.DEAL_CREATION,),
        (Role.MIDDLE,),
    ]
    assert [t.reason for t in run.touches] == [
        "first touch 30%",
        "lead creation 30%",
        "middle: 10% split over 2 touches",
        "deal creation 30%",
        "middle: 10% split over 2 touches",
    ]


def test_full_path_gives_the_won_touch_its_role() -> None:
    run = vector_run(ModelName.FULL_PATH)
    assert run.touches[-1].roles == (Role.CLOSED_WON,)
    assert run.touches[-1].raw_weight == run.touches[-1].weight == Fraction(9, 40)
