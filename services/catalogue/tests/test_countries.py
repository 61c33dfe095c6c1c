from __future__ import annotations

import pytest

from evse_catalogue.countries import countries_in_accept_language, iso_country


@pytest.mark.parametrize(("value", "expected"), [("GB", "GB"), ("gb", "GB"), ("XX", None)])
def test_iso_country_accepts_real_codes_in_any_case(value: str, expected: str | None) -> None:
    assert iso_country(value) == expected


@pytest.mark.parametrize("value", ["", "G", "GBR", "1A", "É1"])
def test_iso_country_rejects_what_is_not_two_letters(value: str) -> None:
    assert iso_country(value) is None


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("en-GB", ["GB"]),
        ("fr, de-DE;q=0.8, en-US;q=0.9", ["US", "DE"]),
        ("de-AT;q=0.5, nb-NO", ["NO", "AT"]),
        ("es-419, pt-BR;q=0.3", ["BR"]),
        ("en-US;q=0, en-CA;q=0.1", ["CA"]),
        ("*, en", []),
        ("en-GB;q=high, en-AU;q=0.2", ["AU"]),
        ("en-UK", ["GB"]),
        ("zh-Hant-TW", ["TW"]),
        ("en-ZZ, !!, sv-SE;q=1.0", ["SE"]),
        ("", []),
    ],
)
def test_accept_language_countries_come_in_preference_order(
    header: str, expected: list[str]
) -> None:
    assert list(countries_in_accept_language(header)) == expected


def test_equal_q_values_keep_header_order() -> None:
    assert list(countries_in_accept_language("en-IE;q=0.7, fr-BE;q=0.7")) == ["IE", "BE"]
