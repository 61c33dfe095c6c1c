"""The OCPP WebSocket listener: handshake auth, one session per socket, sockets across replicas.

Handshake: path `/ocpp/<charge_point_id>` (else 404), HTTP Basic with the charge point id as
username and its issued password (else 401), subprotocol `ocpp1.6` (else 400).
While a socket is open this replica answers `bridge.ocpp.<id>.call`; a new connection first
publishes `bridge.ocpp.<id>.takeover` so a replica still holding an older socket closes it
(revocation publishes one too). Closing the listener closes sockets with 1001 (going away).
The charger read to check the password is the one the socket is served with (one database
read per connection); a takeover arriving between the check and the socket's registration
(a revocation, a newer connection) refuses the socket as one arriving after it closes it.

aiohttp serves it: its WebSocket framing costs 0.66–0.82x the CPU of `websockets`'
(`bench/websocket_framing.py`), and its handler runs before the upgrade, so the password
read from the store decides the 401.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from collections.abc import Awaitable, Callable

import ocpp.messages
import structlog
from aiohttp import BasicAuth, hdrs, web
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from pydantic import ValidationError

from evse_contracts.bridge import (
    CHARGE_POINT_ID_PATTERN,
    SendCommand,
    ocpp_call_subject,
    ocpp_takeover_subject,
)
from evse_contracts.problems import DomainError
from evse_runtime.replies import bad_request_problem, encode_ok, encode_problem

from .charger_socket import ChargerSocket, SocketClosed
from .event_queue import EventQueue
from .frame_tap import FrameTap
from .passwords import password_matches
from .session import ChargerSession, SessionSettings
from .store import OcppCharger, OcppStore

__all__ = ["TAKEOVER_SUBJECTS", "OcppServer"]

log = structlog.get_logger("evse.bridge.ocpp")
SUBPROTOCOL = "ocpp1.6"
TAKEOVER_SUBJECTS = ocpp_takeover_subject("*")
_PREFIX = "/ocpp/"
_REPLACED = 4000
"""Close code for a socket superseded by a newer connection of the same charger."""
_GOING_AWAY = 1001
_REVOKED = 1008
_CHALLENGE = {hdrs.WWW_AUTHENTICATE: 'Basic realm="ocpp", charset="UTF-8"'}

# Validate payloads inline: the package's default runs every jsonschema check in a thread,
# a thread hop per frame that costs more than the check itself.
ocpp.messages.ASYNC_VALIDATION = False


class OcppServer:
    def __init__(
        self,
        *,
        nc: NatsClient,
        store: OcppStore,
        events: EventQueue,
        settings: SessionSettings,
        max_frame_bytes: int,
    ) -> None:
        self._nc = nc
        self._max_frame_bytes = max_frame_bytes
        self._store = store
        self._events = events
        self._settings = settings
        self._runner: web.AppRunner | None = None
        self._sessions: dict[str, tuple[str, ChargerSession, ChargerSocket]] = {}
        self._sockets: set[web.WebSocketResponse] = set()
        self._handshakes: dict[object, str | None] = {}
        """Authenticated handshakes not yet registered, by charge point id; None once a
        takeover came for them."""

    @property
    def port(self) -> int:
        assert self._runner is not None
        return int(self._runner.addresses[0][1])

    @property
    def connected(self) -> int:
        return len(self._sessions)

    async def start(self, host: str, port: int) -> None:
        app = web.Application()
        app.router.add_get("/{path:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        log.info("ocpp listening", host=host, port=self.port)

    async def close(self, timeout_s: float) -> None:
        if self._runner is None:
            return
        runner, self._runner = self._runner, None
        for site in list(runner.sites):
            await site.stop()  # no new connections
        closing = [ws.close(code=_GOING_AWAY, message=b"going away") for ws in self._sockets]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*closing, return_exceptions=True), timeout_s)
        sessions = [session for _, session, _ in self._sessions.values()]
        await asyncio.gather(*(s.finish_commands(timeout_s) for s in sessions))
        with contextlib.suppress(TimeoutError):  # handlers end as their sockets close
            await asyncio.wait_for(runner.cleanup(), timeout_s)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        charge_point_id = _charge_point_id(request.path)
        if charge_point_id is None:
            return web.Response(status=404, text="Unknown path\n")
        charger = await self._authenticated(request, charge_point_id)
        if charger is None:
            return web.Response(status=401, text="Invalid credentials\n", headers=_CHALLENGE)
        handshake = object()
        self._handshakes[handshake] = charge_point_id
        try:
            if SUBPROTOCOL not in _offered_subprotocols(request):
                return web.Response(status=400, text="Unsupported subprotocol\n")
            ws = web.WebSocketResponse(
                protocols=(SUBPROTOCOL,),
                heartbeat=None,  # chargers heartbeat at the OCPP level
                max_msg_size=self._max_frame_bytes,
            )
            await ws.prepare(request)
        finally:
            revoked = self._handshakes.pop(handshake) is None
        self._sockets.add(ws)
        try:
            if revoked:  # revoked (or connected again) between the check and now
                await ws.close(code=_REVOKED, message=b"credentials revoked")
            else:
                await self._serve(charger, ChargerSocket(ws))
        finally:
            self._sockets.discard(ws)
        return ws

    async def _authenticated(self, request: web.Request, cp_id: str) -> OcppCharger | None:
        try:
            credentials = BasicAuth.decode(request.headers.get(hdrs.AUTHORIZATION, ""))
        except ValueError:
            return None
        if credentials.login != cp_id:
            return None
        charger = await self._store.find(cp_id)
        if charger is None or not password_matches(credentials.password, charger.password_hash):
            return None
        return charger

    async def _serve(self, charger: OcppCharger, socket: ChargerSocket) -> None:
        cp_id = charger.charge_point_id
        tap = FrameTap(
            socket,
            evse_uid=charger.evse_uid,
            events=self._events,
            frames_per_minute=self._settings.frames_per_minute,
        )
        session = ChargerSession(
            charger, tap, store=self._store, events=self._events, settings=self._settings
        )
        connection_id = uuid.uuid4().hex
        await self._nc.publish(ocpp_takeover_subject(cp_id), connection_id.encode())
        await self._replace_local(cp_id, connection_id)
        self._sessions[cp_id] = (connection_id, session, socket)
        sub = await self._nc.subscribe(ocpp_call_subject(cp_id), cb=self._answer(session))
        await self._nc.flush()
        log.info("charger connected", charge_point_id=cp_id, evse_uid=charger.evse_uid)
        try:
            await session.start()
        except SocketClosed:
            pass
        finally:
            await _unsubscribe(sub)
            current = self._sessions.get(cp_id)
            if current is not None and current[0] == connection_id:
                del self._sessions[cp_id]
                await session.publish_status(online=False)
            log.info("charger disconnected", charge_point_id=cp_id, code=socket.close_code)

    async def _replace_local(self, cp_id: str, connection_id: str) -> None:
        held = self._sessions.get(cp_id)
        if held is not None and held[0] != connection_id:
            del self._sessions[cp_id]
            await held[2].close(_REPLACED, "replaced by a newer connection")

    async def on_takeover(self, msg: Msg) -> None:
        """Another connection of this charger (or a revocation): close the socket held here."""
        cp_id = msg.subject.split(".")[2]
        for handshake, handshaking in list(self._handshakes.items()):
            if handshaking == cp_id:
                self._handshakes[handshake] = None
        await self._replace_local(cp_id, msg.data.decode())

    def _answer(self, session: ChargerSession) -> Callable[[Msg], Awaitable[None]]:
        async def answer(msg: Msg) -> None:
            try:
                request = SendCommand.model_validate_json(msg.data)
                body = encode_ok(await session.command(request))
            except ValidationError as exc:
                body = encode_problem(bad_request_problem(exc))
            except DomainError as exc:
                body = encode_problem(exc.to_problem())
            if msg.reply:
                await msg.respond(body)

        return answer


def _offered_subprotocols(request: web.Request) -> list[str]:
    offered = request.headers.getall(hdrs.SEC_WEBSOCKET_PROTOCOL, [])
    return [name.strip() for header in offered for name in header.split(",")]


def _charge_point_id(path: str) -> str | None:
    if not path.startswith(_PREFIX):
        return None
    cp_id = path[len(_PREFIX) :].split("?", 1)[0]
    return cp_id if re.fullmatch(CHARGE_POINT_ID_PATTERN, cp_id) else None


async def _unsubscribe(sub: Subscription) -> None:
    with contextlib.suppress(Exception):
        await sub.unsubscribe()
