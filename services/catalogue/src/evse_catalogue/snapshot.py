"""The catalogue as an immutable in-memory snapshot: hot reads never touch the database."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from evse_contracts.catalogue import (
    EvseFirmwareVersion,
    EvseMake,
    EvseMakeSummary,
    EvseModel,
    ListEvseFirmwareVersions,
    ListEvseMakes,
    ListEvseModels,
    ListPrograms,
    Program,
)
from evse_contracts.pagination import Page

from .errors import (
    EvseFirmwareVersionNotFound,
    EvseMakeNotFound,
    EvseModelNotFound,
    ProgramNotFound,
)
from .paging import paginate

__all__ = ["CatalogueSnapshot", "Document"]

Document = Mapping[str, Any]


@dataclass(frozen=True)
class CatalogueSnapshot:
    makes: tuple[EvseMake, ...]
    models: tuple[EvseModel, ...]
    firmware_versions: tuple[EvseFirmwareVersion, ...] = ()
    programs: tuple[Program, ...] = ()
    regions: Mapping[str, str] = field(default_factory=dict)
    """Country (ISO 3166-1 alpha-2) → compatibility region."""
    _make_uids: tuple[str, ...] = field(init=False, repr=False)
    _model_uids: tuple[str, ...] = field(init=False, repr=False)
    _firmware_keys: tuple[str, ...] = field(init=False, repr=False)
    _program_uids: tuple[str, ...] = field(init=False, repr=False)
    _makes_by_uid: Mapping[str, EvseMake] = field(init=False, repr=False)
    _models_by_uid: Mapping[str, EvseModel] = field(init=False, repr=False)
    _firmware_by_uid: Mapping[str, EvseFirmwareVersion] = field(init=False, repr=False)
    _programs_by_uid: Mapping[str, Program] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        makes = tuple(sorted(self.makes, key=lambda m: m.uid))
        models = tuple(sorted(self.models, key=lambda m: m.uid))
        firmware = tuple(sorted(self.firmware_versions, key=_newest_first))
        programs = tuple(sorted(self.programs, key=lambda p: p.uid))
        _set(self, makes=makes, models=models, firmware_versions=firmware, programs=programs)
        _set(
            self,
            _make_uids=tuple(m.uid for m in makes),
            _model_uids=tuple(m.uid for m in models),
            _firmware_keys=tuple(_newest_first(f) for f in firmware),
            _program_uids=tuple(p.uid for p in programs),
            _makes_by_uid={m.uid: m for m in makes},
            _models_by_uid={m.uid: m for m in models},
            _firmware_by_uid={f.uid: f for f in firmware if f.is_production},
            _programs_by_uid={p.uid: p for p in programs},
        )

    @classmethod
    def from_documents(
        cls,
        *,
        makes: Sequence[Document],
        models: Sequence[Document],
        firmware_versions: Sequence[Document],
        programs: Sequence[Document],
        regions: Sequence[Document],
    ) -> CatalogueSnapshot:
        """Build from stored documents, joining each model to a summary of its make."""
        evse_makes = tuple(EvseMake.model_validate(_without_id(doc)) for doc in makes)
        names = {make.uid: make.name for make in evse_makes}
        evse_models = tuple(
            EvseModel.model_validate(
                {
                    **_without_id(doc, "evse_make_uid"),
                    "evse_make": EvseMakeSummary(
                        uid=doc["evse_make_uid"], name=names[doc["evse_make_uid"]]
                    ),
                }
            )
            for doc in models
        )
        return cls(
            makes=evse_makes,
            models=evse_models,
            firmware_versions=tuple(
                EvseFirmwareVersion.model_validate(_without_id(doc)) for doc in firmware_versions
            ),
            programs=tuple(Program.model_validate(_without_id(doc)) for doc in programs),
            regions=_country_regions(regions),
        )

    def get_make(self, uid: str) -> EvseMake:
        try:
            return self._makes_by_uid[uid]
        except KeyError:
            raise EvseMakeNotFound(uid) from None

    def get_model(self, uid: str) -> EvseModel:
        try:
            return self._models_by_uid[uid]
        except KeyError:
            raise EvseModelNotFound(uid) from None

    def get_firmware_version(self, uid: str) -> EvseFirmwareVersion:
        """A production release; others are unpublished, so not found."""
        try:
            return self._firmware_by_uid[uid]
        except KeyError:
            raise EvseFirmwareVersionNotFound(uid) from None

    def get_program(self, uid: str) -> Program:
        try:
            return self._programs_by_uid[uid]
        except KeyError:
            raise ProgramNotFound(uid) from None

    def has_model(self, uid: str) -> bool:
        return uid in self._models_by_uid

    def has_program(self, uid: str) -> bool:
        return uid in self._programs_by_uid

    def region_of(self, country: str) -> str | None:
        return self.regions.get(country)

    def list_makes(self, query: ListEvseMakes) -> Page[EvseMake]:
        prefix = (query.name or "").casefold()
        return paginate(
            self.makes, self._make_uids, query, lambda m: m.name.casefold().startswith(prefix)
        )

    def list_models(self, query: ListEvseModels) -> Page[EvseModel]:
        def keep(model: EvseModel) -> bool:
            return query.evse_make_id in (
                None,
                model.evse_make.uid,
            ) and query.onboarding_method in (None, model.onboarding_method)

        return paginate(self.models, self._model_uids, query, keep)

    def list_firmware_versions(self, query: ListEvseFirmwareVersions) -> Page[EvseFirmwareVersion]:
        """Production releases, newest release first."""

        def keep(version: EvseFirmwareVersion) -> bool:
            if not version.is_production:
                return False
            if query.evse_model_id not in (None, version.evse_model_uid):
                return False
            if query.evse_make_id is None:
                return True
            model = self._models_by_uid.get(version.evse_model_uid)
            return model is not None and model.evse_make.uid == query.evse_make_id

        return paginate(self.firmware_versions, self._firmware_keys, query, keep)

    def list_programs(self, query: ListPrograms) -> Page[Program]:
        return paginate(
            self.programs,
            self._program_uids,
            query,
            lambda p: query.country in (None, p.country),
        )


def _set(snapshot: CatalogueSnapshot, **values: object) -> None:
    for name, value in values.items():
        object.__setattr__(snapshot, name, value)


def _newest_first(version: EvseFirmwareVersion) -> str:
    """A key that sorts ascending as release date descending, then uid: the list order."""
    days_before_far_future = 1_000_000 - version.release_date.toordinal()
    return f"{days_before_far_future:07d}{version.uid}"


def _country_regions(regions: Sequence[Document]) -> dict[str, str]:
    """Invert `{region, countries}` documents; a country in two regions is a data error."""
    out: dict[str, str] = {}
    for doc in regions:
        for country in doc["countries"]:
            if out.setdefault(country, doc["_id"]) != doc["_id"]:
                raise ValueError(f"{country} is in regions {out[country]} and {doc['_id']}")
    return out


def _without_id(doc: Document, *drop: str) -> dict[str, Any]:
    out = {k: v for k, v in doc.items() if k != "_id" and k not in drop}
    out["uid"] = doc["_id"]
    return out
