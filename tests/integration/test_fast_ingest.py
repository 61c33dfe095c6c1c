"""Fast-ingest batches against a real nats-server: one outcome per message, in order; a
message the stream refuses fails alone; every message reported stored is in the stream, once."""

from __future__ import annotations

import asyncio

import nats
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.errors import (
    BadHeaderError,
    BadSubjectError,
    MaxPayloadError,
    OutboundBufferLimitError,
)
from nats.js import JetStreamContext
from nats.js.api import Header, StreamConfig
from nats.js.errors import APIError, NoStreamResponseError

from evse_contracts.telemetry import MSG_ID_HEADER
from evse_devstack.backends import NatsServer
from evse_runtime.fast_ingest import FastIngest, Outgoing
from tests.utils.jetstream import stream_payloads
from tests.utils.polling import until_holds

STREAM = "INGEST"
NOT_THIS_STREAM = 10060


async def ingest_stream(nc: NatsClient, *, batched: bool = True) -> JetStreamContext:
    js = nc.jetstream()
    await js.add_stream(
        StreamConfig(name=STREAM, subjects=["ingest.>"], duplicate_window=60, allow_batched=batched)
    )
    return js


def messages(count: int, *, start: int = 0) -> list[Outgoing]:
    return [
        Outgoing(
            f"ingest.evse-{i % 7}",
            f'{{"n":{i}}}'.encode(),
            {MSG_ID_HEADER: f"m-{i}", Header.EXPECTED_STREAM: STREAM},
        )
        for i in range(start, start + count)
    ]


async def test_every_message_is_stored_in_order_and_reported(private_nc: NatsClient) -> None:
    js = await ingest_stream(private_nc)
    sent = messages(1200)  # more than one flow ack's worth (500)

    outcomes = await FastIngest(private_nc).publish(sent)

    assert outcomes == [None] * 1200
    assert await stream_payloads(js, STREAM) == [m.payload for m in sent]


async def test_batches_published_at_once_are_each_stored_and_reported(
    private_nc: NatsClient,
) -> None:
    js = await ingest_stream(private_nc)
    ingest = FastIngest(private_nc)
    parts = [messages(300, start=i * 300) for i in range(4)]

    outcomes = await asyncio.gather(*(ingest.publish(part) for part in parts))

    assert outcomes == [[None] * 300] * 4
    assert sorted(await stream_payloads(js, STREAM)) == sorted(m.payload for p in parts for m in p)


async def test_a_duplicate_counts_as_stored_and_is_not_stored_again(
    private_nc: NatsClient,
) -> None:
    js = await ingest_stream(private_nc)
    ingest = FastIngest(private_nc)
    await ingest.publish(messages(4))

    outcomes = await ingest.publish(messages(6))  # the first four again, then two new

    assert outcomes == [None] * 6
    assert await stream_payloads(js, STREAM) == [m.payload for m in messages(6)]


async def test_a_message_the_stream_refuses_fails_alone(private_nc: NatsClient) -> None:
    js = await ingest_stream(private_nc)
    sent = messages(6)
    for refused in (0, 3):  # the batch's first message, and one in its middle
        sent[refused] = Outgoing(
            sent[refused].subject,
            sent[refused].payload,
            {**sent[refused].headers, Header.EXPECTED_STREAM: "ANOTHER"},
        )

    outcomes = await FastIngest(private_nc).publish(sent)

    refusals = [isinstance(outcome, APIError) for outcome in outcomes]
    assert refusals == [True, False, False, True, False, False], outcomes
    assert {outcome.err_code for outcome in outcomes if isinstance(outcome, APIError)} == {
        NOT_THIS_STREAM
    }
    assert await stream_payloads(js, STREAM) == [sent[i].payload for i in (1, 2, 4, 5)]


async def test_a_message_too_big_to_send_fails_alone(private_nc: NatsClient) -> None:
    js = await ingest_stream(private_nc)
    sent = messages(3)
    sent[1] = Outgoing(sent[1].subject, b"x" * (private_nc.max_payload + 1), sent[1].headers)

    outcomes = await FastIngest(private_nc).publish(sent)

    assert outcomes[0] is None and outcomes[2] is None
    assert isinstance(outcomes[1], MaxPayloadError)
    assert await stream_payloads(js, STREAM) == [sent[0].payload, sent[2].payload]


