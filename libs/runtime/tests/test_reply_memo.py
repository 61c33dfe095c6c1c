"""A responder with a `ReplyMemo` answers a repeated request with the bytes it sent before,
keeps only `ok` replies, and keeps nothing computed from data that changed meanwhile."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from pydantic import BaseModel

from evse_contracts.bus import REQUEST_ID_HEADER, Route
from evse_contracts.problems import NotFound
from evse_runtime.reply_memo import ReplyMemo
from evse_runtime.responders import RequestContext, Responder


class Get(BaseModel):
    uid: str


class Thing(BaseModel):
    uid: str
    version: int


ROUTE = Route("things.get", Get, Thing)


@dataclass
class FakeMsg:
    data: bytes
    reply: str = "_INBOX.1"
    headers: dict[str, str] = field(default_factory=lambda: {REQUEST_ID_HEADER: "r1"})


@dataclass
class FakeBus:
    """Records what is published, as (subject, payload, headers)."""

    sent: list[tuple[str, bytes, dict[str, str] | None]] = field(default_factory=list)

    async def publish(
        self, subject: str, payload: bytes, headers: dict[str, str] | None = None
    ) -> None:
        self.sent.append((subject, payload, headers))


@dataclass
class Things:
    """The data behind the handler: `version` changes as a reload would."""

    version: int = 1
    asked: int = 0

    async def get(self, request: Get, _: RequestContext) -> Thing:
        self.asked += 1
        if request.uid == "missing":
            raise NotFound("no such thing")
        return Thing(uid=request.uid, version=self.version)


def responder_of(things: Things, memo: ReplyMemo) -> Responder[Get, Thing]:
    return Responder(ROUTE, things.get, cast(NatsClient, FakeBus()), memo=memo)


async def ask(responder: Responder[Get, Thing], data: bytes) -> bytes:
    """What a subscription callback does: a held reply at once, else the handler."""
    msg = FakeMsg(data)
    bus = cast(FakeBus, responder.nc)
    sent = len(bus.sent)
    if not await responder.answer_held(cast(Msg, msg)):
        await responder(cast(Msg, msg))
    [(inbox, reply, headers)] = bus.sent[sent:]
    assert inbox == msg.reply
    assert headers is None, "the request's headers are not sent back"
    return reply


async def test_a_repeated_request_is_answered_with_the_same_bytes_without_the_handler() -> None:
    things = Things()
    responder = responder_of(things, ReplyMemo(max_bytes=10_000))
    first = await ask(responder, b'{"uid":"a"}')
    again = await ask(responder, b'{"uid":"a"}')
    assert again == first
    assert things.asked == 1
    await ask(responder, b'{"uid":"b"}')
    assert things.asked == 2


async def test_problems_are_not_held() -> None:
    things = Things()
    responder = responder_of(things, ReplyMemo(max_bytes=10_000))
    for _ in range(2):
        assert b'"problem"' in await ask(responder, b'{"uid":"missing"}')
    assert things.asked == 2


async def test_after_a_clear_the_handler_answers_from_the_new_data() -> None:
    things, memo = Things(), ReplyMemo(max_bytes=10_000)
    responder = responder_of(things, memo)
    await ask(responder, b'{"uid":"a"}')
    things.version = 2
    memo.clear()
    assert Thing.model_validate_json(
        (await ask(responder, b'{"uid":"a"}'))[len(b'{"ok":') : -1]
    ) == Thing(uid="a", version=2)


def test_a_reply_begun_before_a_clear_is_not_kept() -> None:
    memo = ReplyMemo(max_bytes=10_000)
    generation = memo.generation
    memo.clear()
    memo.put(ROUTE.subject, b'{"uid":"a"}', b'{"ok":{}}', generation=generation)
    assert memo.get(ROUTE.subject, b'{"uid":"a"}') is None


def test_the_same_request_on_another_subject_is_another_reply() -> None:
    memo = ReplyMemo(max_bytes=10_000)
    memo.put("makes.list", b"{}", b"makes", generation=memo.generation)
    memo.put("models.list", b"{}", b"models", generation=memo.generation)
    assert memo.get("makes.list", b"{}") == b"makes"
    assert memo.get("models.list", b"{}") == b"models"


def test_the_least_recently_used_replies_go_first_past_the_byte_limit() -> None:
    memo = ReplyMemo(max_bytes=30)
    for request in (b"a", b"b", b"c"):
        memo.put("s", request, b"x" * 9, generation=memo.generation)
    assert memo.get("s", b"a") is not None  # a is now the most recently used
    memo.put("s", b"d", b"x" * 9, generation=memo.generation)
    assert [memo.get("s", r) is not None for r in (b"a", b"b", b"c", b"d")] == [
        True,
        False,
        True,
        True,
    ]
    memo.put("s", b"e", b"x" * 31, generation=memo.generation)
    assert memo.get("s", b"e") is None
