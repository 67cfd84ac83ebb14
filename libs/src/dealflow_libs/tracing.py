"""One trail per booking: W3C trace context and a correlation id across HTTP and Kafka.

- On Kafka both travel as CloudEvents extensions (`ce_traceparent`, the CloudEvents distributed
  tracing extension, and `ce_correlationid`), so any CloudEvents-aware reader sees them.
- The correlation id is the id of the event that started the chain (a booking's webhook event,
  or an API request's own id) and every event caused by it carries the same one.
- Spans are recorded and exported over OTLP/HTTP only when an endpoint is configured
  (`DEALFLOW_OTEL_ENDPOINT`); otherwise nothing is created and the incoming `traceparent`
  passes through unchanged, so tracing costs a dictionary lookup per event.

A consumer handles a batch inside `handling(envelopes)`; an HTTP request runs inside
`http_request(headers)`. `Outbox.add` asks `context_for(...)` which trail a new event joins.
"""

import contextlib
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

if TYPE_CHECKING:
    from dealflow_libs.cloudevents import Envelope

log = logging.getLogger(__name__)

TRACEPARENT = "traceparent"
CORRELATION = "correlationid"
CORRELATION_HEADER = "x-correlation-id"

_propagator = TraceContextTextMapPropagator()
_tracer: trace.Tracer | None = None
_provider: Any = None


@dataclass(frozen=True)
class TraceContext:
    correlation_id: str | None
    traceparent: str | None

    def extensions(self) -> dict[str, str]:
        out = {}
        if self.traceparent:
            out[TRACEPARENT] = self.traceparent
        if self.correlation_id:
            out[CORRELATION] = self.correlation_id
        return out


#: Trail of each event being handled, by event id (set for the length of a consumer batch).
_NO_CAUSES: Mapping[str, TraceContext] = MappingProxyType({})
_causes: ContextVar[Mapping[str, TraceContext]] = ContextVar("dealflow_causes", default=_NO_CAUSES)
#: The events being handled, by id (set for the length of a consumer batch).
_incoming: ContextVar[Mapping[str, "Envelope"]] = ContextVar("dealflow_incoming", default={})  # noqa: B039 - never mutated
#: Trail of the HTTP request being served.
_request: ContextVar[TraceContext | None] = ContextVar("dealflow_request", default=None)


def configure_tracing(service: str, endpoint: str | None) -> None:
    """Exports spans to `endpoint` (OTLP/HTTP, e.g. http://collector:4318) if given; idempotent."""
    global _tracer, _provider
    if not endpoint or _provider is not None:
        return
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": f"dealflow-{service}"}))
    exporter = OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces", timeout=3)
    provider.add_span_processor(BatchSpanProcessor(exporter, export_timeout_millis=3000))
    _provider = provider
    _tracer = provider.get_tracer("dealflow")
    log.info("tracing exported over OTLP", extra={"endpoint": endpoint})


def shutdown_tracing() -> None:
    """Flushes what is buffered (bounded) and stops exporting."""
    global _tracer, _provider
    if _provider is not None:
        with contextlib.suppress(Exception):
            _provider.shutdown()
    _tracer = _provider = None


def enabled() -> bool:
    return _tracer is not None


def _traceparent_of(span: trace.Span) -> str | None:
    carrier: dict[str, str] = {}
    _propagator.inject(carrier, context=trace.set_span_in_context(span))
    return carrier.get(TRACEPARENT)


def _parent(traceparent: str | None) -> otel_context.Context | None:
    return _propagator.extract({TRACEPARENT: traceparent}) if traceparent else None


def trail_of(envelope: "Envelope") -> TraceContext:
    """The trail an incoming event belongs to; an event without one starts its own."""
    ext = envelope.extensions
    return TraceContext(ext.get(CORRELATION) or envelope.id, ext.get(TRACEPARENT))


