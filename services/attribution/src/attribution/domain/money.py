"""Money in integer minor units, and splitting an amount by weights so the parts sum exactly.

Amounts are rounded to the currency's minor unit half to even, the rule of
`dealflow_libs.money.to_cents`, generalised from cents to the ISO 4217 exponent (JPY has none,
KWD three).
"""

from collections.abc import Sequence

from dealflow_libs.money import (
    MINOR_UNIT_EXPONENTS,
    from_minor_units,
    minor_unit_exponent,
    to_minor_units,
)

__all__ = [
    "MINOR_UNIT_EXPONENTS",
    "UNATTRIBUTED",
    "allocate",
    "from_minor_units",
    "minor_unit_exponent",
    "to_minor_units",
]

UNATTRIBUTED = "(unattributed)"


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split `total` in proportion to non-negative integer `weights` by largest remainder.

    Each part is floor(total * w / sum(w)); the units left over go one each to the parts with
    the largest remainders, ties to the earlier index. Callers list the parts in their tie order
    (touches in (occurred_at, touch_id) order), so the result is fully determined.
    """
    if total < 0:
        raise ValueError("allocate splits a non-negative total")
    weight_sum = sum(weights)
    if weight_sum <= 0 or min(weights) < 0:
        raise ValueError("allocate needs non-negative weights with a positive sum")
    parts: list[int] = []
    remainders: list[int] = []
    for weight in weights:
        part, remainder = divmod(total * weight, weight_sum)
        parts.append(part)
        remainders.append(remainder)
    left = total - sum(parts)
    if left:
        ranked = sorted(range(len(parts)), key=lambda i: (-remainders[i], i))
        for index in ranked[:left]:
            parts[index] += 1
    return parts
