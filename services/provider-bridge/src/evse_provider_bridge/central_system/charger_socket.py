"""The charger's WebSocket as the session reads and writes it: text frames in, text frames out.

aiohttp hands every frame over as a message, control frames and the close included; the
session only wants the text of the next data frame, or to know that the socket closed.
"""

from __future__ import annotations

from aiohttp import WSMsgType, web

__all__ = ["ChargerSocket", "SocketClosed"]


class SocketClosed(Exception):
    """The charger's socket is closed (or closing): nothing more to read or send."""


class ChargerSocket:
    def __init__(self, ws: web.WebSocketResponse) -> None:
        self._ws = ws

    @property
    def close_code(self) -> int | None:
        return self._ws.close_code

    async def recv(self) -> str | bytes:
        msg = await self._ws.receive()
        if msg.type is WSMsgType.TEXT or msg.type is WSMsgType.BINARY:
            return msg.data  # type: ignore[no-any-return]
        raise SocketClosed(self._ws.close_code)

    async def send(self, raw: str) -> None:
        if self._ws.closed:
            raise SocketClosed(self._ws.close_code)
        try:
            await self._ws.send_str(raw)
        except ConnectionError as exc:  # the transport went away mid-write
            raise SocketClosed(self._ws.close_code) from exc

    async def close(self, code: int, reason: str) -> None:
        await self._ws.close(code=code, message=reason.encode())
