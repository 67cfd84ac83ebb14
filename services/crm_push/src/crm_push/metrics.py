"""Prometheus metrics of the push worker (served on /metrics with the platform's own)."""

from prometheus_client import Counter, Gauge, Histogram

PUSHES = Counter(
    "dealflow_crm_pushes_total",
    "Pushes ended, by provider and outcome (succeeded, skipped, parked).",
    ["provider", "outcome"],
)
ATTEMPTS_FAILED = Counter(
    "dealflow_crm_push_attempts_failed_total",
    "Push attempts that failed, by provider and failure kind (rate_limited, unavailable, ...).",
    ["provider", "kind"],
)
CALLS = Histogram(
    "dealflow_crm_call_seconds",
    "HTTP calls to a CRM or Notion, by provider and status class (2xx, 4xx, 5xx, none).",
    ["provider", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
BREAKER_OPEN = Gauge(
    "dealflow_crm_breaker_open",
    "1 while a connection's circuit breaker holds its pushes back.",
    ["tenant", "target"],
)
