"""The subject table: every request/reply subject with its request and reply models."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import (
    bridge,
    catalogue,
    compatibility,
    evses,
    notifications,
    onboarding,
    smart_charging,
    telemetry,
    waitlist,
)
from .bus import Route, health_route

__all__ = ["HEALTH_SUBJECTS", "SUBJECT_TABLE", "route_for"]

HEALTH_SUBJECTS: Mapping[str, str] = {
    "catalogue": "catalogue.health",
    "telemetry": "telemetry.health",
    "provider-bridge": "bridge.health",
    "onboarding": "onboarding.health",
    "notifier": "notifier.health",
    "smart-charging-service": "smart_charging.health",
}
"""Each bus service and the subject it answers health checks on."""

_ROUTES: tuple[Route[Any, Any], ...] = (
    catalogue.EVSE_MAKES_LIST,
    catalogue.EVSE_MAKES_GET,
    catalogue.EVSE_MODELS_LIST,
    catalogue.EVSE_MODELS_GET,
    catalogue.EVSE_FIRMWARE_VERSIONS_LIST,
    catalogue.EVSE_FIRMWARE_VERSIONS_GET,
    catalogue.PROGRAMS_LIST,
    catalogue.PROGRAMS_GET,
    compatibility.EVSE_COMPATIBILITY_CHECK,
    waitlist.EVSE_WAITLIST_JOIN,
    onboarding.TOKENS_ISSUE,
    onboarding.ONBOARDING_START,
    onboarding.ONBOARDING_PAGE,
    onboarding.ONBOARDING_IMPORT,
    evses.EVSES_LIST,
    evses.EVSES_GET,
    evses.EVSES_DECOMMISSION,
    evses.EVSES_RECONNECT,
    evses.EVSES_VPP_MODES,
    evses.EVSES_COMMAND,
    bridge.BRIDGE_DEVICES_LOOKUP,
    bridge.BRIDGE_COMMANDS_SEND,
    bridge.BRIDGE_OCPP_CREDENTIALS_ISSUE,
    *telemetry.LOG_LIST_ROUTES.values(),
    *telemetry.LOG_GET_ROUTES.values(),
    telemetry.CONNECTIVITY_GET,
    smart_charging.CAPABILITIES_GET,
    notifications.WEBHOOK_SUBSCRIPTIONS_CREATE,
    notifications.WEBHOOK_SUBSCRIPTIONS_LIST,
    notifications.WEBHOOK_SUBSCRIPTIONS_GET,
    notifications.WEBHOOK_SUBSCRIPTIONS_DELETE,
    notifications.WEBHOOK_SUBSCRIPTIONS_TEST,
    *(health_route(subject) for subject in HEALTH_SUBJECTS.values()),
)

SUBJECT_TABLE: Mapping[str, Route[Any, Any]] = {route.subject: route for route in _ROUTES}


def route_for(subject: str) -> Route[Any, Any]:
    """Look a subject up in the table; an unknown subject is a programming error."""
    return SUBJECT_TABLE[subject]
