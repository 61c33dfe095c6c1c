"""The batch handlers that turn a per-message handler into a consumer's: acks, naks, order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

from nats.aio.msg import Msg
from nats.js import JetStreamContext

from evse_runtime.consumers import Poison, one_by_one, per_key


@dataclass
class FakeMsg:
    subject: str
    data: bytes = b"{}"
    outcome: list[str] = field(default_factory=list)

    async def ack(self) -> None:
        self.outcome.append("ack")

    async def nak(self, delay: float | None = None) -> None:
        self.outcome.append(f"nak {delay}")

    async def term(self) -> None:
        self.outcome.append("term")


@dataclass
class FakeJetStream:
    published: list[str] = field(default_factory=list)

    async def publish(self, subject: str, payload: bytes, headers: dict[str, str]) -> None:
        self.published.append(subject)


@dataclass
class Handler:
    """Fails on `failing` subjects, dead-letters `poison` ones, records the rest in order."""

    failing: set[str] = field(default_factory=set)
    poison: set[str] = field(default_factory=set)
    handled: list[str] = field(default_factory=list)

    async def __call__(self, msg: Msg) -> None:
        if msg.subject in self.poison:
            raise Poison("never valid")
        if msg.subject in self.failing:
            raise RuntimeError("store down")
        self.handled.append(msg.subject)


def batch(*subjects: str) -> list[FakeMsg]:
    return [FakeMsg(subject) for subject in subjects]


def outcomes(msgs: list[FakeMsg]) -> dict[str, list[str]]:
    return {msg.subject: msg.outcome for msg in msgs}


async def test_per_key_naks_the_rest_of_a_failing_keys_messages_and_acks_other_keys() -> None:
    js = FakeJetStream()
    handle = Handler(failing={"t.a.1"})
    msgs = batch("t.a.1", "t.b.1", "t.a.2", "t.b.2")
    handle_batch = per_key(
        cast(JetStreamContext, js),
        "TELEMETRY",
        handle,
        key=lambda msg: msg.subject.split(".")[1],
        retry_delay_s=1.5,
    )
    await handle_batch(cast(list[Msg], msgs))
    assert outcomes(msgs) == {
        "t.a.1": ["nak 1.5"],
        "t.b.1": ["ack"],
        "t.a.2": ["nak 1.5"],
        "t.b.2": ["ack"],
    }
    assert handle.handled == ["t.b.1", "t.b.2"]
    assert js.published == []


async def test_per_key_dead_letters_poison_and_goes_on_with_the_key() -> None:
    js = FakeJetStream()
    handle = Handler(poison={"t.a.1"})
    msgs = batch("t.a.1", "t.a.2")
    handle_batch = per_key(
        cast(JetStreamContext, js), "TELEMETRY", handle, key=lambda _: "", retry_delay_s=1.0
    )
    await handle_batch(cast(list[Msg], msgs))
    assert outcomes(msgs) == {"t.a.1": ["term"], "t.a.2": ["ack"]}
    assert js.published == ["deadletter.TELEMETRY"]


async def test_one_by_one_naks_only_the_message_that_failed() -> None:
    js = FakeJetStream()
    handle = Handler(failing={"t.a.1"}, poison={"t.a.3"})
    msgs = batch("t.a.1", "t.a.2", "t.a.3")
    handle_batch = one_by_one(cast(JetStreamContext, js), "TELEMETRY", handle, retry_delay_s=10.0)
    await handle_batch(cast(list[Msg], msgs))
    assert outcomes(msgs) == {"t.a.1": ["nak 10.0"], "t.a.2": ["ack"], "t.a.3": ["term"]}
    assert js.published == ["deadletter.TELEMETRY"]
