"""Credited deals summed as fixed-point bounds: enough to round exactly, without exact sums.

A channel's credited deals are a sum of exact fractions, one weight per deal. Under linear the
weights share a few denominators; under time_decay and markov nearly every deal has its own, and
the exact sum of 10,000 of them has tens of thousands of digits: seconds to add up, and nothing
a reader can use. A report shows the sum rounded to `CREDIT_PLACES` decimals and the average deal
value rounded to a minor unit (both half to even), and those need only bounds on the sum.

Each weight w is kept as floor(w * SCALE) and whether that floor is exact. Summed, they bound the
exact sum S: floor <= S * SCALE < floor + inexact (equal when inexact is 0). Rounding is monotone,
so when both ends of the bounds round alike, that is the rounding of S itself; otherwise (S within
inexact * 10^-18 of a rounding boundary, about one report in 10^6 under time_decay) the caller
sums that channel exactly (`settle`).
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TypeVar

SCALE = 10**18
CREDIT_PLACES = 6
_PLACES = 10**CREDIT_PLACES

_Rounded = TypeVar("_Rounded")


@dataclass(frozen=True, slots=True)
class CreditBounds:
    """Σ floor(w * SCALE) over some weights w, and how many of them were not exact."""

    floor: int = 0
    inexact: int = 0

    @classmethod
    def of(cls, weight: Fraction) -> "CreditBounds":
        floor, rest = divmod(weight.numerator * SCALE, weight.denominator)
        return cls(floor, 1 if rest else 0)

    def __add__(self, other: "CreditBounds") -> "CreditBounds":
        return CreditBounds(self.floor + other.floor, self.inexact + other.inexact)

    def __neg__(self) -> "CreditBounds":
        """What taking these weights out of a sum adds (each weight's floor is its own)."""
        return CreditBounds(-self.floor, -self.inexact)

    @property
    def exact(self) -> Fraction | None:
        """The sum itself when every weight was exact at SCALE."""
        return Fraction(self.floor, SCALE) if not self.inexact else None

    def decide(self, rounding: Callable[[Fraction], _Rounded]) -> tuple[bool, _Rounded | None]:
        """(True, rounding(S)) when the bounds settle it, else (False, None). `rounding` must be
        monotone (non-decreasing or non-increasing) on [0, inf)."""
        low = rounding(Fraction(self.floor, SCALE))
        if not self.inexact:
            return True, low
        high = rounding(Fraction(self.floor + self.inexact, SCALE))
        return (True, low) if low == high else (False, None)


def round_credit(credit: Fraction) -> Decimal:
    """Credited deals as shown: `CREDIT_PLACES` decimals, half to even."""
    return Decimal(round(credit * _PLACES)).scaleb(-CREDIT_PLACES)


def average_deal(value_minor: int) -> Callable[[Fraction], int | None]:
    """value / credited deals in minor units, half to even; None for no credit. Non-increasing in
    the credit for a non-negative value, except at 0, where the bounds cannot settle it (the
    lower end 0 gives None, any upper end a number)."""

    def rounding(credit: Fraction) -> int | None:
        return round(value_minor / credit) if credit else None

    return rounding
