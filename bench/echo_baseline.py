"""Baseline for `catalogue_read.py`: FastAPI doing one raw nats-py request to an echo responder.

`python echo_baseline.py responder NATS_URL BODY` answers `bench.echo` with BODY (an EVSE
model); `python echo_baseline.py gateway NATS_URL PORT` serves `GET /echo/{id}` forwarding there.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import nats
import uvicorn
import uvloop
from fastapi import FastAPI
from fastapi.responses import Response

SUBJECT = "bench.echo"


async def respond(nats_url: str, body: bytes) -> None:
    nc = await nats.connect(nats_url)

    async def echo(msg: nats.aio.msg.Msg) -> None:
        await msg.respond(body)

    await nc.subscribe(SUBJECT, queue="echo", cb=echo)
    await asyncio.Event().wait()


def gateway(nats_url: str) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.nc = await nats.connect(nats_url)
        yield
        await app.state.nc.drain()

    app = FastAPI(lifespan=lifespan)

    @app.get("/echo/{item_id}")
    async def echo(item_id: str) -> Response:
        reply = await app.state.nc.request(SUBJECT, item_id.encode(), timeout=5)
        return Response(reply.data, media_type="application/json")

    return app


def main() -> None:
    role, nats_url = sys.argv[1], sys.argv[2]
    if role == "responder":
        uvloop.run(respond(nats_url, sys.argv[3].encode()))
    else:
        uvicorn.run(gateway(nats_url), port=int(sys.argv[3]), log_level="warning")


if __name__ == "__main__":
    main()
