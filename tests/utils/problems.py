"""Assertions on RFC 9457 problem responses, as a client sees them."""

from __future__ import annotations

from typing import Any

import httpx

PROBLEM_JSON = "application/problem+json"


def assert_problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    """The response is the gateway's problem of this status and slug; return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert body["type"].endswith(f"/problems/{slug}"), body["type"]
    assert body["status"] == status
    assert body["instance"] == response.request.url.path
    assert body["request_id"] == response.headers["x-request-id"]
    return body


def error_locations(body: dict[str, Any]) -> set[str]:
    return {error["loc"] for error in body["errors"]}