async def test_each_message_arrives_as_sent_with_its_headers_and_the_batch_reply(
    private_nc: NatsClient,
) -> None:
    """The batch is written as protocol commands built here, not by nats-py's `publish`: a
    plain subscriber must read every message as nats-py would have sent it."""
    await ingest_stream(private_nc)
    seen: list[Msg] = []

    async def keep(msg: Msg) -> None:
        seen.append(msg)

    await private_nc.subscribe("ingest.>", cb=keep)
    sent = messages(3)
    sent[1] = Outgoing("ingest.üñí", '{"é":1}'.encode(), {**sent[1].headers, " X-Pad ": " v "})

    assert await FastIngest(private_nc).publish(sent) == [None] * 3
    await until_holds(lambda: len(seen) == len(sent))

    assert [(m.subject, m.data) for m in seen] == [(m.subject, m.payload) for m in sent]
    assert [m.headers for m in seen] == [
        {name.strip(): value.strip() for name, value in m.headers.items()} for m in sent
    ]
    assert [m.reply.rsplit(".", 3)[1:] for m in seen] == [  # batch sequence, op (open, add, commit)
        ["1", "0", "$FI"],
        ["2", "1", "$FI"],
        ["3", "2", "$FI"],
    ]


async def test_a_subject_or_header_that_could_inject_a_command_is_refused_or_defused(
    private_nc: NatsClient,
) -> None:
    js = await ingest_stream(private_nc)
    seen: list[str] = []

    async def keep(msg: Msg) -> None:
        seen.append(msg.subject)

    await private_nc.subscribe(">", cb=keep)
    injected = "\r\nPUB ingest.evil 1\r\nX"
    sent = messages(4)
    sent[0] = Outgoing(f"ingest.a{injected}", sent[0].payload, sent[0].headers)
    sent[1] = Outgoing("ingest.a b", sent[1].payload, sent[1].headers)
    sent[2] = Outgoing(sent[2].subject, sent[2].payload, {**sent[2].headers, "Bad Name": "v"})
    sent[3] = Outgoing(sent[3].subject, sent[3].payload, {**sent[3].headers, "X-Note": injected})

    outcomes = await FastIngest(private_nc).publish(sent)
    await until_holds(lambda: sent[3].subject in seen)

    assert [type(outcome) for outcome in outcomes[:3]] == [
        BadSubjectError,
        BadSubjectError,
        BadHeaderError,
    ]
    assert outcomes[3] is None
    assert await stream_payloads(js, STREAM) == [sent[3].payload]
    stored = await js.get_msg(STREAM, 1)
    assert stored.headers is not None
    assert stored.headers["X-Note"] == injected.replace("\r", " ").replace("\n", " ").strip()
    assert "ingest.evil" not in seen


async def test_while_reconnecting_a_batch_waits_if_it_fits_the_buffer_and_fails_if_not(
    private_nats: NatsServer,
) -> None:
    """As nats-py's `publish` does: what fits the client's reconnect buffer is sent once the
    server is back, a batch that does not fit fails at once."""
    nc = await nats.connect(
        private_nats.url, pending_size=2048, reconnect_time_wait=0.1, max_reconnect_attempts=-1
    )
    try:
        js = await ingest_stream(nc)
        ingest = FastIngest(nc, ack_timeout_s=60)
        assert await ingest.publish(messages(1)) == [None]
        private_nats.stop()
        await until_holds(lambda: not nc.is_connected)
        big = [Outgoing(m.subject, b"x" * 1000, m.headers) for m in messages(3, start=1)]

        refused = await ingest.publish(big)
        held = asyncio.create_task(ingest.publish(messages(2, start=4)))
        await until_holds(lambda: nc.pending_data_size > 0)  # in the buffer, not yet sent
        private_nats.start()

        assert all(isinstance(outcome, OutboundBufferLimitError) for outcome in refused)
        assert await held == [None, None]
        assert await stream_payloads(js, STREAM) == [
            m.payload for m in messages(1) + messages(2, start=4)
        ]
    finally:
        await nc.close()


async def test_a_stream_without_batching_refuses_every_message(private_nc: NatsClient) -> None:
    js = await ingest_stream(private_nc, batched=False)

    outcomes = await FastIngest(private_nc).publish(messages(3))

    assert all(isinstance(outcome, APIError) for outcome in outcomes)
    assert (await js.stream_info(STREAM)).state.messages == 0


async def test_no_stream_fails_every_message(private_nc: NatsClient) -> None:
    outcomes = await FastIngest(private_nc).publish(messages(3))

    assert all(isinstance(outcome, NoStreamResponseError) for outcome in outcomes)
