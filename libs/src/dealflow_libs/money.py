"""Money amounts: one rounding rule for every service that stores or computes them."""

import re
from decimal import ROUND_HALF_EVEN, Decimal

CENT = Decimal("0.01")


def to_cents(value: Decimal | float | int) -> Decimal:
    """`value` rounded to the cent, half to even (banker's rounding, as Decimal does by default).

    Floats go through their shortest repr, so 19.99 is 19.99 and not 19.989999999999998...
    """
    amount = value if isinstance(value, Decimal) else Decimal(str(value))
    return amount.quantize(CENT, rounding=ROUND_HALF_EVEN)


def cents_or_none(value: Decimal | float | int | None) -> Decimal | None:
    return None if value is None else to_cents(value)


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
