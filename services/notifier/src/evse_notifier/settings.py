from __future__ import annotations

from pydantic import Field

from evse_runtime.settings import ConsumerSettings, ServiceSettings

__all__ = ["NotifierSettings"]

_HOUR_S = 3600.0


class NotifierSettings(ServiceSettings, ConsumerSettings):
    database: str = "evse_notifier"
    batch_size: int = Field(500, ge=1, le=10_000, description="Source messages per pull.")
    fetch_linger_s: float = Field(
        0.005,
        gt=0,
        description="Once a pull has a message, how long it waits for more to fill its batch.",
    )
    source_lease_s: float = Field(
        10.0, gt=0, description="One replica pulls the sources; another takes over after it."
    )
    source_cache_max: int = Field(
        100_000,
        ge=1,
        description="EVSEs whose owner and last status the replica pulling sources keeps "
        "in memory (each).",
    )
    unknown_evse_wait_s: float = Field(
        5.0,
        ge=0,
        description="How long telemetry of an EVSE not yet announced waits for its owner.",
    )
    retry_delay_s: float = Field(1.0, gt=0, description="Delay before a failed source retries.")
    webhook_allow_http: bool = Field(
        False, description="Accept http:// webhook URLs (development only); else https only."
    )
    webhook_allow_private_addresses: bool = Field(
        False,
        description="Accept webhook URLs on loopback/private/link-local addresses "
        "(development only); else only publicly routable destinations.",
    )
    webhook_batch_max: int = Field(100, ge=1, le=1000, description="Most events per delivery.")
    webhook_batch_linger_s: float = Field(
        0.02,
        gt=0,
        description="Once an event is there and no other is pending, how long to wait for more "
        "to send in the same batch: latency traded for fewer requests.",
    )
    webhook_timeout_s: float = Field(10.0, gt=0, description="Whole HTTP call to a receiver.")
    webhook_ping_timeout_s: float = Field(
        3.0, gt=0, description="The test ping's HTTP call; below the bus request timeout."
    )
    webhook_backoff_initial_s: float = Field(5.0, gt=0, description="First retry delay.")
    webhook_backoff_max_s: float = Field(_HOUR_S, gt=0, description="Cap of the retry delay.")
    webhook_retry_window_s: float = Field(
        25 * _HOUR_S,
        gt=0,
        description="A subscription failing for longer than this is disabled (at least 24 h).",
    )
    webhook_queue_max: int = Field(
        10_000,
        ge=1,
        description="Events queued for one subscription; past it the subscription falls "
        "behind and reads from the stream instead of holding its application's consumer. "
        "Queues share the events (a reference each), so a long one is cheap; reading back "
        "from the stream, one request per event, is not.",
    )
    webhook_hold_max: int = Field(
        20_000,
        ge=1,
        description="Unacked events one application's delivery holds in memory; past it the "
        "subscription with the longest queue falls behind.",
    )
    webhook_lease_s: float = Field(
        30.0, gt=0, description="How long a replica holds an application without renewing."
    )
    webhook_claim_interval_s: float = Field(
        1.0, gt=0, description="How often a replica looks for applications nobody delivers."
    )
    webhook_ack_wait_s: float = Field(
        60.0, gt=0, description="Events held by a replica that stopped come back after it."
    )
    webhook_max_per_application: int = Field(20, ge=1)
