"""Sign-in with the tenant's API key, sign-out."""

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from console.signin import COOKIE, LOGIN_CSRF_COOKIE, new_token, same_token
from console.web.context import context
from console.web.guard import CheckedMember
from console.web.rendering import page

router = APIRouter(tags=["sign-in"])


def local_path(target: str | None) -> str:
    """Only a path of this site is a place to go back to after signing in (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/board"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/board"


def _login_page(request: Request, next_path: str, error: str | None, status: int) -> Response:
    """The form carries a fresh CSRF token that must match its cookie (double submit), so
    another site cannot sign a visitor in as someone else."""
    token = new_token()
    response = page(
        request,
        "login.html",
        status_code=status,
        next_path=next_path,
        error=error,
        login_csrf=token,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=context(request).settings.cookie_secure,
    )
    return response


@router.get("/login", response_class=HTMLResponse, summary="The sign-in page")
async def login_form(request: Request, next: str | None = None) -> Response:
    return _login_page(request, local_path(next), None, 200)


@router.post("/login", summary="Sign in with the tenant's API key")
async def login(
    request: Request,
    api_key: Annotated[str, Form(max_length=500)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/board",
) -> Response:
    ctx = context(request)
    if not same_token(csrf_token, request.cookies.get(LOGIN_CSRF_COOKIE, "")):
        return _login_page(
            request, local_path(next), "The form expired; please sign in again.", 403
        )
    key = api_key.strip()
    tenant = await ctx.api.tenant_of(key) if key else None
    if tenant is None:
        return _login_page(request, local_path(next), "That API key is not valid.", 401)
    token = await ctx.store.open(
        tenant["tenant_id"], tenant["name"], tenant["default_currency"], key
    )
    response = RedirectResponse(local_path(next), status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(ctx.settings.session_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=ctx.settings.cookie_secure,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout", summary="Sign out")
async def logout(request: Request, _: CheckedMember) -> Response:
    await context(request).store.close(request.cookies.get(COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response
