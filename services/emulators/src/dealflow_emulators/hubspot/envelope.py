"""HubSpot's batch answer (`BatchResponse…`): status, results, when it started and ended,
and `errors` with `numErrors` when some inputs failed, which makes it a 207."""

from collections.abc import Sequence
from typing import Any

from fastapi.responses import JSONResponse

from dealflow_emulators.common import iso_ms, utc_now


def batch_response(
    results: list[Any],
    started: str,
    errors: Sequence[dict[str, Any]] = (),
    *,
    status: int = 200,
) -> JSONResponse:
    body: dict[str, Any] = {
        "status": "COMPLETE",
        "results": results,
        "startedAt": started,
        "completedAt": iso_ms(utc_now()),
    }
    if errors:
        body |= {"errors": list(errors), "numErrors": len(errors)}
    return JSONResponse(body, status_code=207 if errors else status)
