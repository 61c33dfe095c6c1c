from __future__ import annotations

from evse_catalogue.countries import iso_country
from evse_catalogue.seed import load_seed
from evse_contracts.ids import is_uid

from .seeded import snapshot_of_seed

SEED = load_seed()
REGIONS = {"north_america", "great_britain", "europe", "nordics", "oceania"}


def test_every_region_a_model_names_maps_some_countries() -> None:
    snapshot = snapshot_of_seed()
    named = {c.region for m in snapshot.models for c in m.compatibility}
    assert named == REGIONS == set(snapshot.regions.values())


def test_region_countries_are_iso_codes_in_one_region_each() -> None:
    countries = [c for region in SEED["compatibility_regions"] for c in region["countries"]]
    assert len(countries) == len(set(countries))
    assert all(iso_country(c) == c for c in countries)


def test_every_model_has_a_production_firmware_version() -> None:
    production = {f["evse_model_uid"] for f in SEED["evse_firmware_versions"] if f["is_production"]}
    assert production == {m["uid"] for m in SEED["evse_models"]}
    assert any(not f["is_production"] for f in SEED["evse_firmware_versions"])


def test_seed_uids_are_well_formed_and_unique() -> None:
    for kind, prefix in (("evse_firmware_versions", "evsefw"), ("programs", "program")):
        uids = [row["uid"] for row in SEED[kind]]
        assert len(uids) == len(set(uids))
        assert all(is_uid(uid, prefix) for uid in uids)


def test_programs_span_countries_and_name_only_seeded_models() -> None:
    models = {m["uid"] for m in SEED["evse_models"]}
    assert len({p["country"] for p in SEED["programs"]}) >= 4
    for program in SEED["programs"]:
        assert set(program["supported_evse_models"]) <= models
