"""Turn relayed vendor pushes (stream `WEBHOOKS`, subject `webhooks.<provider>`) into status logs.

The gateway verified each delivery's signature before publishing it. Each adapter reads its
vendor's push shape (`statuses_from_webhook`); a payload it cannot read is dead-lettered.
"""

from __future__ import annotations

import json

from nats.aio.msg import Msg

from evse_runtime.consumers import Poison

from .adapters import Adapters
from .events import now, status_log
from .store import LinkStore
from .telemetry_publisher import TelemetryPublisher

__all__ = ["WebhookHandler"]


class WebhookHandler:
    def __init__(
        self, *, store: LinkStore, adapters: Adapters, publisher: TelemetryPublisher
    ) -> None:
        self._store = store
        self._adapters = adapters
        self._publisher = publisher

    async def __call__(self, msg: Msg) -> None:
        provider = msg.subject.removeprefix("webhooks.")
        if provider not in self._adapters:
            raise Poison(f"no adapter for provider {provider!r}")
        try:
            reports = self._adapters.statuses_from_webhook(provider, msg.data)
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise Poison(f"unreadable {provider} webhook payload: {exc!r}") from exc
        at = now()
        for device_id, status in reports:
            for link in await self._store.links_for_device(provider, device_id):
                await self._publisher.publish(
                    status_log(link.evse_uid, status, source="webhook", at=at)
                )
