"""Bearer auth on /crm/* (§1.1, §1.4): 401 INVALID_AUTHENTICATION or EXPIRED_AUTHENTICATION,
403 MISSING_SCOPES when an OAuth token lacks the scope a call needs."""

from collections.abc import Callable, Coroutine
from typing import Any, cast

from fastapi import Request

from dealflow_emulators.common import Verdict, emulator_of
from dealflow_emulators.hubspot.emulator import HubSpot
from dealflow_emulators.hubspot.errors import HubSpotError

NO_CREDENTIALS = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you "
    "can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)


def hubspot(request: Request) -> HubSpot:
    return cast(HubSpot, emulator_of(request))


def authenticate(request: Request, scope: str | None) -> str:
    """The caller's token, once valid (and holding `scope`, for OAuth tokens)."""
    emulator = hubspot(request)
    token = emulator.credential_of(request.headers, request.query_params)
    if token is None:
        raise HubSpotError(401, "INVALID_AUTHENTICATION", NO_CREDENTIALS)
    check = emulator.credentials.check(token)
    if check.verdict is Verdict.EXPIRED:
        raise HubSpotError(
            401,
            "EXPIRED_AUTHENTICATION",
            f"The OAuth token used to make this call expired {check.expired_seconds_ago} "
            "second(s) ago.",
        )
    if check.verdict is Verdict.INVALID:
        raise HubSpotError(401, "INVALID_AUTHENTICATION", NO_CREDENTIALS)
    # Private-app tokens carry every scope; OAuth tokens the ones granted at authorize time.
    if scope is not None and check.scopes and scope not in check.scopes:
        raise HubSpotError(
            403,
            "MISSING_SCOPES",
            "This app hasn't been granted all required scopes to make this call. Read more "
            "about required scopes here: https://developers.hubspot.com/scopes.",
            errors=[
                {
                    "message": "One or more of the following scopes are required.",
                    "context": {"requiredGranularScopes": [scope]},
                }
            ],
            links={"scopes": "https://developers.hubspot.com/scopes"},
        )
    emulator.count_daily(token)
    return token


def requires(scope: str | None) -> Callable[[Request], Coroutine[Any, Any, str]]:
    """A dependency: the route needs a valid token with `scope`."""

    async def dependency(request: Request) -> str:
        return authenticate(request, scope)

    return dependency
