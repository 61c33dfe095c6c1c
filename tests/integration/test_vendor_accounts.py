"""Vendor account links on the bus: sign-in at the vendor, health, unlink and relink."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg

from evse_contracts.ids import new_uid
from evse_contracts.vendor_accounts import (
    EVSE_LINK_BROKEN,
    EVSE_LINK_RESTORED,
    VENDOR_ACCOUNTS_GET,
    VENDOR_ACCOUNTS_LINK,
    VENDOR_ACCOUNTS_LIST,
    VENDOR_ACCOUNTS_UNLINK,
    EvseLinkBroken,
    EvseLinkRestored,
    LinkVendorAccount,
    ListVendorAccounts,
    VendorAccountLink,
    VendorAccountRef,
)
from evse_runtime.bus_client import BusClient, RemoteProblem
from evse_runtime.mongo import open_database
from evse_vendor_simulator.seed import owner_account, seed_for
from tests.utils.bridge import (
    LinkedUser,
    Simulator,
    TelemetryTap,
    link_owner,
    onboard,
    simulator,
    telemetry_tap,
)
from tests.utils.polling import until_holds
from tests.utils.services import running_bridge

FAST = {"idle_wait_s": 0.05}
POLL_FAST = {"poll_interval_s": 0.1, "backoff_base_s": 0.1, "backoff_max_s": 0.2}


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with simulator(evolve=False, command_delay_s=0.05) as controls:
        yield controls


@pytest_asyncio.fixture
async def bridge(
    sim: Simulator, nats_url: str, mongodb_url: str, database_name: str
) -> AsyncIterator[None]:
    async with running_bridge(
        nats_url=nats_url,
        mongodb_url=mongodb_url,
        database=database_name,
        simulator_url=sim.base_url,
        vendors={"zaptec": POLL_FAST, "easee": POLL_FAST},
        **FAST,
    ):
        yield


@pytest_asyncio.fixture
async def tap(nats_url: str) -> AsyncIterator[TelemetryTap]:
    async with telemetry_tap(nats_url) as telemetry:
        yield telemetry


class LinkEvents:
    def __init__(self) -> None:
        self.broken: list[EvseLinkBroken] = []
        self.restored: list[EvseLinkRestored] = []

    async def receive(self, msg: Msg) -> None:
        if msg.subject == EVSE_LINK_BROKEN:
            self.broken.append(EvseLinkBroken.model_validate_json(msg.data))
        elif msg.subject == EVSE_LINK_RESTORED:
            self.restored.append(EvseLinkRestored.model_validate_json(msg.data))


@pytest_asyncio.fixture
async def link_events(nc: NatsClient) -> AsyncIterator[LinkEvents]:
    events = LinkEvents()
    sub = await nc.subscribe("evses.events.*", cb=events.receive)
    try:
        yield events
    finally:
        await sub.unsubscribe()


def bus(nc: NatsClient) -> BusClient:
    return BusClient(nc, timeout_s=30)


def ref(user: LinkedUser) -> VendorAccountRef:
    return VendorAccountRef(
        application_uid=user.application_uid,
        user_uid=user.user_uid,
        vendor_account_uid=user.vendor_account_uid,
    )


async def test_wrong_vendor_credentials_are_refused_and_nothing_is_stored(
    bridge: None, nc: NatsClient, mongodb_url: str, database_name: str
) -> None:
    seed = seed_for("wallbox")[0]
    with pytest.raises(RemoteProblem) as caught:
        await link_owner(nc, seed, password="not-the-password")
    assert (caught.value.problem.status, caught.value.problem.slug) == (
        422,
        "vendor-credentials-rejected",
    )
    async with open_database(mongodb_url, database_name) as db:
        assert await db["vendor_accounts"].count_documents({}) == 0
        assert await db["provider_tokens"].count_documents({}) == 0


async def test_a_vendor_down_while_linking_is_provider_unavailable_with_no_link(
    bridge: None, nc: NatsClient, sim: Simulator, mongodb_url: str, database_name: str
) -> None:
    await sim.faults("zaptec", mode="error", status=503)
    with pytest.raises(RemoteProblem) as caught:
        await link_owner(nc, seed_for("zaptec")[0])
    assert (caught.value.problem.status, caught.value.problem.slug) == (
        502,
        "provider-unavailable",
    )
    async with open_database(mongodb_url, database_name) as db:
        assert await db["vendor_accounts"].count_documents({}) == 0


async def test_linking_twice_keeps_one_link_and_lists_it_with_its_evses(
    bridge: None, nc: NatsClient, tap: TelemetryTap
) -> None:
    seed = seed_for("easee")[0]
    user = await link_owner(nc, seed)
    account = owner_account(seed)
    again = await bus(nc).request(
        VENDOR_ACCOUNTS_LINK,
        LinkVendorAccount(
            application_uid=user.application_uid,
            user_uid=user.user_uid,
            provider="easee",
            username=account.username,
            password=account.password,
        ),
    )
    assert again.uid == user.vendor_account_uid
    evse_uid = await onboard(nc.jetstream(), "easee", seed.serial_number, user)
    await until_holds(lambda: len(tap.statuses(evse_uid)) >= 1)
    links = await bus(nc).request(
        VENDOR_ACCOUNTS_LIST,
        ListVendorAccounts(application_uid=user.application_uid, user_uid=user.user_uid),
    )
    assert [(link.uid, link.state, link.evse_uids) for link in links.data] == [
        (user.vendor_account_uid, "linked", (evse_uid,))
    ]


async def test_another_user_cannot_see_a_link(bridge: None, nc: NatsClient) -> None:
    user = await link_owner(nc, seed_for("easee")[0])
    stranger = LinkedUser(user.application_uid, new_uid("user"), user.vendor_account_uid)
    with pytest.raises(RemoteProblem) as caught:
        await bus(nc).request(VENDOR_ACCOUNTS_GET, ref(stranger))
    assert caught.value.problem.slug == "vendor-account-not-found"


async def test_a_changed_password_breaks_the_link_and_relinking_restores_the_same_evse(
    bridge: None, nc: NatsClient, sim: Simulator, tap: TelemetryTap, link_events: LinkEvents
) -> None:
    seed = seed_for("zaptec")[0]
    user = await link_owner(nc, seed)
    evse_uid = await onboard(nc.jetstream(), "zaptec", seed.serial_number, user)
    await until_holds(lambda: len(tap.statuses(evse_uid)) >= 2)
    await sim.change_password("zaptec", seed.owner, "changed-at-zaptec")
    await until_holds(lambda: len(link_events.broken) == 1)
    assert (link_events.broken[0].evse_uid, link_events.broken[0].reason) == (
        evse_uid,
        "credentials_rejected",
    )
    link = await bus(nc).request(VENDOR_ACCOUNTS_GET, ref(user))
    assert (link.state, link.reason) == ("broken", "credentials_rejected")
    calls = len(await sim.calls("zaptec"))
    await asyncio.sleep(0.5)  # five poll intervals: a broken link is not polled
    assert len(await sim.calls("zaptec")) == calls
    polled = len(tap.statuses(evse_uid))

    relinked = await link_owner_again(nc, user, seed.owner, "changed-at-zaptec")
    assert (relinked.uid, relinked.state, relinked.evse_uids) == (
        user.vendor_account_uid,
        "linked",
        (evse_uid,),
    )
    await until_holds(lambda: len(tap.statuses(evse_uid)) > polled)
    assert [event.evse_uid for event in link_events.restored] == [evse_uid]
    assert len(link_events.broken) == 1
    await link_owner_again(nc, user, seed.owner, "changed-at-zaptec")  # a double submit
    await asyncio.sleep(0.3)
    assert len(link_events.restored) == 1


async def link_owner_again(
    nc: NatsClient, user: LinkedUser, username: str, password: str
) -> VendorAccountLink:
    return await bus(nc).request(
        VENDOR_ACCOUNTS_LINK,
        LinkVendorAccount(
            application_uid=user.application_uid,
            user_uid=user.user_uid,
            provider="zaptec",
            username=username,
            password=password,
        ),
    )


async def test_unlinking_stops_polling_and_erases_the_credentials(
    bridge: None,
    nc: NatsClient,
    sim: Simulator,
    tap: TelemetryTap,
    link_events: LinkEvents,
    mongodb_url: str,
    database_name: str,
) -> None:
    seed = seed_for("easee")[1]
    user = await link_owner(nc, seed)
    evse_uid = await onboard(nc.jetstream(), "easee", seed.serial_number, user)
    await until_holds(lambda: len(tap.statuses(evse_uid)) >= 1)
    unlinked = await bus(nc).request(VENDOR_ACCOUNTS_UNLINK, ref(user))
    assert unlinked.state == "unlinked"
    await until_holds(lambda: len(link_events.broken) == 1)
    assert link_events.broken[0].reason == "account_unlinked"
    await asyncio.sleep(0.3)  # a poll in flight may still finish
    calls = len(await sim.calls("easee"))
    await asyncio.sleep(0.5)
    assert len(await sim.calls("easee")) == calls
    links = await bus(nc).request(
        VENDOR_ACCOUNTS_LIST,
        ListVendorAccounts(application_uid=user.application_uid, user_uid=user.user_uid),
    )
    assert links.data == ()
    async with open_database(mongodb_url, database_name) as db:
        stored = await db["vendor_accounts"].find_one({"_id": user.vendor_account_uid})
        assert stored is not None and stored["credentials"] == ""
        assert await db["provider_tokens"].count_documents({}) == 0
