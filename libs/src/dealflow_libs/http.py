"""FastAPI app factory: health, readiness, metrics, AsyncAPI, JSON errors, request metrics."""

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, ClassVar

import orjson
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from dealflow_libs import tracing
from dealflow_libs.asyncapi import document as asyncapi_document
from dealflow_libs.errors import is_transient
from dealflow_libs.metrics import HTTP_LATENCY, HTTP_REQUESTS, render
from dealflow_libs.runtime import ServiceRuntime

log = logging.getLogger(__name__)


class JsonResponse(JSONResponse):
    """JSON via orjson (datetimes, UUIDs); FastAPI's JsonResponse is deprecated."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, default=str)


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": code, "message": message, **extra}


class ApiError(Exception):
    """Raised by handlers for a client-visible error with a status and a clear message."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
        self.extra = extra


class PatchBody(BaseModel):
    """A partial update: an absent field is left as it is, and `null` clears a field only if it
    is in `clearable`. For any other field a null is a 422 naming it, not a NOT NULL violation
    (a 500) in the database."""

    clearable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _null_only_where_clearable(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.clearable:
            raise PydanticCustomError(
                "not_clearable", "cannot be null: leave the field out to keep its value"
            )
        return value


def _describe_validation(exc: RequestValidationError) -> tuple[str, list[dict[str, Any]]]:
    details = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body",))
        details.append({"field": loc, "problem": err.get("msg", "invalid")})
    summary = "; ".join(f"{d['field']}: {d['problem']}" for d in details) or "invalid request"
    return summary, details


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def on_api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JsonResponse(
            error_body(exc.code, exc.message, **exc.extra),
            status_code=exc.status,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def on_validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        summary, details = _describe_validation(exc)
        return JsonResponse(
            error_body("invalid_request", summary, details=details), status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def on_http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}.get(
            exc.status_code, "http_error"
        )
        return JsonResponse(
            error_body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers
        )


def unexpected_error_response(exc: Exception) -> JSONResponse:
    """503 when a backing service is down (the client should retry), else a logged 500."""
    if is_transient(exc):
        log.warning("dependency unavailable", extra={"error": repr(exc)})
        return JsonResponse(
            error_body("unavailable", "A backing service is unavailable; retry shortly."),
            status_code=503,
            headers={"Retry-After": "5"},
        )
    log.exception("unhandled error")
    return JsonResponse(error_body("internal", "Internal error."), status_code=500)


class UnexpectedErrorMiddleware:
    """Answers an exception no handler took, and does not raise it further.

    Starlette's own handler for `Exception` (ServerErrorMiddleware) re-raises after answering,
    and uvicorn then closes the connection: the client's next keep-alive request is reset.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking(message: Any) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception as exc:
            if started:
                raise  # half a response is out: only closing the connection can tell the client
            await unexpected_error_response(exc)(scope, receive, send)


class MetricsMiddleware:
    """Pure ASGI (not BaseHTTPMiddleware) so it costs microseconds per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        method = scope["method"]

        async def capture(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        with tracing.http_request(method, trace_headers(scope)) as request:
            try:
                await self.app(scope, receive, capture)
            finally:
                route = scope.get("route")
                path = getattr(route, "path", "unmatched")
                request.finish(method, path, status)
                HTTP_REQUESTS.labels(method, path, str(status)).inc()
                HTTP_LATENCY.labels(method, path).observe(time.perf_counter() - started)


def trace_headers(scope: Scope) -> dict[str, str]:
    """The request headers that carry a trail (W3C traceparent, X-Correlation-Id)."""
    wanted = (b"traceparent", b"x-correlation-id")
    return {k.decode(): v.decode("latin-1") for k, v in scope["headers"] if k in wanted}


def add_ops_routes(
    app: FastAPI,
    readiness: Callable[[Request], Awaitable[dict[str, str]]],
    ready_summary: str,
) -> None:
    """What every Dealflow process answers for operations: /health, /ready (503 unless every
    check is "ok") and /metrics, with request metrics and the last-resort error answer."""
    app.add_middleware(UnexpectedErrorMiddleware)
    app.add_middleware(MetricsMiddleware)

    @app.get("/health", tags=["ops"], summary="Liveness: the process is up")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/ready", tags=["ops"], summary=ready_summary)
    async def ready(request: Request) -> JSONResponse:
        checks = await readiness(request)
        ok = all(v == "ok" for v in checks.values())
        return JsonResponse(
            {"status": "ready" if ok else "unavailable", "checks": checks},
            status_code=200 if ok else 503,
        )

    @app.get("/metrics", tags=["ops"], summary="Prometheus metrics")
    async def metrics() -> Response:
        body, content_type = render()
        return Response(body, media_type=content_type)


def create_app(
    *,
    runtime_factory: Callable[[], ServiceRuntime],
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    version: str = "0.1.0",
    on_started: Callable[[FastAPI, ServiceRuntime], Awaitable[None]] | None = None,
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = runtime_factory()
        app.state.runtime = runtime
        await runtime.start()
        if on_started is not None:
            await on_started(app, runtime)
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title=title,
        description=description,
        version=version,
        lifespan=lifespan,
    )
    install_error_handlers(app)

    async def readiness(request: Request) -> dict[str, str]:
        checks: dict[str, str] = await request.app.state.runtime.readiness()
        return checks

    add_ops_routes(app, readiness, "Readiness: database and broker reachable")

    @app.get("/asyncapi.json", tags=["ops"], summary="AsyncAPI document of this service's topics")
    async def asyncapi(request: Request) -> Response:
        runtime: ServiceRuntime = request.app.state.runtime
        spec = asyncapi_document(
            title=title,
            version=version,
            description=description,
            server=runtime.settings.kafka_bootstrap,
            subscriptions=runtime.subscriptions,
            publications=runtime.publications,
        )
        return JsonResponse(spec)

    from dealflow_libs import trail_api  # imports auth, which imports this module

    for router in (*routers, trail_api.router):
        app.include_router(router)
    return app
