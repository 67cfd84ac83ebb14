"""Business rules with one home in libs: cents rounding and CRM name keys."""

from decimal import Decimal

import pytest

from dealflow_libs.crm import crm_key
from dealflow_libs.money import cents_or_none, to_cents


class TestCents:
    @pytest.mark.parametrize(
        ("value", "cents"),
        [
            (Decimal("48000"), Decimal("48000.00")),
            (Decimal("0.125"), Decimal("0.12")),  # half to even
            (Decimal("0.135"), Decimal("0.14")),
            (Decimal("-2.005"), Decimal("-2.00")),
            (19.99, Decimal("19.99")),  # the float's shortest repr, not its binary expansion
            (0.1 + 0.2, Decimal("0.30")),
            (7, Decimal("7.00")),
        ],
    )
    def test_rounds_to_the_cent(self, value: Decimal | float, cents: Decimal) -> None:
        rounded = to_cents(value)
        assert rounded == cents
        assert rounded.as_tuple().exponent == -2

    def test_floats_and_decimals_of_the_same_amount_agree(self) -> None:
        # Deals rounded API values (Decimal) and meeting outcomes' deal_value (float) separately.
        assert to_cents(1234.565) == to_cents(Decimal("1234.565"))

    def test_none_stays_none(self) -> None:
        assert cents_or_none(None) is None
        assert cents_or_none(Decimal("1.005")) == Decimal("1.00")


class TestCrmKey:
    @pytest.mark.parametrize("name", ["Closed Won", " closed won ", "CLOSED WON\t", "closed won"])
    def test_spellings_of_one_name_share_a_key(self, name: str) -> None:
        assert crm_key(name) == "closed won"

    def test_inner_spaces_are_part_of_the_name(self) -> None:
        assert crm_key("needs analysis") != crm_key("needsanalysis")
