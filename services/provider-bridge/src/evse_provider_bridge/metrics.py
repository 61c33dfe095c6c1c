"""Bridge metrics: vendor calls by provider, API family and outcome; polls by outcome."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

__all__ = ["POLLS", "VENDOR_CALLS", "VENDOR_CALL_SECONDS"]

VENDOR_CALLS = Counter(
    "evse_vendor_calls_total",
    "Vendor-cloud HTTP calls, by provider, API family and outcome (ok or HTTP status / error)",
    ["provider", "api", "outcome"],
)
VENDOR_CALL_SECONDS = Histogram(
    "evse_vendor_call_seconds",
    "Vendor-cloud HTTP call latency, by provider",
    ["provider"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
POLLS = Counter(
    "evse_bridge_polls_total", "Status polls, by provider and outcome", ["provider", "outcome"]
)
