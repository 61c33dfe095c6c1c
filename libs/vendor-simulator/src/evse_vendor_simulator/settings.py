from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["SimulatorSettings"]


class SimulatorSettings(BaseSettings):
    """`EVSE_SIM_*`: where the simulator listens and how fast its chargers live."""

    model_config = SettingsConfigDict(env_prefix="EVSE_SIM_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(8700, ge=0, le=65535)
    evolve: bool = Field(True, description="Chargers follow their plug-in/charge cycle.")
    cycle_scale: float = Field(1.0, gt=0, description="Seconds of real time per cycle second.")
    command_delay_s: float = Field(2.0, ge=0, description="Before a command's outcome shows.")
    token_ttl_s: float = Field(3600.0, gt=0)
    stream_interval_s: float = Field(
        0.2, gt=0, description="How often the Easee hub looks for changes to push."
    )
    stream_keepalive_s: float = Field(
        15.0, gt=0, description="SignalR ping interval (ASP.NET's KeepAliveInterval default)."
    )
