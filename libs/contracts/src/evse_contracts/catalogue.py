"""Catalogue contracts: EVSE makes, models, firmware versions and programs, and their routes."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from .base import Contract
from .bus import Route
from .pagination import Page, PageQuery

__all__ = [
    "CATALOGUE_CHANGED",
    "CATALOGUE_RELOADED",
    "EVSE_FIRMWARE_VERSIONS_GET",
    "EVSE_FIRMWARE_VERSIONS_LIST",
    "EVSE_MAKES_GET",
    "EVSE_MAKES_LIST",
    "EVSE_MODELS_GET",
    "EVSE_MODELS_LIST",
    "PROGRAMS_GET",
    "PROGRAMS_LIST",
    "ConnectorType",
    "EvseFirmwareVersion",
    "EvseMake",
    "EvseMakeSummary",
    "EvseModel",
    "GetEvseFirmwareVersion",
    "GetEvseMake",
    "GetEvseModel",
    "GetProgram",
    "ListEvseFirmwareVersions",
    "ListEvseMakes",
    "ListEvseModels",
    "ListPrograms",
    "OnboardingMethod",
    "Program",
    "RegionCompatibility",
    "SupportLevel",
    "VppMode",
    "VppModeCapability",
]

OnboardingMethod = Literal["serial", "oauth", "ocpp"]
ConnectorType = Literal["type1", "type2", "nacs"]
SupportLevel = Literal["live", "beta"]
VppMode = Literal[
    "scheduled_charging",
    "turn_down",
    "turn_up",
    "frequency_response",
    "solar_matching",
]


class EvseMake(Contract):
    uid: str
    name: str
    website: str
    headquarters_country: str = Field(pattern=r"^[A-Z]{2}$")


class EvseMakeSummary(Contract):
    uid: str
    name: str


class VppModeCapability(Contract):
    """One VPP control mode a model supports, with the limits it can be steered within."""

    mode: VppMode
    min_current_a: float | None = None
    max_current_a: float | None = None
    response_time_s: float | None = Field(
        None, description="How fast the charger acts on a command, as measured in the field."
    )


class RegionCompatibility(Contract):
    region: str
    support: SupportLevel


class EvseModel(Contract):
    uid: str
    name: str
    evse_make: EvseMakeSummary
    onboarding_method: OnboardingMethod
    provider: str | None = Field(
        None, description="Vendor cloud that links the charger (serial and oauth onboarding)."
    )
    connector_type: ConnectorType
    tethered: bool
    phases: Literal[1, 3]
    max_current_a: int = Field(gt=0)
    max_power_w: int = Field(gt=0)
    vpp_modes: tuple[VppModeCapability, ...]
    compatibility: tuple[RegionCompatibility, ...]


class EvseFirmwareVersion(Contract):
    uid: str
    evse_model_uid: str
    version: str
    release_date: date
    release_notes_url: str | None = None
    is_production: bool


class ListEvseFirmwareVersions(PageQuery):
    """Production releases only, newest release first; optionally of one make or one model."""

    evse_make_id: str | None = None
    evse_model_id: str | None = None


class GetEvseFirmwareVersion(Contract):
    uid: str


class Program(Contract):
    """A partner programme (utility, energy retailer) and the EVSE models it accepts."""

    uid: str
    name: str
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2.")
    supported_evse_models: tuple[str, ...] = Field(description="EVSE model uids.")


class ListPrograms(PageQuery):
    country: str | None = Field(None, pattern=r"^[A-Z]{2}$")


class GetProgram(Contract):
    uid: str


class ListEvseMakes(PageQuery):
    name: str | None = Field(None, description="Case-insensitive prefix of the make name.")


class GetEvseMake(Contract):
    uid: str


class ListEvseModels(PageQuery):
    evse_make_id: str | None = None
    onboarding_method: OnboardingMethod | None = None


class GetEvseModel(Contract):
    uid: str


EVSE_MAKES_LIST = Route("catalogue.evse_makes.list", ListEvseMakes, Page[EvseMake])
EVSE_MAKES_GET = Route("catalogue.evse_makes.get", GetEvseMake, EvseMake)
EVSE_MODELS_LIST = Route("catalogue.evse_models.list", ListEvseModels, Page[EvseModel])
EVSE_MODELS_GET = Route("catalogue.evse_models.get", GetEvseModel, EvseModel)
EVSE_FIRMWARE_VERSIONS_LIST = Route(
    "catalogue.evse_firmware_versions.list", ListEvseFirmwareVersions, Page[EvseFirmwareVersion]
)
EVSE_FIRMWARE_VERSIONS_GET = Route(
    "catalogue.evse_firmware_versions.get", GetEvseFirmwareVersion, EvseFirmwareVersion
)
PROGRAMS_LIST = Route("catalogue.programs.list", ListPrograms, Page[Program])
PROGRAMS_GET = Route("catalogue.programs.get", GetProgram, Program)
CATALOGUE_CHANGED = "catalogue.events.changed"
"""Broadcast (no queue group) after catalogue data changes: every replica reloads."""
CATALOGUE_RELOADED = "catalogue.events.reloaded"
"""Broadcast by each catalogue replica once it serves the changed data: caches drop theirs."""
