"""A NATS client's first words over a raw socket, to see a server refuse them.

nats-py leaves a refused connection's streams to the garbage collector (a warning after the
event loop is gone); speaking the protocol's opening directly leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import json

__all__ = ["connect_reply"]


async def connect_reply(port: int, **credentials: str) -> str:
    """The server's answer to CONNECT (with `user`/`pass` if given) and a PING."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        await reader.readline()  # INFO
        options = {"verbose": False, "pedantic": False, "protocol": 1, **credentials}
        writer.write(f"CONNECT {json.dumps(options)}\r\nPING\r\n".encode())
        await writer.drain()
        return (await reader.readline()).decode().strip()
    finally:
        writer.close()
        await writer.wait_closed()
