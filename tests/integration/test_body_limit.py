"""Oversized request bodies are refused before the gateway takes them in (review finding M3).

The raw-socket tests send the headers and only part of the body, then wait for the answer:
a gateway that buffered the body first would still be waiting for the rest.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx
import pytest
import pytest_asyncio

from tests.utils.problems import assert_problem
from tests.utils.services import running_gateway

LIMIT = 4096
PAGE_LIMIT = 1024


@pytest_asyncio.fixture(scope="module")
async def base_url(nats_url: str) -> AsyncIterator[str]:
    async with running_gateway(
        nats_url=nats_url, max_body_bytes=LIMIT, page_max_body_bytes=PAGE_LIMIT
    ) as url:
        yield url


async def answer_to(base_url: str, head: str, sent: bytes) -> tuple[int, bytes]:
    """Send a request's head and `sent` (a part of its body), then read the status and body."""
    address = urlsplit(base_url)
    reader, writer = await asyncio.open_connection(address.hostname, address.port)
    try:
        writer.write(head.encode() + sent)
        await writer.drain()
        status_line = await reader.readline()
        headers = (await reader.readuntil(b"\r\n\r\n")).decode().lower()
        length = int(headers.split("content-length: ")[1].split("\r\n")[0])
        return int(status_line.split()[1]), await reader.readexactly(length)
    finally:
        writer.close()


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/v2/evse_waitlist", "application/json"),
        ("/v2/oauth/token", "application/x-www-form-urlencoded"),
        ("/v2/webhooks/subscriptions", "application/json"),
    ],
)
async def test_a_declared_length_over_the_limit_is_answered_before_the_body(
    base_url: str, path: str, content_type: str
) -> None:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: gateway\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {100 * 1024 * 1024}\r\n\r\n"
    )
    status, body = await answer_to(base_url, head, b"{")
    assert status == 413
    assert json.loads(body)["type"].endswith("/problems/payload-too-large")


async def test_a_chunked_body_is_refused_once_it_passes_the_limit(base_url: str) -> None:
    head = (
        "POST /v2/evse_waitlist HTTP/1.1\r\nHost: gateway\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"A" * 1024
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(LIMIT // 1024 + 1))
    status, body = await answer_to(base_url, head, chunks)  # never terminated
    assert status == 413
    assert json.loads(body)["status"] == 413


async def generated(size: int) -> AsyncIterator[bytes]:
    for _ in range(size // 512):
        yield b" " * 512


async def test_a_streamed_body_over_the_limit_gets_the_problem(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        response = await client.post(
            "/v2/evse_waitlist",
            content=generated(LIMIT * 4),
            headers={"Content-Type": "application/json"},
        )
    assert_problem(response, 413, "payload-too-large")


async def test_a_body_within_the_limit_reaches_the_route(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        response = await client.post(
            "/v2/evse_waitlist",
            content=b" " * (LIMIT - 10) + b"[]",
            headers={"Content-Type": "application/json"},
        )
    assert_problem(response, 400, "validation-failed-evse-waitlist")


async def test_a_hosted_page_answers_an_oversized_form_with_a_page(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        response = await client.post(
            "/onboarding/someone/serial", data={"serial_number": "S" * PAGE_LIMIT}
        )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert "This form is too large" in response.text


def test_each_route_with_a_body_documents_the_413() -> None:
    from evse_gateway.app import create_app
    from evse_gateway.settings import GatewaySettings

    paths = create_app(GatewaySettings()).openapi()["paths"]
    with_body = [
        operation
        for methods in paths.values()
        for operation in methods.values()
        if "requestBody" in operation
    ]
    assert with_body
    for operation in with_body:
        assert "payload-too-large" in operation["responses"]["413"]["x-problem-slugs"]
