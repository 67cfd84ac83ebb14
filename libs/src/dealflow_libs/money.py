"""Money amounts: one rounding rule for every service that stores or computes them."""

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
