"""Prometheus metrics shared by every service."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

__all__ = ["BUS_REQUESTS", "BUS_REQUEST_SECONDS"]

BUS_REQUESTS = Counter(
    "evse_bus_requests_total",
    "Bus requests handled, by subject and outcome",
    ["subject", "outcome"],
)
BUS_REQUEST_SECONDS = Histogram(
    "evse_bus_request_seconds",
    "Time to handle a bus request, by subject",
    ["subject"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
