"""The catalogue as an immutable in-memory snapshot: hot reads never touch the database."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from evse_contracts.catalogue import (
    EvseMake,
    EvseMakeSummary,
    EvseModel,
    ListEvseMakes,
    ListEvseModels,
)
from evse_contracts.pagination import Page

from .errors import EvseMakeNotFound, EvseModelNotFound
from .paging import paginate

__all__ = ["CatalogueSnapshot"]


@dataclass(frozen=True)
class CatalogueSnapshot:
    makes: tuple[EvseMake, ...]
    models: tuple[EvseModel, ...]
    _make_uids: tuple[str, ...] = field(init=False, repr=False)
    _model_uids: tuple[str, ...] = field(init=False, repr=False)
    _makes_by_uid: Mapping[str, EvseMake] = field(init=False, repr=False)
    _models_by_uid: Mapping[str, EvseModel] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        makes = tuple(sorted(self.makes, key=lambda m: m.uid))
        models = tuple(sorted(self.models, key=lambda m: m.uid))
        object.__setattr__(self, "makes", makes)
        object.__setattr__(self, "models", models)
        object.__setattr__(self, "_make_uids", tuple(m.uid for m in makes))
        object.__setattr__(self, "_model_uids", tuple(m.uid for m in models))
        object.__setattr__(self, "_makes_by_uid", {m.uid: m for m in makes})
        object.__setattr__(self, "_models_by_uid", {m.uid: m for m in models})

    @classmethod
    def from_documents(
        cls, makes: Sequence[Mapping[str, Any]], models: Sequence[Mapping[str, Any]]
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
        return cls(makes=evse_makes, models=evse_models)

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


def _without_id(doc: Mapping[str, Any], *drop: str) -> dict[str, Any]:
    out = {k: v for k, v in doc.items() if k != "_id" and k not in drop}
    out["uid"] = doc["_id"]
    return out
