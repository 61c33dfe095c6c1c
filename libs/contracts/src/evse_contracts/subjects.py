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
    vendor_accounts,
    waitlist,
)
from .bus import Route, health_route

__all__ = [
    "BRIDGE_INTERNAL_ROUTES",
    "CATALOGUE_ROUTES",
    "HEALTH_SUBJECTS",
    "NOTIFIER_ROUTES",
    "ONBOARDING_ROUTES",
    "SMART_CHARGING_ROUTES",
    "SUBJECT_TABLE",
    "TELEMETRY_ROUTES",
    "VENDOR_ACCOUNT_ROUTES",
    "route_for",
]

HEALTH_SUBJECTS: Mapping[str, str] = {
    "catalogue": "catalogue.health",
    "telemetry": "telemetry.health",
    "provider-bridge": "bridge.health",
    "onboarding": "onboarding.health",
    "notifier": "notifier.health",
    "smart-charging-service": "smart_charging.health",
}
"""Each bus service and the subject it answers health checks on."""

Routes = tuple[Route[Any, Any], ...]

CATALOGUE_ROUTES: Routes = (
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
)
ONBOARDING_ROUTES: Routes = (
    onboarding.TOKENS_ISSUE,
    onboarding.TOKENS_VALIDITY,
    onboarding.ONBOARDING_START,
    onboarding.ONBOARDING_PAGE,
    onboarding.ONBOARDING_IMPORT,
    onboarding.ONBOARDING_LINK_START,
    evses.EVSES_LIST,
    evses.EVSES_GET,
    evses.EVSES_DECOMMISSION,
    evses.EVSES_RECONNECT,
    evses.EVSES_VPP_MODES,
    evses.EVSES_COMMAND,
)
"""Answered by onboarding: tokens, hosted flows and the EVSE registry."""
BRIDGE_INTERNAL_ROUTES: Routes = (
    bridge.BRIDGE_DEVICES_LOOKUP,
    bridge.BRIDGE_COMMANDS_SEND,
    bridge.BRIDGE_OCPP_CREDENTIALS_ISSUE,
    bridge.BRIDGE_OCPP_CONFIGURATION_GET,
    vendor_accounts.VENDOR_ACCOUNTS_LINK,
)
"""Answered by the bridge, asked by other services (never by the gateway)."""
VENDOR_ACCOUNT_ROUTES: Routes = (
    vendor_accounts.VENDOR_ACCOUNTS_LIST,
    vendor_accounts.VENDOR_ACCOUNTS_GET,
    vendor_accounts.VENDOR_ACCOUNTS_UNLINK,
)
"""Answered by the bridge, asked by the gateway."""
TELEMETRY_ROUTES: Routes = (
    *telemetry.LOG_LIST_ROUTES.values(),
    *telemetry.LOG_GET_ROUTES.values(),
    telemetry.CONNECTIVITY_GET,
)
SMART_CHARGING_ROUTES: Routes = (
    smart_charging.CAPABILITIES_GET,
    smart_charging.SITES_PUT,
    smart_charging.SITES_GET,
    smart_charging.SITES_LIST,
    smart_charging.SITES_DELETE,
    smart_charging.PLANS_PUT,
    smart_charging.PLANS_GET,
    smart_charging.PLANS_DELETE,
)
NOTIFIER_ROUTES: Routes = (
    notifications.WEBHOOK_SUBSCRIPTIONS_CREATE,
    notifications.WEBHOOK_SUBSCRIPTIONS_LIST,
    notifications.WEBHOOK_SUBSCRIPTIONS_GET,
    notifications.WEBHOOK_SUBSCRIPTIONS_DELETE,
    notifications.WEBHOOK_SUBSCRIPTIONS_TEST,
)
_ROUTES: Routes = (
    *CATALOGUE_ROUTES,
    *ONBOARDING_ROUTES,
    *BRIDGE_INTERNAL_ROUTES,
    *VENDOR_ACCOUNT_ROUTES,
    *TELEMETRY_ROUTES,
    *NOTIFIER_ROUTES,
    *SMART_CHARGING_ROUTES,
    *(health_route(subject) for subject in HEALTH_SUBJECTS.values()),
)

SUBJECT_TABLE: Mapping[str, Route[Any, Any]] = {route.subject: route for route in _ROUTES}


def route_for(subject: str) -> Route[Any, Any]:
    """Look a subject up in the table; an unknown subject is a programming error."""
    return SUBJECT_TABLE[subject]
