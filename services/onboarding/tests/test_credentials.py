from __future__ import annotations

import pytest

from evse_onboarding.credentials import hash_secret, new_client_secret, verify_secret
from evse_onboarding.errors import InvalidScope
from evse_onboarding.tokens import granted_scopes


def test_a_secret_verifies_against_its_own_hash_only() -> None:
    secret = new_client_secret()
    stored = hash_secret(secret)
    assert secret not in stored
    assert verify_secret(secret, stored)
    assert not verify_secret(secret + "x", stored)


def test_hashes_of_one_secret_differ_by_salt() -> None:
    assert hash_secret("same") != hash_secret("same")


@pytest.mark.parametrize("stored", ["", "md5$00$00", "scrypt$zz"])
def test_malformed_stored_hashes_never_verify(stored: str) -> None:
    assert not verify_secret("anything", stored)


def test_scopes_default_to_all_and_may_be_narrowed() -> None:
    assert granted_scopes(None) == ("evses:read", "evses:write", "onboarding")
    assert granted_scopes("evses:read evses:read") == ("evses:read",)


@pytest.mark.parametrize("requested", ["", "admin", "evses:read root"])
def test_unknown_or_empty_scopes_are_refused(requested: str) -> None:
    with pytest.raises(InvalidScope):
        granted_scopes(requested)
