"""The tenant's exchange rates, which reports use to convert each deal at its close date."""

from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field, field_validator, model_validator

from attribution.api.deps import Ctx, Tenant
from attribution.domain.currency import CurrencyRate
from attribution.reporting import currency_rates, put_currency_rates
from dealflow_schemas.bounded import Day

router = APIRouter(prefix="/v1/settings/currency-rates", tags=["settings"])

Code = Annotated[str, Field(pattern="^[A-Z]{3}$", description="ISO 4217 code, e.g. EUR.")]
#: Rates one PUT takes: far more pairs and dates than a tenant keeps, small enough to answer fast.
MAX_RATES = 1_000


class RateIn(BaseModel):
    base: Code
    quote: Code
    rate: str = Field(
        max_length=40,
        description='1 base = rate quote, a positive decimal string (e.g. "1.0842"); at most '
        "12 digits before the point and 18 after.",
        examples=["1.0842"],
    )
    effective_from: Day = Field(description="The first day the rate applies (UTC dates).")

    @field_validator("rate")
    @classmethod
    def _positive_decimal(cls, text: str) -> str:
        try:
            value = Decimal(text)
        except ArithmeticError:
            raise ValueError("must be a decimal number written as a string") from None
        if not value.is_finite() or value <= 0:
            raise ValueError("must be a positive number")
        _, digits, exponent = value.as_tuple()
        assert isinstance(exponent, int)  # finite
        if -exponent > 18 or len(digits) + exponent > 12:
            raise ValueError("at most 12 digits before the point and 18 after")
        return text

    @model_validator(mode="after")
    def _two_currencies(self) -> "RateIn":
        if self.base == self.quote:
            raise ValueError("base and quote must differ")
        return self

    def domain(self) -> CurrencyRate:
        return CurrencyRate(self.base, self.quote, Decimal(self.rate), self.effective_from)


class RatesIn(BaseModel):
    rates: list[RateIn] = Field(
        max_length=MAX_RATES, description=f"At most {MAX_RATES:,} rates a request."
    )


class RateOut(BaseModel):
    base: str
    quote: str
    rate: str = Field(description="Exact decimal, trailing zeros dropped.")
    effective_from: date


class RatesOut(BaseModel):
    rates: list[RateOut] = Field(description="By base, quote and date.")


def _out(rates: list[CurrencyRate]) -> RatesOut:
    return RatesOut(
        rates=[
            RateOut(
                base=r.base,
                quote=r.quote,
                rate=format(r.rate.normalize(), "f"),
                effective_from=r.effective_from,
            )
            for r in rates
        ]
    )


@router.get("", response_model=RatesOut)
async def get_currency_rates(tenant: Tenant, ctx: Ctx) -> RatesOut:
    """Every rate of the tenant."""
    return _out(await currency_rates(ctx.uow(), tenant))


@router.put("", response_model=RatesOut)
async def put_rates(body: RatesIn, tenant: Tenant, ctx: Ctx) -> RatesOut:
    """Adds rates, or replaces a pair's rate of the same effective date (others are kept).
    A report converts a deal with the latest rate effective on or before its close date; when
    only the inverse pair is known its exact inverse (1/rate) is used."""
    return _out(await put_currency_rates(ctx.uow(), tenant, [r.domain() for r in body.rates]))
