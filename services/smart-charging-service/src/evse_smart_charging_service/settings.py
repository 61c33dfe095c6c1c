from __future__ import annotations

from pydantic import Field

from evse_runtime.settings import ConsumerSettings, LeaseSettings, ServiceSettings

__all__ = ["SmartChargingSettings"]


class SmartChargingSettings(ServiceSettings, ConsumerSettings, LeaseSettings):
    database: str = "evse_smart_charging"
    control_interval_s: float = Field(
        10.0, gt=0, description="A control cycle: how often each site and plan is looked at."
    )
    resend_after_s: float = Field(
        30.0,
        gt=0,
        description="A command the charger has not yet reflected is sent again after this.",
    )
    max_concurrent_cycles: int = Field(16, ge=1)
    max_deliver: int = Field(5, ge=1, description="Deliveries before JetStream gives up.")
    batch_size: int = Field(100, ge=1, le=1000, description="Most messages fetched per pull.")
    retry_delay_s: float = Field(
        1.0, gt=0, description="Delay before an observation that failed is redelivered."
    )
