"""Who may do what: a signed-in team member for every page, their CSRF token on every change."""

from typing import Annotated

from fastapi import Depends, Request

from console.signin import COOKIE, CSRF_FIELD, CSRF_HEADER, SignIn, same_token
from console.web.context import context


class SignInRequired(Exception):
    """No valid session: pages answer with the sign-in page (htmx: a client-side redirect)."""


class CsrfRefused(Exception):
    """A change without the session's CSRF token (a form posted from another site)."""


async def current_signin(request: Request) -> SignIn:
    token = request.cookies.get(COOKIE)
    signin = await context(request).store.find(token) if token else None
    if signin is None:
        raise SignInRequired
    request.state.signin = signin
    return signin


async def checked_signin(request: Request) -> SignIn:
    """The signed-in member, for a request that changes something: the CSRF token must come
    with it, as the form field (plain forms) or the X-CSRF-Token header (htmx)."""
    signin = await current_signin(request)
    presented = request.headers.get(CSRF_HEADER)
    if presented is None:
        form = await request.form()
        field = form.get(CSRF_FIELD)
        presented = field if isinstance(field, str) else None
    if not same_token(presented, signin.csrf_token):
        raise CsrfRefused
    return signin


Member = Annotated[SignIn, Depends(current_signin)]
CheckedMember = Annotated[SignIn, Depends(checked_signin)]
