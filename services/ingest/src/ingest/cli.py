"""`dealflow`: tenants and their secrets, and signed sample webhooks for trying the gateway."""

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import httpx
import orjson
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from dealflow_libs.auth import new_api_key
from dealflow_libs.db import create_engine, session_factory
from dealflow_libs.secretbox import new_key_spec
from dealflow_schemas.tenants import DEFAULT_CURRENCY
from ingest import samples
from ingest.config import IngestSettings
from ingest.demo.load import DemoLoader, LoadFailed, LoadReport, Target, summary
from ingest.demo.plan import DemoPlan, plan_demo
from ingest.devseed import DEMO
from ingest.domain.signatures import signed_headers
from ingest.uow import IngestUnitOfWork
from ingest.use_cases import (
    NotFound,
    drop_previous_secrets,
    personal_domain_list,
    replace_personal_domains,
    reseal_secrets,
    save_tenant,
)

app = typer.Typer(help="Dealflow command line.", no_args_is_help=True)
tenants = typer.Typer(help="Create tenants and rotate their secrets.", no_args_is_help=True)
app.add_typer(tenants, name="tenants")
keys = typer.Typer(help="The key ring that seals stored credentials.", no_args_is_help=True)
app.add_typer(keys, name="keys")

T = TypeVar("T")


def _with_uow(action: Callable[[IngestUnitOfWork], Awaitable[T]]) -> T:
    async def main() -> T:
        settings = IngestSettings()
        engine = create_engine(settings.own_database_url, pool_size=1)
        try:
            return await action(IngestUnitOfWork(session_factory(engine), settings.secret_box()))
        finally:
            await engine.dispose()

    return asyncio.run(main())


def _secret(value: str | None, generate: bool, prefix: str) -> str | None:
    return value or (f"{prefix}_{secrets.token_urlsafe(24)}" if generate else None)


@tenants.command("create")
def create_tenant(
    tenant_id: str,
    name: Annotated[str | None, typer.Option(help="Display name")] = None,
    calcom_secret: Annotated[str | None, typer.Option(help="Cal.com webhook secret")] = None,
    calendly_secret: Annotated[str | None, typer.Option(help="Calendly signing key")] = None,
    api_key: Annotated[str | None, typer.Option(help="API key for the HTTP APIs")] = None,
    currency: Annotated[str, typer.Option(help="Default deal currency")] = DEFAULT_CURRENCY,
    personal_domain: Annotated[
        list[str] | None,
        typer.Option(help="A mailbox domain whose addresses are people, not companies (repeat)"),
    ] = None,
) -> None:
    """Create (or update) a tenant. Secrets not given are generated and printed once."""
    values = {
        "calcom_secret": calcom_secret or _secret(None, True, "cal"),
        "calendly_secret": calendly_secret or _secret(None, True, "cly"),
        "api_key": api_key or new_api_key(),
    }
    try:
        domains = None if personal_domain is None else personal_domain_list(personal_domain)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--personal-domain") from exc
    _with_uow(
        lambda uow: save_tenant(
            uow,
            tenant_id=tenant_id,
            name=name,
            default_currency=currency,
            personal_domains=domains,
            keep_previous=False,
            **values,
        )
    )
    typer.echo(f"tenant '{tenant_id}' saved")
    for key, value in values.items():
        typer.echo(f"  {key}: {value}")


@tenants.command("rotate")
def rotate(
    tenant_id: str,
    calcom: Annotated[bool, typer.Option("--calcom", help="New Cal.com secret")] = False,
    calendly: Annotated[bool, typer.Option("--calendly", help="New Calendly signing key")] = False,
    api_key: Annotated[bool, typer.Option("--api-key", help="New API key")] = False,
    value: Annotated[
        str | None, typer.Option(help="Use this value instead of generating one")
    ] = None,
) -> None:
    """Add a new secret; the previous one stays valid until `finish-rotation`."""
    if calcom + calendly + api_key != 1:
        raise typer.BadParameter("choose exactly one of --calcom, --calendly, --api-key")
    new = value or (new_api_key() if api_key else secrets.token_urlsafe(24))
    field = "calcom_secret" if calcom else "calendly_secret" if calendly else "api_key"
    changes: dict[str, Any] = {field: new}
    _with_uow(lambda uow: save_tenant(uow, tenant_id=tenant_id, **changes))
    typer.echo(
        f"{field} for '{tenant_id}': {new}\nthe previous one stays valid until finish-rotation"
    )


@tenants.command("personal-domains")
def personal_domains(
    tenant_id: str,
    domains: Annotated[
        list[str] | None, typer.Argument(help="The whole list (none: clear it)")
    ] = None,
) -> None:
    """Replace the tenant's personal mailbox domains; every service applies them."""
    try:
        tenant = _with_uow(lambda uow: replace_personal_domains(uow, tenant_id, domains or []))
    except (NotFound, ValueError) as exc:
        raise typer.BadParameter(str(exc)) from exc
    typer.echo(f"personal domains of '{tenant_id}': {', '.join(tenant.personal_domains) or '-'}")


@tenants.command("finish-rotation")
def finish_rotation(tenant_id: str) -> None:
    """Revoke the previous secrets and key: only the newest of each stays valid."""
    try:
        _with_uow(lambda uow: drop_previous_secrets(uow, tenant_id))
    except NotFound as exc:
        raise typer.BadParameter(str(exc)) from exc
    typer.echo(f"previous secrets of '{tenant_id}' revoked")


