"""Trails across events and requests, with tracing off (pass-through) and on (spans exported)."""

import asyncio
import uuid
from datetime import UTC, datetime

from dealflow_libs import tracing
from dealflow_libs.cloudevents import Envelope
from dealflow_libs.testing.otlp import otlp_collector
from dealflow_libs.tracing import CORRELATION, TRACEPARENT

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER = f"00-{TRACE}-00f067aa0ba902b7-01"


def incoming(*, correlation: str | None = None, traceparent: str | None = CALLER) -> Envelope:
    extensions = {}
    if correlation:
        extensions[CORRELATION] = correlation
    if traceparent:
        extensions[TRACEPARENT] = traceparent
    return Envelope(
        id=str(uuid.uuid4()),
        source="test",
        type="dealflow.test.v1",
        time=datetime.now(UTC),
        tenant_id="t1",
        extensions=extensions,
    )


def test_an_event_without_a_cause_starts_its_own_trail() -> None:
    assert tracing.context_for(event_id="e1", caused_by=None) == {CORRELATION: "e1"}


def test_events_caused_by_a_handled_event_join_its_trail() -> None:
    cause = incoming(correlation="booking-1")
    with tracing.handling([cause], consumer="c"):
        out = tracing.context_for(event_id="e2", caused_by=cause.id)
    assert out == {CORRELATION: "booking-1", TRACEPARENT: CALLER}


def test_a_handled_event_without_correlation_is_the_root_of_the_trail() -> None:
    cause = incoming(traceparent=None)
    with tracing.handling([cause], consumer="c"):
        assert tracing.context_for(event_id="e2", caused_by=cause.id) == {CORRELATION: cause.id}


def test_the_trail_ends_with_the_batch() -> None:
    cause = incoming(correlation="booking-1")
    with tracing.handling([cause], consumer="c"):
        pass
    assert tracing.context_for(event_id="e3", caused_by=cause.id) == {CORRELATION: "e3"}


def test_events_of_a_request_join_its_trail() -> None:
    headers = {"traceparent": CALLER, "x-correlation-id": "req-7"}
    with tracing.http_request("POST", headers):
        out = tracing.context_for(event_id="e4", caused_by="unknown")
    assert out == {CORRELATION: "req-7", TRACEPARENT: CALLER}


def test_work_handed_to_another_task_keeps_the_requests_trail() -> None:
    trail = tracing.TraceContext(None, CALLER)
    with tracing.caused({"e5": trail}):
        assert tracing.context_for(event_id="e5", caused_by=None) == {
            TRACEPARENT: CALLER,
            CORRELATION: "e5",
        }


async def test_spans_are_exported_as_one_tree_when_an_endpoint_is_set() -> None:
    async with otlp_collector() as collector:
        tracing.configure_tracing("unit", collector.url)
        try:
            assert tracing.enabled()
            with tracing.http_request("POST", {"traceparent": CALLER}) as request:
                request.finish("POST", "/v1/things", 202)
                emitted = tracing.context_for(event_id="e6", caused_by=None)
            downstream = incoming(traceparent=emitted[TRACEPARENT])
            with tracing.handling([downstream], consumer="next"):
                pass
        finally:
            # Flushes synchronously; the collector answers from this loop, so use a thread.
            await asyncio.to_thread(tracing.shutdown_tracing)
        assert not tracing.enabled()
        spans = collector.in_trace(TRACE)
        names = {s.name for s in spans}
        assert names == {"POST /v1/things", "next process dealflow.test.v1"}
        server = next(s for s in spans if s.name == "POST /v1/things")
        consumer = next(s for s in spans if s.name.startswith("next"))
        assert server.parent_span_id == "00f067aa0ba902b7"
        assert consumer.parent_span_id == server.span_id
        assert server.service == "dealflow-unit"
