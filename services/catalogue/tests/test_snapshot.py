from __future__ import annotations

import pytest

from evse_catalogue.errors import EvseFirmwareVersionNotFound, EvseMakeNotFound, EvseModelNotFound
from evse_catalogue.snapshot import CatalogueSnapshot
from evse_contracts.bridge import CLOUD_PROVIDERS, OCPP_PROVIDERS
from evse_contracts.catalogue import ListEvseFirmwareVersions, ListEvseMakes, ListEvseModels
from evse_contracts.pagination import decode_cursor

from .seeded import snapshot_of_seed

SERIAL_PROVIDERS = set(CLOUD_PROVIDERS)


@pytest.fixture(scope="module")
def snapshot() -> CatalogueSnapshot:
    return snapshot_of_seed()


def test_seed_covers_every_serial_import_provider(snapshot: CatalogueSnapshot) -> None:
    providers = {m.provider for m in snapshot.models if m.onboarding_method == "serial"}
    assert providers == SERIAL_PROVIDERS


def test_makes_without_a_cloud_api_onboard_over_ocpp(snapshot: CatalogueSnapshot) -> None:
    methods = {m.onboarding_method for m in snapshot.models if m.provider in OCPP_PROVIDERS}
    assert methods == {"ocpp"}


def test_seed_has_every_onboarding_method(snapshot: CatalogueSnapshot) -> None:
    assert {m.onboarding_method for m in snapshot.models} == {"serial", "oauth", "ocpp"}


def test_models_carry_their_make_name(snapshot: CatalogueSnapshot) -> None:
    for model in snapshot.models:
        assert snapshot.get_make(model.evse_make.uid).name == model.evse_make.name


def test_listing_pages_walk_every_model_once_in_uid_order(snapshot: CatalogueSnapshot) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        page = snapshot.list_models(ListEvseModels(limit=4, cursor=cursor))
        seen.extend(m.uid for m in page.results)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
        assert decode_cursor(cursor, keys=frozenset({"after"}))["after"] == seen[-1]
    assert seen == sorted(m.uid for m in snapshot.models)


def test_last_full_page_has_no_next_cursor(snapshot: CatalogueSnapshot) -> None:
    page = snapshot.list_models(ListEvseModels(limit=len(snapshot.models)))
    assert len(page.results) == len(snapshot.models) and page.next_cursor is None


def test_filter_by_make_and_method(snapshot: CatalogueSnapshot) -> None:
    zaptec = next(m for m in snapshot.makes if m.name == "Zaptec")
    page = snapshot.list_models(
        ListEvseModels(limit=500, evse_make_id=zaptec.uid, onboarding_method="serial")
    )
    assert page.results and all(m.evse_make.uid == zaptec.uid for m in page.results)
    none = snapshot.list_models(ListEvseModels(evse_make_id=zaptec.uid, onboarding_method="ocpp"))
    assert none.results == ()


def test_make_name_filter_is_a_case_insensitive_prefix(snapshot: CatalogueSnapshot) -> None:
    page = snapshot.list_makes(ListEvseMakes(name="wall"))
    assert [m.name for m in page.results] == ["Wallbox"]


def test_unknown_uids_raise_typed_not_found(snapshot: CatalogueSnapshot) -> None:
    with pytest.raises(EvseModelNotFound):
        snapshot.get_model("evsemodel00000000000000000000000000")
    with pytest.raises(EvseMakeNotFound):
        snapshot.get_make("nope")


def test_firmware_lists_production_releases_newest_first(snapshot: CatalogueSnapshot) -> None:
    page = snapshot.list_firmware_versions(ListEvseFirmwareVersions(limit=500))
    assert page.results and all(f.is_production for f in page.results)
    dates = [f.release_date for f in page.results]
    assert dates == sorted(dates, reverse=True)


def test_firmware_pages_walk_every_production_release_once(snapshot: CatalogueSnapshot) -> None:
    everything = snapshot.list_firmware_versions(ListEvseFirmwareVersions(limit=500)).results
    seen: list[str] = []
    cursor = None
    while True:
        page = snapshot.list_firmware_versions(ListEvseFirmwareVersions(limit=7, cursor=cursor))
        seen.extend(f.uid for f in page.results)
        if (cursor := page.next_cursor) is None:
            break
    assert seen == [f.uid for f in everything]


def test_non_production_firmware_is_not_found(snapshot: CatalogueSnapshot) -> None:
    hidden = next(f for f in snapshot.firmware_versions if not f.is_production)
    with pytest.raises(EvseFirmwareVersionNotFound):
        snapshot.get_firmware_version(hidden.uid)
