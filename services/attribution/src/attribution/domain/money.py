"""Money in integer minor units, and splitting an amount by weights so the parts sum exactly.

Amounts are rounded to the currency's minor unit half to even, the rule of
`dealflow_libs.money.to_cents`, generalised from cents to the ISO 4217 exponent (JPY has none,
KWD three).
"""

import re
from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal

UNATTRIBUTED = "(unattributed)"
_CURRENCY = re.compile(r"^[A-Z]{3}$")

# ISO 4217 currencies whose minor unit is not 1/100 (everything else has two decimals).
MINOR_UNIT_EXPONENTS: dict[str, int] = {
    **dict.fromkeys(
        [
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    **dict.fromkeys(["CLF", "UYW"], 4),
}


def minor_unit_exponent(currency: str) -> int:
    if not _CURRENCY.match(currency):
        raise ValueError(f"currency must be an ISO 4217 code, got {currency!r}")
    return MINOR_UNIT_EXPONENTS.get(currency, 2)


def to_minor_units(amount: Decimal, currency: str) -> int:
    """`Decimal("100.005"), "USD"` -> 10000 (half to even); `Decimal("1500"), "JPY"` -> 1500."""
    exponent = minor_unit_exponent(currency)
    return int(amount.scaleb(exponent).to_integral_value(rounding=ROUND_HALF_EVEN))


def from_minor_units(units: int, currency: str) -> Decimal:
    exponent = minor_unit_exponent(currency)
    return Decimal(units).scaleb(-exponent)


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
