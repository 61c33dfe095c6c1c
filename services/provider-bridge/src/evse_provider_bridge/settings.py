"""Bridge settings: `EVSE_*`, vendor settings nested as `EVSE_VENDORS__<VENDOR>__<FIELD>`.

Defaults point every vendor at the simulator (`make run`); production base URLs are in each
vendor's `base_url` description. There is no platform login at any vendor: the bridge signs
in with each user's own account (their vendor account link, sealed in `vendor_accounts`).
"""

from __future__ import annotations

import os
import socket
import uuid

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import SettingsConfigDict

from evse_runtime.settings import ConsumerSettings, LeaseSettings, ServiceSettings

__all__ = ["PRODUCTION_BASE_URLS", "BridgeSettings", "VendorOverrides", "VendorSettings"]

SIMULATOR_URL = "http://127.0.0.1:8700"
DEV_CREDENTIALS_KEY = "ZGV2LW9ubHktY3JlZGVudGlhbHMta2V5LTMyLWJ5dGU="
"""A valid Fernet key for dev and tests only; production sets `EVSE_CREDENTIALS_KEY`."""

PRODUCTION_BASE_URLS = {
    "chargepoint": "https://discovery.chargepoint.com (endpoints come from discovery)",
    "easee": "https://api.easee.com (stream: https://streams.easee.com/hubs/chargers)",
    "wallbox": "https://api.wall-box.com (auth: https://user-api.wall-box.com)",
    "zaptec": "https://api.zaptec.com",
}


class VendorSettings(BaseModel):
    """One vendor cloud: where, how often, how fast."""

    base_url: str = Field(description="Simulator by default; see PRODUCTION_BASE_URLS.")
    auth_base_url: str | None = Field(
        None, description="Login host when it differs (Wallbox user-api, ChargePoint discovery)."
    )
    poll_interval_s: float = Field(30.0, gt=0, description="Between polls of a charging EVSE.")
    idle_poll_interval_s: float | None = Field(
        None, gt=0, description="Between polls of an EVSE not charging (default: the same)."
    )
    requests_per_period: float = Field(
        5.0,
        gt=0,
        description="Request budget per account or egress address (see `budget.BUDGET_SCOPES`), "
        "shared by every replica.",
    )
    budget_period_s: float = Field(1.0, gt=0)
    backoff_base_s: float = Field(2.0, gt=0)
    backoff_max_s: float = Field(600.0, gt=0)
    stream_url: str | None = Field(
        None, description="The vendor's push hub, for vendors that stream (Easee's SignalR)."
    )
    stream_keepalive_s: float = Field(15.0, gt=0, description="Ping interval on the stream.")
    stream_readings_interval_s: float = Field(
        10.0,
        ge=0,
        description="Least time between pushed status logs of one charger that only change "
        "its readings (power, energy); a change of state goes out at once.",
    )
    streamed_poll_interval_s: float = Field(
        600.0,
        gt=0,
        description="Between polls of an EVSE whose account's stream is up: a safety net only.",
    )
    command_push_wait_s: float = Field(
        30.0,
        ge=0,
        description="While the account's stream is up, how long a command waits for the "
        "vendor's pushed outcome before it is read back instead.",
    )

    def interval_s(self, *, charging: bool, streamed: bool = False) -> float:
        if streamed:
            return self.streamed_poll_interval_s
        if charging or self.idle_poll_interval_s is None:
            return self.poll_interval_s
        return self.idle_poll_interval_s


class VendorOverrides(BaseModel):
    """Any subset of `VendorSettings`; unset fields keep the vendor's default."""

    base_url: str | None = None
    auth_base_url: str | None = None
    poll_interval_s: float | None = Field(None, gt=0)
    idle_poll_interval_s: float | None = Field(None, gt=0)
    requests_per_period: float | None = Field(None, gt=0)
    budget_period_s: float | None = Field(None, gt=0)
    backoff_base_s: float | None = Field(None, gt=0)
    backoff_max_s: float | None = Field(None, gt=0)
    stream_url: str | None = None
    stream_keepalive_s: float | None = Field(None, gt=0)
    stream_readings_interval_s: float | None = Field(None, ge=0)
    streamed_poll_interval_s: float | None = Field(None, gt=0)
    command_push_wait_s: float | None = Field(None, ge=0)


_DEFAULTS: dict[str, dict[str, object]] = {
    # ChargePoint answers login bursts with a CAPTCHA: tokens are persisted and reused.
    "chargepoint": {"poll_interval_s": 30, "requests_per_period": 10, "budget_period_s": 10},
    # Easee limits some endpoints to 10 calls/hour and blocks abusive IPs for 24 h:
    # poll gently; its pushes (SignalR) are the better source when available.
    "easee": {"poll_interval_s": 60, "requests_per_period": 30, "budget_period_s": 60},
    "wallbox": {"poll_interval_s": 30, "requests_per_period": 10, "budget_period_s": 10},
    # Zaptec fair-use policy: 10 requests/s per account (docs.zaptec.com/docs/api-fair-use-policy);
    # polled as Home Assistant's integration does: every 60 s while charging, every 10 min
    # otherwise (custom-components/zaptec `const.py`).
    "zaptec": {
        "poll_interval_s": 60,
        "idle_poll_interval_s": 600,
        "requests_per_period": 10,
        "budget_period_s": 1,
    },
}


