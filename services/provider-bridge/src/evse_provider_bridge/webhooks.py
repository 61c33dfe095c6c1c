"""Relayed vendor pushes (stream `WEBHOOKS`, subject `webhooks.<provider>`): status logs and
command outcomes.

The gateway verified each HTTP delivery's signature before publishing it; the bridge relays the
vendor streams it holds itself (`vendor_streams.py`). Each adapter reads its vendor's push shape
(`read_push`); a payload it cannot read is dead-lettered. A pushed command outcome fixes the
tracked command's outcome (`decide_pushed`) and the check loop logs it, once, as it logs any.
"""

from __future__ import annotations

import structlog
from nats.aio.msg import Msg

from evse_runtime.consumers import Poison
from evse_runtime.mongo import as_stored

from .adapters import Adapters
from .adapters.payloads import SHAPE_ERRORS
from .clock import Clock, utc_now
from .command_store import CommandStore
from .events import status_log
from .link_store import LinkStore
from .telemetry_publisher import TelemetryPublisher
from .tracked_commands import CommandOutcome

__all__ = ["WebhookHandler"]

log = structlog.get_logger("evse.bridge.webhooks")


class WebhookHandler:
    def __init__(
        self,
        *,
        links: LinkStore,
        commands: CommandStore,
        adapters: Adapters,
        publisher: TelemetryPublisher,
        clock: Clock = utc_now,
    ) -> None:
        self._links = links
        self._clock = clock
        self._commands = commands
        self._adapters = adapters
        self._publisher = publisher

    async def __call__(self, msg: Msg) -> None:
        provider = msg.subject.removeprefix("webhooks.")
        if provider not in self._adapters:
            raise Poison(f"no adapter for provider {provider!r}")
        try:
            push = self._adapters.read_push(provider, msg.data)
        except SHAPE_ERRORS as exc:  # JSONDecodeError is a ValueError
            raise Poison(f"unreadable {provider} webhook payload: {exc!r}") from exc
        at = self._clock()
        for device_id, status in push.statuses:
            for link in await self._links.links_for_device(provider, device_id):
                await self._publisher.publish(
                    status_log(link.evse_uid, status, source="webhook", at=at)
                )
        for pushed in push.command_results:
            outcome = CommandOutcome(
                pushed.result,
                as_stored(at),
                vendor_response_code=pushed.vendor_response_code,
                detail=pushed.detail,
            )
            # No match: a command sent by another app of the user's, or one already logged.
            matched = await self._commands.decide_pushed(provider, pushed.ack_id, outcome)
            log.info(
                "pushed command result",
                provider=provider,
                ack_id=pushed.ack_id,
                result=pushed.result,
                matched=matched,
            )
