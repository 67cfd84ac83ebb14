"""A minimal OTLP/HTTP trace collector for tests: decodes what exporters send and keeps it."""

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import uvicorn
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from dealflow_libs.testing.servers import free_port


@dataclass(frozen=True)
class ReceivedSpan:
    service: str
    name: str
    trace_id: str
    span_id: str
    parent_span_id: str
    kind: int


@dataclass
class OtlpCollector:
    url: str = ""
    spans: list[ReceivedSpan] = field(default_factory=list)

    def in_trace(self, trace_id: str) -> list[ReceivedSpan]:
        return [s for s in self.spans if s.trace_id == trace_id]

    async def receive(self, request: Request) -> Response:
        body = ExportTraceServiceRequest.FromString(await request.body())
        for resource_spans in body.resource_spans:
            attrs = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    self.spans.append(
                        ReceivedSpan(
                            service=attrs.get("service.name", ""),
                            name=span.name,
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_span_id=span.parent_span_id.hex(),
                            kind=span.kind,
                        )
                    )
        return Response(
            ExportTraceServiceResponse().SerializeToString(),
            media_type="application/x-protobuf",
        )


@asynccontextmanager
async def otlp_collector() -> AsyncIterator[OtlpCollector]:
    """Runs the collector on a thread of its own: the test's event loop is often busy (in-process
    services, probes), and an exporter that times out drops its spans."""
    collector = OtlpCollector()
    app = Starlette(routes=[Route("/v1/traces", collector.receive, methods=["POST"])])
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, name="otlp-collector", daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("OTLP collector exited during start-up")
        await asyncio.sleep(0.02)
    collector.url = f"http://127.0.0.1:{port}"
    try:
        yield collector
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 5)