def _replica_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class BridgeSettings(ServiceSettings, ConsumerSettings, LeaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="EVSE_", env_nested_delimiter="__", extra="ignore", populate_by_name=True
    )

    database: str = "evse_provider_bridge"
    credentials_key: SecretStr = Field(
        SecretStr(DEV_CREDENTIALS_KEY), description="Fernet key encrypting tokens at rest."
    )
    simulator_url: str = Field(SIMULATOR_URL, description="Base of every vendor's default URL.")

    def insecure_settings(self) -> list[str]:
        insecure = super().insecure_settings()
        if self.credentials_key.get_secret_value() == DEV_CREDENTIALS_KEY:
            insecure.append("EVSE_CREDENTIALS_KEY")
        return insecure

    vendors: dict[str, VendorOverrides] = Field(
        default_factory=dict, description="Per-vendor overrides of the simulator defaults."
    )
    replica_id: str = Field(default_factory=_replica_id, description="Lease owner name.")
    lease_s: float = Field(
        60.0,
        gt=0,
        description="How long a replica owns an EVSE's poll or a command's send or check; "
        "keep it well over one vendor call, or a live replica's work is taken over.",
    )
    max_concurrent_polls: int = Field(32, ge=1)
    http_timeout_s: float = Field(10.0, gt=0)
    device_list_ttl_s: float = Field(
        60.0, gt=0, description="How long a vendor's device list serves lookups."
    )
    device_list_min_refresh_s: float = Field(
        5.0, ge=0, description="Least time between re-listings for serials not in the list."
    )
    interactive_budget_wait_s: float = Field(
        2.0,
        gt=0,
        description="Longest wait for vendor budget in a lookup or command somebody waits on; "
        "keep it well under the gateway's bus timeout.",
    )
    budget_namespace: str = Field(
        "default",
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="Where in the vendor-budgets bucket these replicas count: replicas that "
        "share vendor accounts or an egress address must share it (one per deployment).",
    )
    poll_budget_wait_s: float = Field(
        1.0,
        gt=0,
        description="Longest a poll waits for its vendor's budget before it is put off by "
        "one poll interval, leaving its slot to EVSEs of other vendors.",
    )
    command_check_interval_s: float = Field(1.0, gt=0)
    command_timeout_s: float = Field(60.0, gt=0)
    max_concurrent_command_checks: int = Field(
        16, ge=1, description="Vendor commands one replica checks at once."
    )
    max_streams: int = Field(
        200, ge=0, description="Vendor push streams (one per account) one replica holds."
    )
    stream_check_s: float = Field(
        10.0,
        gt=0,
        description="How often a held stream subscribes chargers linked since and renews its "
        "lease; keep it well under `lease_s`.",
    )
    ocpp_host: str = Field("0.0.0.0", description="Where the OCPP WebSocket listener binds.")
    ocpp_port: int | None = Field(
        9000, ge=0, le=65535, description="OCPP 1.6J listener port; 0 picks a free one, None off."
    )
    ocpp_public_url: str | None = Field(
        None,
        description="The central system URL chargers are given (`…/ocpp`); "
        "default ws://127.0.0.1:<ocpp_port>/ocpp.",
    )
    ocpp_heartbeat_interval_s: int = Field(
        30, ge=1, description="Heartbeat interval told to chargers in BootNotification."
    )
    ocpp_response_timeout_s: float = Field(
        10.0, gt=0, description="How long a charger has to answer a command."
    )
    ocpp_id_tag: str = Field("PLATFORM", max_length=20, description="RemoteStart idTag.")
    ocpp_max_frame_bytes: int = Field(
        65_536,
        ge=1024,
        description="Largest OCPP frame accepted; a larger one closes the socket (1009).",
    )
    ocpp_frames_per_minute: int = Field(
        120,
        ge=1,
        description="Frames one charger may send per minute, bursts included; above, its "
        "socket is closed (1008) and it reconnects.",
    )
    ocpp_log_queue: int = Field(
        10_000, ge=1, description="Frames waiting to be published before the socket waits."
    )
    ocpp_log_wait_s: float = Field(
        2.0, gt=0, description="How long a socket waits for room in the log queue, then drops."
    )
    ocpp_log_linger_s: float = Field(
        0.1,
        ge=0,
        le=1,
        description="How long the log queue lets events gather before publishing them: a "
        "batch costs about 200 µs of CPU whatever its size (a socket write, its ack's read, the "
        "wakeups), a log about 20 µs, so at the real frame rate a longer wait is less CPU per "
        "frame; logs reach the stream this much later.",
    )

    def vendor(self, provider: str) -> VendorSettings:
        """The vendor's settings: simulator defaults, then the configured overrides. Easee's
        stream is the simulator's hub while its API is, else streams.easee.com."""
        simulated = f"{self.simulator_url.rstrip('/')}/{provider}"
        values: dict[str, object] = {"base_url": simulated, **_DEFAULTS.get(provider, {})}
        overrides = self.vendors.get(provider)
        if overrides is not None:
            values.update(
                {
                    k: getattr(overrides, k)
                    for k in overrides.model_fields_set
                    if getattr(overrides, k) is not None
                }
            )
            if overrides.poll_interval_s is not None and overrides.idle_poll_interval_s is None:
                values["idle_poll_interval_s"] = None  # one interval set: it holds for both
        if provider == "easee" and values.get("stream_url") is None:
            values["stream_url"] = (
                f"{simulated}/hubs/chargers"
                if values["base_url"] == simulated
                else "https://streams.easee.com/hubs/chargers"
            )
        return VendorSettings.model_validate(values)
