"""What the poller and the command desk are both built from."""

from __future__ import annotations

from typing import TypedDict, Unpack

from .adapters import Adapters
from .settings import BridgeSettings
from .store import LinkStore
from .telemetry_publisher import TelemetryPublisher

__all__ = ["BridgeWorker", "WorkerParts"]


class WorkerParts(TypedDict):
    store: LinkStore
    adapters: Adapters
    publisher: TelemetryPublisher
    settings: BridgeSettings


class BridgeWorker:
    """Holds the links, the vendor adapters, the telemetry publisher and the settings."""

    def __init__(self, **parts: Unpack[WorkerParts]) -> None:
        self._store = parts["store"]
        self._adapters = parts["adapters"]
        self._publisher = parts["publisher"]
        self._settings = parts["settings"]
