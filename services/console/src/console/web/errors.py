"""How the console answers what went wrong: the sign-in page, a refused form, a service's
refusal in its own words."""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from console.services import ServiceError
from console.web.auth import local_path
from console.web.guard import CsrfRefused, SignInRequired
from console.web.rendering import page

log = logging.getLogger(__name__)


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


async def _form_came_from(request: Request) -> str | None:
    """The page a refused form said it came from (its `next` field), to go back to."""
    if request.method != "POST":
        return None
    came_from = (await request.form()).get("next")
    return local_path(came_from) if isinstance(came_from, str) else None


def install(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def sign_in(request: Request, _: SignInRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if _is_htmx(request):
            return Response(status_code=204, headers={"HX-Redirect": "/login"})
        if request.method != "GET":
            target = "/board"
        return RedirectResponse(f"/login?next={target}", status_code=303)

    @app.exception_handler(CsrfRefused)
    async def csrf(request: Request, _: CsrfRefused) -> Response:
        log.warning("form refused without its CSRF token", extra={"path": request.url.path})
        return page(
            request,
            "error.html",
            status_code=403,
            title="Form refused",
            message="This form did not carry its security token. Reload the page and try again.",
        )

    @app.exception_handler(ServiceError)
    async def service(request: Request, exc: ServiceError) -> Response:
        status = exc.status if exc.status in (400, 404, 409, 422, 503) else 502
        if _is_htmx(request):
            # htmx swaps only 2xx answers: the alert goes to the page's alert area instead.
            alert = page(request, "_alert.html", message=f"{exc.service}: {exc.message}")
            alert.headers.update({"HX-Retarget": "#alerts", "HX-Reswap": "innerHTML"})
            return alert
        return page(
            request,
            "error.html",
            status_code=status,
            title="Not found" if exc.status == 404 else "Could not complete",
            message=f"{exc.service}: {exc.message}",
            back=await _form_came_from(request),
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'][1:]) or 'request'}: {e['msg']}"
            for e in exc.errors()
        )
        if _is_htmx(request):
            alert = page(request, "_alert.html", message=f"Not accepted: {problems}")
            alert.headers.update({"HX-Retarget": "#alerts", "HX-Reswap": "innerHTML"})
            return alert
        return page(request, "error.html", status_code=422, title="Not accepted", message=problems)

    @app.exception_handler(StarletteHTTPException)
    async def http(request: Request, exc: StarletteHTTPException) -> Response:
        return page(
            request,
            "error.html",
            status_code=exc.status_code,
            title="Not found" if exc.status_code == 404 else "Error",
            message=str(exc.detail),
        )
