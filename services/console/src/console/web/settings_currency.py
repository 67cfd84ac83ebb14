"""Settings: the exchange rates attribution's reports convert deals with (a deal won in another
currency than the report's is converted at the rate in effect on its close date). A report
that lacks a rate links here with the pair and date filled in."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from console.web.context import context
from console.web.guard import CheckedMember, Member
from console.web.settings import back_to, settings_page

router = APIRouter(prefix="/settings/currency", tags=["settings"])

RATES = "/v1/settings/currency-rates"
#: As typed; attribution checks codes, the rate and the date and names what it refuses.
Code = Annotated[str, Form(max_length=8)]
Text = Annotated[str, Form(max_length=40)]


@router.get("", response_class=HTMLResponse, summary="Exchange rates")
async def currency(
    request: Request,
    member: Member,
    base: str = "",
    quote: str = "",
    effective_from: str = "",
) -> Response:
    found = await context(request).api.get(member, "attribution", RATES)
    return settings_page(
        request,
        "currency",
        rates=found["rates"],
        report_currency=member.currency,
        draft={
            "base": base.upper()[:3],
            "quote": (quote or member.currency).upper()[:3],
            "effective_from": effective_from[:10],
        },
    )


@router.post("", summary="Add a rate, or replace a pair's rate of the same day")
async def save_rate(
    request: Request,
    member: CheckedMember,
    base: Code,
    quote: Code,
    rate: Text,
    effective_from: Text,
) -> Response:
    body = {
        "rates": [
            {
                "base": base.strip().upper(),
                "quote": quote.strip().upper(),
                "rate": rate.strip(),
                "effective_from": effective_from.strip(),
            }
        ]
    }
    await context(request).api.call(member, "PUT", "attribution", RATES, json=body)
    return back_to(request, "/settings/currency?saved=rate")
