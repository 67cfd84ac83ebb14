"""Pages and fragments from the Jinja2 templates, with what every page shows."""

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from importlib.resources import files
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from console.signin import CSRF_FIELD
from dealflow_libs.money import from_minor_units, minor_unit_exponent

templates = Jinja2Templates(directory=str(files("console").joinpath("templates")))


def money(value: Any, currency: str | None = None) -> str:
    """1234.5 -> '1,234.50 EUR' ('-' when there is no value)."""
    if value is None or value == "":
        return "-"
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    text = f"{amount:,.2f}"
    return f"{text} {currency}" if currency else text


def label(value: Any) -> str:
    """'closed_won' -> 'Closed won'."""
    text = str(value or "").replace("_", " ")
    return text[:1].upper() + text[1:]


def when(value: Any, seconds: bool = False) -> str:
    """An ISO instant as 'YYYY-MM-DD HH:MM UTC' (with seconds for timelines, where many
    things happen in one minute)."""
    if not value:
        return "-"
    at = datetime.fromisoformat(str(value)) if not isinstance(value, datetime) else value
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC" if seconds else "%Y-%m-%d %H:%M UTC")


def days_since(value: Any) -> int | None:
    if not value:
        return None
    at = datetime.fromisoformat(str(value)) if not isinstance(value, datetime) else value
    return max(0, (datetime.now(UTC) - at).days)


def minor(units: Any, currency: str) -> str:
    """Minor units of `currency` (as attribution answers them) as money: 123456, EUR -> '1,234.56
    EUR'; JPY has no minor unit."""
    if units is None:
        return "-"
    places = minor_unit_exponent(currency)
    return f"{from_minor_units(int(units), currency):,.{places}f} {currency}"


def basis_points(value: Any) -> str:
    """1234 -> '12.3 %' ('-' when the rate is undefined, 0/0)."""
    return "-" if value is None else f"{int(value) / 100:.1f} %"


def fraction(value: Any) -> str:
    """0.8 -> '80.0 %' ('-' when the rate is undefined)."""
    return "-" if value is None else f"{float(value) * 100:.1f} %"


templates.env.filters.update(
    money=money,
    label=label,
    when=when,
    days_since=days_since,
    minor=minor,
    basis_points=basis_points,
    fraction=fraction,
)


def page(request: Request, name: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    signin = getattr(request.state, "signin", None)
    values.setdefault("signin", signin)
    values.setdefault("csrf_field", CSRF_FIELD)
    values.setdefault("csrf_token", signin.csrf_token if signin else "")
    values.setdefault("refresh_seconds", request.app.state.console.settings.refresh_seconds)
    return templates.TemplateResponse(request, name, values, status_code=status_code)