@contextlib.contextmanager
def handling(envelopes: Sequence["Envelope"], *, consumer: str) -> Iterator[None]:
    """While a consumer handles `envelopes`: events it emits join the trail of their cause.

    With tracing on, each event gets a CONSUMER span, child of its producer's span.
    """
    trails = {e.id: trail_of(e) for e in envelopes}
    spans: list[trace.Span] = []
    if _tracer is not None:
        for envelope in envelopes:
            trail = trails[envelope.id]
            span = _tracer.start_span(
                f"{consumer} process {envelope.type}",
                context=_parent(trail.traceparent),
                kind=SpanKind.CONSUMER,
                attributes={
                    "messaging.system": "kafka",
                    "messaging.consumer.group.name": consumer,
                    "messaging.message.id": envelope.id,
                    "cloudevents.event_type": envelope.type,
                    "dealflow.correlation_id": trail.correlation_id or "",
                    "dealflow.tenant_id": envelope.tenant_id,
                },
            )
            spans.append(span)
            trails[envelope.id] = TraceContext(trail.correlation_id, _traceparent_of(span))
    token = _causes.set(trails)
    incoming_token = _incoming.set({e.id: e for e in envelopes})
    try:
        yield
    except BaseException as exc:
        for span in spans:
            span.record_exception(exc)
            span.set_status(trace.StatusCode.ERROR)
        raise
    finally:
        _incoming.reset(incoming_token)
        _causes.reset(token)
        for span in spans:
            span.end()


class RequestSpan:
    """The trail of one HTTP request; `finish` names it by route and records the status."""

    def __init__(self, trail: TraceContext, span: trace.Span | None) -> None:
        self.trail = trail
        self._span = span

    def finish(self, method: str, route: str, status: int) -> None:
        if self._span is not None:
            self._span.update_name(f"{method} {route}")
            self._span.set_attribute("http.route", route)
            self._span.set_attribute("http.response.status_code", status)
            if status >= 500:
                self._span.set_status(trace.StatusCode.ERROR)


@contextlib.contextmanager
def http_request(method: str, headers: Mapping[str, str]) -> Iterator[RequestSpan]:
    """Serves one HTTP request on its trail: the caller's `traceparent` and `X-Correlation-Id`
    are continued; events the request emits join them."""
    incoming = headers.get(TRACEPARENT)
    correlation = headers.get(CORRELATION_HEADER)
    span = None
    if _tracer is not None:
        span = _tracer.start_span(
            method,
            context=_parent(incoming),
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method},
        )
        incoming = _traceparent_of(span)
    request = RequestSpan(TraceContext(correlation, incoming), span)
    token = _request.set(request.trail)
    ctx_token = otel_context.attach(trace.set_span_in_context(span)) if span else None
    try:
        yield request
    except BaseException as exc:
        if span is not None:
            span.record_exception(exc)
            span.set_status(trace.StatusCode.ERROR)
        raise
    finally:
        if ctx_token is not None:
            otel_context.detach(ctx_token)
        _request.reset(token)
        if span is not None:
            span.end()


def incoming(event_id: str) -> "Envelope | None":
    """The envelope of an event this task is handling (inside `handling`)."""
    return _incoming.get().get(event_id)


def current_request() -> TraceContext | None:
    return _request.get()


def context_for(*, event_id: str, caused_by: str | None) -> dict[str, str]:
    """CloudEvents extensions for a new event: its cause's trail (an event being handled, or the
    HTTP request being served), else a trail that starts with this event."""
    causes = _causes.get()
    trail = causes.get(caused_by) if caused_by else None
    if trail is None:
        trail = causes.get(event_id) or _request.get()
    if trail is None:
        return {CORRELATION: event_id}
    out = trail.extensions()
    out.setdefault(CORRELATION, event_id)
    return out


@contextlib.contextmanager
def caused(trails: Mapping[str, TraceContext]) -> Iterator[None]:
    """Events added inside this block with these ids (or caused by them) join these trails; for
    work queued by one task and written by another (ingest's group commit)."""
    token = _causes.set({**_causes.get(), **trails})
    try:
        yield
    finally:
        _causes.reset(token)
