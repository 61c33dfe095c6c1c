"""The anonymous rate limit on makes and models, counted in a JetStream KV bucket."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from evse_catalogue.seed import load_seed
from evse_devstack.bus_users import service_env
from evse_devstack.processes import free_port, spawn, stop, wait_for_port
from tests.utils.problems import assert_problem
from tests.utils.services import running_gateway

SEED = load_seed()
MAKE = SEED["evse_makes"][0]["uid"]
MODEL = SEED["evse_models"][0]["uid"]
LIMITED_PATHS = (
    "/v2/evse_makes",
    f"/v2/evse_makes/{MAKE}",
    "/v2/evse_models",
    f"/v2/evse_models/{MODEL}",
)


def from_ip(ip: str) -> dict[str, str]:
    return {"x-forwarded-for": ip}


@pytest.fixture
def bucket() -> str:
    """A bucket of the test's own, so counts never leak between tests."""
    return f"rl_{uuid.uuid4().hex[:12]}"


async def test_the_limit_counts_makes_and_models_reads_together_then_refuses(
    catalogue_database: str, nats_url: str, bucket: str
) -> None:
    async with (
        running_gateway(
            nats_url=nats_url,
            anonymous_rate_limit=4,
            rate_limit_bucket=bucket,
            trusted_proxies=["127.0.0.1"],
        ) as base_url,
        httpx.AsyncClient(base_url=base_url, headers=from_ip("203.0.113.5"), timeout=30) as client,
    ):
        for remaining, path in zip((3, 2, 1, 0), LIMITED_PATHS, strict=True):
            response = await client.get(path)
            assert response.status_code == 200, response.text
            assert response.headers["ratelimit-limit"] == "4"
            assert response.headers["ratelimit-remaining"] == str(remaining)
            assert 0 < int(response.headers["ratelimit-reset"]) <= 3600
        refused = await client.get(f"/v2/evse_models/{MODEL}")
        body = assert_problem(refused, 429, "rate-limited")
        assert "4 requests per 3600 s" in body["detail"]
        assert refused.headers["ratelimit-remaining"] == "0"
        assert 0 < int(refused.headers["retry-after"]) <= 3600
        assert refused.headers["retry-after"] == refused.headers["ratelimit-reset"]
        assert (
            await client.get("/v2/evse_makes", headers=from_ip("198.51.100.7"))
        ).status_code == 200


async def test_other_routes_are_not_limited(
    catalogue_database: str, nats_url: str, bucket: str
) -> None:
    async with (
        running_gateway(nats_url=nats_url, anonymous_rate_limit=1, rate_limit_bucket=bucket) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as client,
    ):
        assert (await client.get("/v2/evse_makes")).status_code == 200
        assert (await client.get("/v2/evse_makes")).status_code == 429
        for _ in range(3):
            response = await client.get(
                "/v2/evse_compatibility/check", params={"evse_model_id": MODEL}
            )
            assert response.status_code == 200
            assert "ratelimit-limit" not in response.headers
            assert (await client.get("/v2/evse_firmware_versions")).status_code == 200


async def test_forged_forwarded_for_from_an_untrusted_peer_is_ignored(
    catalogue_database: str, nats_url: str, bucket: str
) -> None:
    async with (
        running_gateway(nats_url=nats_url, anonymous_rate_limit=2, rate_limit_bucket=bucket) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as client,
    ):
        statuses = [
            (await client.get("/v2/evse_makes", headers=from_ip(f"203.0.113.{n}"))).status_code
            for n in range(1, 4)
        ]
    assert statuses == [200, 200, 429]


async def test_a_new_window_starts_once_the_old_one_is_over(
    catalogue_database: str, nats_url: str, bucket: str
) -> None:
    async with (
        running_gateway(
            nats_url=nats_url,
            anonymous_rate_limit=1,
            anonymous_rate_window_s=1,
            rate_limit_bucket=bucket,
        ) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as client,
    ):
        assert (await client.get("/v2/evse_makes")).status_code == 200
        refused = await client.get("/v2/evse_makes")
        assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
        await asyncio.sleep(1.1)
        assert (await client.get("/v2/evse_makes")).status_code == 200


async def test_a_limit_of_zero_turns_the_limiter_off(
    catalogue_database: str, nats_url: str
) -> None:
    async with (
        running_gateway(nats_url=nats_url, anonymous_rate_limit=0) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as client,
    ):
        response = await client.get("/v2/evse_makes")
    assert response.status_code == 200 and "ratelimit-limit" not in response.headers


@pytest.fixture
def two_gateways(nats_url: str, bucket: str, tmp_path: Path) -> Iterator[list[str]]:
    """Two `evse-gateway` processes at the default limit, behind a trusted local proxy."""
    binary = Path(sys.executable).parent / "evse-gateway"
    ports = [free_port(), free_port()]
    procs = []
    with contextlib.ExitStack() as logs:
        for port in ports:
            env = {
                "EVSE_NATS_URL": nats_url,
                **service_env("gateway"),
                "EVSE_PORT": str(port),
                "EVSE_TRUSTED_PROXIES": "127.0.0.1",
                "EVSE_RATE_LIMIT_BUCKET": bucket,
                "EVSE_LOG_LEVEL": "WARNING",
            }
            log = logs.enter_context((tmp_path / f"gateway-{port}.log").open("wb"))
            procs.append(spawn([binary], env=env, output=log))
            logs.callback(stop, procs[-1])
        for port, proc in zip(ports, procs, strict=True):
            wait_for_port(port, proc)
        yield [f"http://127.0.0.1:{port}" for port in ports]


async def test_51st_request_from_one_ip_fails_across_two_gateway_processes(
    catalogue_database: str, two_gateways: list[str]
) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        urls = [f"{two_gateways[n % 2]}/v2/evse_models/{MODEL}" for n in range(60)]
        responses = await asyncio.gather(
            *(client.get(url, headers=from_ip("203.0.113.50")) for url in urls)
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] * 50 + [429] * 10
        served = {r.request.url.port for r in responses if r.status_code == 200}
        assert len(served) == 2
        for gateway in two_gateways:
            assert_problem(
                await client.get(f"{gateway}/v2/evse_makes", headers=from_ip("203.0.113.50")),
                429,
                "rate-limited",
            )
            other = await client.get(f"{gateway}/v2/evse_makes", headers=from_ip("198.51.100.8"))
            assert other.status_code == 200
        assert other.headers["ratelimit-remaining"] == "48"


async def test_waitlist_sign_ups_are_limited_per_email_and_per_address(
    catalogue_database: str, nats_url: str, bucket: str
) -> None:
    """Review L7: the anonymous waitlist was unlimited."""
    async with (
        running_gateway(
            nats_url=nats_url,
            waitlist_signups_per_address=3,
            waitlist_signups_per_email=2,
            rate_limit_bucket=bucket,
        ) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as client,
    ):

        async def sign_up(email: str) -> httpx.Response:
            body = {"email": email, "evse_make_name": "Acme", "evse_model_name": "One"}
            return await client.post("/v2/evse_waitlist", json=body)

        same = [(await sign_up("Victim@example.com")).status_code for _ in range(3)]
        assert same[:2] == [201, 200]
        assert_problem(await sign_up("victim@example.com"), 429, "rate-limited")
        others = [(await sign_up(f"other{i}@example.com")).status_code for i in range(2)]
    assert same[2] == 429 and others == [201, 429]
