"""The bus's authorization (review M1): each service is a NATS user that may publish and
subscribe only what `evse_contracts.permissions` gives it; a client without credentials can
do nothing. Run against a real nats-server configured as every dev and test server is."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import nats
import pytest
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg

from evse_contracts.bridge import BRIDGE_OCPP_CREDENTIALS_ISSUE
from evse_contracts.bus import PRINCIPAL_HEADER
from evse_contracts.evses import EVSES_DECOMMISSION, EVSES_GET
from evse_contracts.permissions import SERVICE_PERMISSIONS, inbox_prefix
from evse_contracts.subjects import SUBJECT_TABLE
from evse_devstack.backends import NatsServer
from evse_devstack.bus_users import password
from tests.utils.nats_wire import connect_reply


class Violations:
    """A connection's asynchronous errors: the server reports a denied publish or
    subscription as `Permissions Violation` on the connection, not to the call."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.arrived = asyncio.Event()

    async def record(self, error: Exception) -> None:
        self.seen.append(str(error))
        self.arrived.set()


async def connected_as(
    server: NatsServer, user: str, violations: Violations
) -> AsyncIterator[NatsClient]:
    nc = await nats.connect(
        f"nats://127.0.0.1:{server.port}",
        user=user,
        password=password(user),
        inbox_prefix=inbox_prefix(user),
        error_cb=violations.record,
        allow_reconnect=False,
    )
    try:
        yield nc
    finally:
        await nc.close()


async def test_a_client_without_credentials_cannot_connect(private_nats: NatsServer) -> None:
    assert "Authorization Violation" in await connect_reply(private_nats.port)
    wrong = await connect_reply(private_nats.port, user="gateway", **{"pass": "guessed"})
    assert "Authorization Violation" in wrong
    right = await connect_reply(private_nats.port, user="gateway", **{"pass": password("gateway")})
    assert right == "PONG"


@pytest.mark.parametrize(
    ("user", "subject"),
    [
        ("notifier", EVSES_GET.subject),  # a forged caller header on the registry
        ("telemetry", EVSES_DECOMMISSION.subject),  # it may read the registry, not change it
        ("provider-bridge", "onboarding.tokens.issue"),
        ("gateway", BRIDGE_OCPP_CREDENTIALS_ISSUE.subject),  # only onboarding may
        ("notifier", BRIDGE_OCPP_CREDENTIALS_ISSUE.subject),
        ("catalogue", "telemetry.events.status"),  # a stream only the bridge writes
        ("gateway", "evses.events.onboarded"),
    ],
)
async def test_a_service_cannot_publish_what_is_not_its_own(
    private_nats: NatsServer, user: str, subject: str
) -> None:
    operator = await nats.connect(private_nats.url)
    observed = await operator.subscribe(subject)
    await operator.flush()
    violations = Violations()
    async for nc in connected_as(private_nats, user, violations):
        await nc.publish(subject, b"{}", headers={PRINCIPAL_HEADER: '{"kind":"application"}'})
        await nc.flush()
        await violations.arrived.wait()
    assert "permissions violation for publish" in violations.seen[0], violations.seen
    await operator.publish(subject, b"sentinel")
    sentinel = await observed.next_msg(timeout=10)
    assert sentinel.data == b"sentinel"  # the denied message was never delivered before it
    await operator.close()


@pytest.mark.parametrize("user", ["notifier", "provider-bridge", "catalogue"])
async def test_a_service_cannot_read_another_services_replies(
    private_nats: NatsServer, user: str
) -> None:
    violations = Violations()
    async for nc in connected_as(private_nats, user, violations):
        await nc.subscribe(f"{inbox_prefix('gateway')}.>")
        await nc.flush()
        await violations.arrived.wait()
    assert "permissions violation for subscription" in violations.seen[0], violations.seen


async def test_the_allowed_request_goes_through(private_nats: NatsServer) -> None:
    violations = Violations()

    async def answer(msg: Msg) -> None:
        await msg.respond(b"answered")

    async for bridge in connected_as(private_nats, "provider-bridge", violations):
        await bridge.subscribe(BRIDGE_OCPP_CREDENTIALS_ISSUE.subject, cb=answer)
        await bridge.flush()
        async for onboarding in connected_as(private_nats, "onboarding", violations):
            reply = await onboarding.request(BRIDGE_OCPP_CREDENTIALS_ISSUE.subject, b"{}")
    assert reply.data == b"answered"
    assert violations.seen == []


def test_every_request_subject_is_answered_by_exactly_one_service() -> None:
    for subject in SUBJECT_TABLE:
        answering = [
            user
            for user, permissions in SERVICE_PERMISSIONS.items()
            if subject in permissions.subscribe
        ]
        assert len(answering) == 1, (subject, answering)
