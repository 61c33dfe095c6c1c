"""Examples in the OpenAPI document: one realistic value per schema, so every operation's
request and answer show real-looking data instead of Swagger's `"string"` placeholders.

Examples are keyed by the schema's name; `api_docs` attaches them wherever that schema is a
request body or a 2xx answer (a list answer gets a page of one).
`tests/unit/test_api_examples.py` validates every example against its schema and fails when an
operation is left without one.
"""

from __future__ import annotations

from typing import Any

__all__ = ["EXAMPLES", "example_of"]

_AT = "2026-11-28T07:30:00Z"
_MAKE = {"uid": "evsemake01JD8Z6KQ4M5N7P8R9S0T1V2W3", "name": "Zaptec"}
_MODEL = {"uid": "evsemodel01JD8Z6KQ4M5N7P8R9S0T1V2W4", "name": "Zaptec Go"}
_EVSE_UID = "evse01JD8Z6KQ4M5N7P8R9S0T1V2W5"
_APPLICATION_UID = "app01JD8Z6KQ4M5N7P8R9S0T1V2W6"
_USER_UID = "user01JD8Z6KQ4M5N7P8R9S0T1V2W7"
_LINK = "https://api.example.com/onboarding/Hh2Wq9vX0bKk3m7YtQeR1sLpZ8uN4cFd"
_CURSOR = "eyJhZnRlciI6ImV2c2UwMUpEOFo2S1E0TTVONyJ9"

