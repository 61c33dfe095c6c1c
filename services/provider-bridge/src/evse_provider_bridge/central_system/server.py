"""The OCPP WebSocket listener: handshake auth, one session per socket, sockets across replicas.

Handshake: path `/ocpp/<charge_point_id>`, subprotocol `ocpp1.6` (else 400), HTTP Basic with
the charge point id as username and its issued password (else 401, unknown path 404).
While a socket is open this replica answers `bridge.ocpp.<id>.call`; a new connection first
publishes `bridge.ocpp.<id>.takeover` so a replica still holding an older socket closes it
(revocation publishes one too). Closing the listener closes sockets with 1001 (going away).
The charger read to check the password is the one the socket is served with (one database
read per connection); a takeover arriving between the check and the socket's registration
(a revocation, a newer connection) refuses the socket as one arriving after it closes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import http
import re
import uuid
import weakref
from collections.abc import Awaitable, Callable

import ocpp.messages
import structlog
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from pydantic import ValidationError
from websockets.asyncio.server import Server, ServerConnection, basic_auth, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from evse_contracts.bridge import (
    CHARGE_POINT_ID_PATTERN,
    SendCommand,
    ocpp_call_subject,
    ocpp_takeover_subject,
)
from evse_contracts.problems import DomainError
from evse_runtime.replies import bad_request_problem, encode_ok, encode_problem

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
        self._server: Server | None = None
        self._sessions: dict[str, tuple[str, ChargerSession, ServerConnection]] = {}
        self._auth = basic_auth(realm="ocpp", check_credentials=self._check_credentials)
        self._checked: dict[str, OcppCharger] = {}
        """Chargers whose password matched, until their handshake takes them (no await)."""
        self._handshakes: weakref.WeakKeyDictionary[ServerConnection, OcppCharger | None] = (
            weakref.WeakKeyDictionary()
        )
        """Authenticated sockets not yet registered; None once a takeover came for them."""

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def connected(self) -> int:
        return len(self._sessions)

    async def start(self, host: str, port: int) -> None:
        self._server = await serve(
            self._handle,
            host,
            port,
            subprotocols=[SUBPROTOCOL],  # type: ignore[list-item]
            process_request=self._process_request,
            ping_interval=None,  # chargers heartbeat at the OCPP level
            max_size=self._max_frame_bytes,
        )
        log.info("ocpp listening", host=host, port=self.port)

    async def close(self, timeout_s: float) -> None:
        if self._server is None:
            return
        self._server.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._server.wait_closed(), timeout_s)
        sessions = [session for _, session, _ in self._sessions.values()]
        await asyncio.gather(*(s.finish_commands(timeout_s) for s in sessions))

    async def _process_request(
        self, connection: ServerConnection, request: Request
    ) -> Response | None:
        charge_point_id = _charge_point_id(request.path)
        if charge_point_id is None:
            return connection.respond(http.HTTPStatus.NOT_FOUND, "Unknown path\n")
        refused = await self._auth(connection, request)
        if refused is not None:
            return refused
        charger = self._checked.pop(connection.username or "", None)
        if charger is None or connection.username != charge_point_id:
            return connection.respond(http.HTTPStatus.UNAUTHORIZED, "Invalid credentials\n")
        self._handshakes[connection] = charger
        return None

    async def _check_credentials(self, username: str, password: str) -> bool:
        charger = await self._store.find(username)
        if charger is None or not password_matches(password, charger.password_hash):
            return False
        self._checked[username] = charger
        return True

    async def _handle(self, ws: ServerConnection) -> None:
        charger = self._handshakes.pop(ws, None)
        if charger is None:  # revoked (or connected again) between handshake and now
            await ws.close(1008, "credentials revoked")
            return
        cp_id = charger.charge_point_id
        tap = FrameTap(
            ws,
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
        self._sessions[cp_id] = (connection_id, session, ws)
        sub = await self._nc.subscribe(ocpp_call_subject(cp_id), cb=self._answer(session))
        await self._nc.flush()
        log.info("charger connected", charge_point_id=cp_id, evse_uid=charger.evse_uid)
        try:
            await session.start()
        except ConnectionClosed:
            pass
        finally:
            await _unsubscribe(sub)
            current = self._sessions.get(cp_id)
            if current is not None and current[0] == connection_id:
                del self._sessions[cp_id]
                await session.publish_status(online=False)
            log.info("charger disconnected", charge_point_id=cp_id, code=ws.close_code)

    async def _replace_local(self, cp_id: str, connection_id: str) -> None:
        held = self._sessions.get(cp_id)
        if held is not None and held[0] != connection_id:
            del self._sessions[cp_id]
            await held[2].close(_REPLACED, "replaced by a newer connection")

    async def on_takeover(self, msg: Msg) -> None:
        """Another connection of this charger (or a revocation): close the socket held here."""
        cp_id = msg.subject.split(".")[2]
        for connection, charger in list(self._handshakes.items()):
            if charger is not None and charger.charge_point_id == cp_id:
                self._handshakes[connection] = None
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


def _charge_point_id(path: str) -> str | None:
    if not path.startswith(_PREFIX):
        return None
    cp_id = path[len(_PREFIX) :].split("?", 1)[0]
    return cp_id if re.fullmatch(CHARGE_POINT_ID_PATTERN, cp_id) else None


async def _unsubscribe(sub: Subscription) -> None:
    with contextlib.suppress(Exception):
        await sub.unsubscribe()
