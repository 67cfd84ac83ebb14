"""Prometheus metrics shared by every service (one process = one service, so no service label)."""

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

HTTP_REQUESTS = Counter(
    "dealflow_http_requests_total", "HTTP requests handled.", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "dealflow_http_request_duration_seconds",
    "HTTP request latency.",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
EVENTS_PUBLISHED = Counter(
    "dealflow_events_published_total", "Outbox events published to Kafka.", ["topic"]
)
EVENTS_CONSUMED = Counter(
    "dealflow_events_consumed_total",
    "Kafka records handled by consumers.",
    ["topic", "outcome"],
)
DEAD_LETTERS = Counter(
    "dealflow_dead_letters_total", "Records sent to a dead-letter topic.", ["topic"]
)
WEBHOOKS = Counter(
    "dealflow_webhooks_total", "Webhook deliveries by verdict.", ["provider", "verdict"]
)


def render() -> tuple[bytes, str]:
    return generate_latest(), CONTENT_TYPE_LATEST