EXAMPLES: dict[str, Any] = {
    "Liveness": {"status": "ok"},
    "Readiness": {
        "status": "ok",
        "services": {"catalogue": True, "telemetry": True, "onboarding": True},
    },
    "AccessToken": {
        "access_token": "eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhcHAifQ.c2lnbmF0dXJl",
        "token_type": "Bearer",
        "expires_in": 3600,
        "scope": "evses:read evses:write onboarding",
    },
    "EvseMake": {
        **_MAKE,
        "website": "https://zaptec.com",
        "headquarters_country": "NO",
    },
    "EvseModel": {
        **_MODEL,
        "evse_make": _MAKE,
        "onboarding_method": "serial",
        "provider": "zaptec",
        "connector_type": "type2",
        "tethered": False,
        "phases": 3,
        "max_current_a": 32,
        "max_power_w": 22000,
        "vpp_modes": [{"mode": "scheduled_charging"}],
        "compatibility": [{"region": "europe", "support": "live"}],
    },
    "EvseFirmwareVersion": {
        "uid": "evsefirmware01JD8Z6KQ4M5N7P8R9S0T1V2W8",
        "evse_model_uid": _MODEL["uid"],
        "version": "2.3.1.2",
        "release_date": "2026-09-14",
        "release_notes_url": "https://zaptec.com/releases/2.3.1.2",
        "is_production": True,
    },
    "EvseCompatibility": {
        "evse_model_id": _MODEL["uid"],
        "program_id": None,
        "country": "DE",
        "country_source": "accept_language",
        "region": "europe",
        "supported": True,
        "support": "live",
    },
    "EvseWaitlistSignup": {"email": "sam@example.com", "evse_model_id": _MODEL["uid"]},
    "EvseWaitlistEntry": {
        "uid": "waitlist01JD8Z6KQ4M5N7P8R9S0T1V2W9",
        "email": "sam@example.com",
        "evse_model_id": _MODEL["uid"],
        "evse_make_name": None,
        "evse_model_name": None,
        "program_id": None,
        "country": "US",
        "created_at": _AT,
    },
    "Evse": {
        "uid": _EVSE_UID,
        "id": 42,
        "application_uid": _APPLICATION_UID,
        "user_uid": _USER_UID,
        "evse_make": _MAKE,
        "evse_model": _MODEL,
        "onboarding_method": "serial",
        "provider": "zaptec",
        "serial_number": "ZAP101001",
        "state": "active",
        "onboarded_at": _AT,
        "vendor_link": {"state": "linked", "reason": None},
    },
    "ReconnectionUrl": {"url": _LINK, "expires_at": "2026-11-28T07:45:00Z"},
    "OnboardingLink": {"url": _LINK, "expires_at": "2026-11-28T07:45:00Z"},
    "EvseCommand": {"command": "set_current_limit", "current_limit_a": 16},
    "CommandAccepted": {
        "command_id": "cmd01JD8Z6KQ4M5N7P8R9S0T1V2WA",
        "evse_uid": _EVSE_UID,
        "command": "set_current_limit",
        "state": "pending",
    },
    "ImportEvse": {"provider": "zaptec", "serial_number": "ZAP101001"},
    "NewWebhookSubscription": {
        "url": "https://app.example.com/hooks/evse",
        "event_types": ["evse.status_changed", "evse.command_confirmed"],
        "description": "Production receiver",
    },
    "WebhookSubscription": {
        "id": "whsub01JD8Z6KQ4M5N7P8R9S0T1V2WB",
        "url": "https://app.example.com/hooks/evse",
        "event_types": ["evse.status_changed", "evse.command_confirmed"],
        "description": "Production receiver",
        "status": "active",
        "disabled_reason": None,
        "failing_since": None,
        "created_at": _AT,
    },
    "WebhookTestResult": {"delivered": True, "status_code": 200, "error": None},
    "StatusLog": {
        "evse_uid": _EVSE_UID,
        "sampled_at": _AT,
        "state": "charging",
        "online": True,
        "plugged_in": True,
        "power_w": 7200.0,
        "session_energy_wh": 5400.0,
        "lifetime_energy_wh": 1250300.0,
        "current_limit_a": 16.0,
        "phases": [],
        "temperature_c": 31.5,
        "connectivity": None,
        "source": "poll",
    },
    "CommandLog": {
        "evse_uid": _EVSE_UID,
        "logged_at": _AT,
        "command_id": "cmd01JD8Z6KQ4M5N7P8R9S0T1V2WA",
        "command": "set_current_limit",
        "parameters": {"current_limit_a": 16},
        "result": "confirmed",
        "vendor_response_code": "200",
        "latency_ms": 840.0,
        "detail": None,
    },
    "ErrorLog": {
        "evse_uid": _EVSE_UID,
        "sampled_at": _AT,
        "provider": "zaptec",
        "vendor_api": "state",
        "http_method": "GET",
        "http_status": 503,
        "url_path": "/api/chargers/{id}/state",
        "error_code": None,
        "message": "the vendor answered 503",
        "retryable": True,
    },
    "OcppLog": {
        "evse_uid": _EVSE_UID,
        "sampled_at": _AT,
        "direction": "inbound",
        "message_type_id": 2,
        "unique_id": "19223201",
        "action": "Heartbeat",
        "payload": {},
        "ocpp_version": "1.6",
    },
    "Connectivity": {
        "evse_uid": _EVSE_UID,
        "connection_type": "wifi",
        "signal_strength": {"dbm": -61.0, "quality": "good"},
        "sim": None,
        "firmware": {
            "version": "2.3.1.2",
            "newer_version_available": False,
            "latest_version": "2.3.1.2",
        },
        "reliability": {
            "online_ratio_24h": 0.99,
            "online_ratio_7d": 0.97,
            "last_seen_at": _AT,
            "disconnect_count_7d": 2,
        },
        "sampled_at": _AT,
    },
    "Capabilities": {
        "start_stop": True,
        "current_limit": True,
        "min_current_a": 6.0,
        "max_current_a": 32.0,
        "current_step_a": 1.0,
        "schedules": False,
        "power_reading": True,
        "energy_reading": True,
        "phases": 3,
    },
}
EXAMPLES["EvseVppModes"] = {"evse_uid": _EVSE_UID, "vpp_modes": EXAMPLES["EvseModel"]["vpp_modes"]}
EXAMPLES["WebhookSubscriptionCreated"] = {
    **EXAMPLES["WebhookSubscription"],
    "secret": "whsec_Hh2Wq9vX0bKk3m7YtQeR1sLpZ8uN4cFd",
}
EXAMPLES["VendorAccountLink"] = {
    "uid": "vendoraccount01JD8Z6KQ4M5N7P8R9S0T1V2WC",
    "provider": "zaptec",
    "username": "sam@example.com",
    "state": "linked",
    "reason": None,
    "evse_uids": [_EVSE_UID],
    "linked_at": _AT,
    "updated_at": _AT,
}
EXAMPLES["VendorAccountLinks"] = {"data": [EXAMPLES["VendorAccountLink"]]}
_EVSE_B = "evse01JD8Z6KQ4M5N7P8R9S0T1V2WD"
EXAMPLES["ChargePlanBody"] = {
    "target_energy_kwh": 20.0,
    "departure_at": "2026-11-29T06:00:00Z",
    "price_curve": [
        {"start_at": "2026-11-28T22:00:00Z", "end_at": "2026-11-29T02:00:00Z", "price": 0.12},
        {"start_at": "2026-11-29T02:00:00Z", "end_at": "2026-11-29T06:00:00Z", "price": 0.09},
    ],
}
EXAMPLES["ChargePlan"] = {
    "evse_uid": _EVSE_UID,
    "target_energy_kwh": 20.0,
    "departure_at": "2026-11-29T06:00:00Z",
    "planned_at": "2026-11-28T22:00:00Z",
    "intervals": [
        {
            "start_at": "2026-11-29T02:00:00Z",
            "end_at": "2026-11-29T03:44:21Z",
            "current_limit_a": 16.0,
            "energy_kwh": 20.0,
            "price": 0.09,
        }
    ],
    "expected_energy_kwh": 20.0,
    "expected_cost": 1.8,
    "shortfall_kwh": 0.0,
    "shortfall_reason": None,
}
EXAMPLES["SiteBody"] = {
    "max_current_a": 32.0,
    "members": [{"evse_id": _EVSE_UID, "priority": 2}, {"evse_id": _EVSE_B, "priority": 1}],
}
EXAMPLES["Site"] = {
    "site_id": "garage-north",
    "max_current_a": 32.0,
    "members": [
        {
            "evse_id": _EVSE_UID,
            "priority": 2,
            "active": True,
            "current_limit_a": 26.0,
            "paused": False,
            "limitable": True,
            "observed_current_limit_a": 26.0,
        },
        {
            "evse_id": _EVSE_B,
            "priority": 1,
            "active": False,
            "current_limit_a": 6.0,
            "paused": False,
            "limitable": True,
            "observed_current_limit_a": 6.0,
        },
    ],
    "allocated_current_a": 32.0,
    "created_at": _AT,
    "updated_at": _AT,
    "balanced_at": _AT,
}

_LIST = "ListResponse_"


def example_of(schema_name: str) -> Any | None:
    """The example for a named schema; a list answer is a page holding the item's example."""
    if schema_name.startswith(_LIST):
        item = EXAMPLES.get(schema_name.removeprefix(_LIST).removesuffix("_"))
        return None if item is None else {"results": [item], "next": _CURSOR}
    return EXAMPLES.get(schema_name)