@keys.command("new")
def new_key(
    key_id: Annotated[str | None, typer.Option(help="Key id (default: random)")] = None,
) -> None:
    """Print a new key ring entry. To rotate: put it first in DEALFLOW_SECRET_KEYS (keep the old
    one after it), restart, run `dealflow keys reseal`, then drop the old entry."""
    typer.echo(new_key_spec(key_id))


@keys.command("reseal")
def reseal() -> None:
    """Re-seal every stored webhook secret with the first key of DEALFLOW_SECRET_KEYS."""
    changed = _with_uow(reseal_secrets)
    typer.echo(f"{changed} tenant(s) re-sealed")


@app.command("send-sample")
def send_sample(
    sample: Annotated[
        str, typer.Argument(help=f"One of: {', '.join(samples.names())}")
    ] = "calcom_booking_created",
    tenant: str = "demo",
    secret: Annotated[
        str | None, typer.Option(help="Signing secret (default: the demo tenant's)")
    ] = None,
    url: str = "http://127.0.0.1:8000",
    email: Annotated[str | None, typer.Option(help="Replace the primary attendee's email")] = None,
    unique: Annotated[
        bool,
        typer.Option(
            "--unique/--as-is", help="Give the booking a fresh id (else a resend is a duplicate)"
        ),
    ] = True,
) -> None:
    """Send a signed sample webhook to the gateway and print its answer."""
    provider = "calcom" if sample.startswith("calcom") else "calendly"
    payload: Any = samples.load(sample)
    if email:
        _replace_email(payload, email)
    if unique:
        _fresh_booking_id(payload)
    body = orjson.dumps(payload)
    secret = secret or f"demo-{provider}-secret"
    response = httpx.post(
        f"{url}/webhooks/{provider}/{tenant}",
        content=body,
        headers=signed_headers(provider, body, secret, timestamp=int(time.time())),
    )
    typer.echo(f"{response.status_code} {response.text}")


@app.command("demo-data")
def demo_data(
    tenant: str = "demo",
    companies: Annotated[int, typer.Option(min=1, help="How many companies")] = 300,
    seed: Annotated[
        int, typer.Option(help="Same seed, same companies and ids: a re-run adds nothing")
    ] = 1,
    api_key: Annotated[str, typer.Option(help="The tenant's API key")] = DEMO["api_key"],
    calcom_secret: Annotated[str, typer.Option(help="Cal.com webhook secret")] = DEMO[
        "calcom_secret"
    ],
    calendly_secret: Annotated[str, typer.Option(help="Calendly signing key")] = DEMO[
        "calendly_secret"
    ],
    ingest_url: str = "http://127.0.0.1:8000",
    meetings_url: str = "http://127.0.0.1:8001",
    deals_url: str = "http://127.0.0.1:8002",
    attribution_url: str = "http://127.0.0.1:8003",
    concurrency: Annotated[int, typer.Option(min=1, help="Companies loaded at once")] = 16,
    wait: Annotated[
        float, typer.Option(help="Seconds to wait for the services to catch up, per step")
    ] = 90,
) -> None:
    """Fill a tenant with a realistic team's past six months and next three weeks: companies,
    people, touches, meetings in every state and deals in every stage, through the public
    webhooks and APIs only."""
    plan = plan_demo(seed=seed, companies=companies, now=datetime.now(UTC))
    target = Target(
        tenant=tenant,
        api_key=api_key,
        calcom_secret=calcom_secret,
        calendly_secret=calendly_secret,
        urls={
            "ingest": ingest_url,
            "meetings": meetings_url,
            "deals": deals_url,
            "attribution": attribution_url,
        },
    )
    try:
        report = asyncio.run(_load_demo(plan, target, concurrency=concurrency, wait=wait))
    except LoadFailed as error:
        typer.echo(f"demo data not loaded: {error}", err=True)
        raise typer.Exit(1) from error
    for line in summary(report):
        typer.echo(line)
    if report.failures:
        for failure in report.failures:
            typer.echo(f"failed: {failure}", err=True)
        raise typer.Exit(1)


async def _load_demo(
    plan: DemoPlan, target: Target, *, concurrency: int, wait: float
) -> LoadReport:
    columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns) as progress:
        task = progress.add_task(
            f"{target.tenant}: touches, bookings, commands", total=1 + 2 * len(plan.companies)
        )
        async with httpx.AsyncClient(timeout=30) as http:
            loader = DemoLoader(http, target, concurrency=concurrency, wait_seconds=wait)
            return await loader.load(plan, lambda: progress.advance(task))


def _fresh_booking_id(payload: Any) -> None:
    inner = payload.get("payload", payload)
    suffix = secrets.token_hex(6)
    for key in ("uid", "bookingUid"):
        if key in inner:
            inner[key] = f"{inner[key]}-{suffix}"
    if "uri" in inner:
        inner["uri"] = f"{inner['uri']}-{suffix}"


def _replace_email(payload: Any, email: str) -> None:
    inner = payload.get("payload", payload)
    if inner.get("attendees"):
        inner["attendees"][0]["email"] = email
        if isinstance(inner.get("responses", {}).get("email"), dict):
            inner["responses"]["email"]["value"] = email
    elif "email" in inner:
        inner["email"] = email


if __name__ == "__main__":
    app()
