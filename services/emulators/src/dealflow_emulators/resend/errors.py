"""Resend's error answers: `{statusCode, name, message}` (api-reference/errors)."""

from typing import Any

from fastapi.responses import JSONResponse, PlainTextResponse, Response

MISSING_USER_AGENT = "error code: 1010"


class ResendError(Exception):
    def __init__(
        self, status: int, name: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.name = name
        self.message = message
        self.headers = headers or {}

    def response(self) -> Response:
        return error_response(self.status, self.name, self.message, self.headers)


def error_response(
    status: int, name: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    body: dict[str, Any] = {"statusCode": status, "name": name, "message": message}
    return JSONResponse(body, status_code=status, headers=headers)


def user_agent_refused() -> Response:
    """What a request without a User-Agent gets: blocked in front of the API (403, error code
    1010, knowledge-base/403-error-1010), so not in the API's JSON shape."""
    return PlainTextResponse(MISSING_USER_AGENT, status_code=403)


def validation(message: str, status: int = 400) -> ResendError:
    return ResendError(status, "validation_error", message)


def missing_field(field: str) -> ResendError:
    return ResendError(422, "missing_required_field", f"Missing `{field}` field.")


def invalid_attachment(message: str) -> ResendError:
    return ResendError(422, "invalid_attachment", message)


def not_found(message: str = "Email not found") -> ResendError:
    return ResendError(404, "not_found", message)


class UserAgentMissing(ResendError):
    def __init__(self) -> None:
        super().__init__(403, "user_agent_required", MISSING_USER_AGENT)

    def response(self) -> Response:
        return user_agent_refused()
