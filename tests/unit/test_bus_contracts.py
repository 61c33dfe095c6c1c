from __future__ import annotations

import pytest
from pydantic import ValidationError

from evse_contracts.bus import Reply
from evse_contracts.catalogue import EVSE_MAKES_GET, EvseMake
from evse_contracts.ids import is_uid, new_uid
from evse_contracts.problems import Problem
from evse_contracts.subjects import SUBJECT_TABLE
from evse_runtime.replies import encode_ok, encode_problem

MAKE = EvseMake(
    uid="evsemake01", name="Zaptec", website="https://zaptec.com", headquarters_country="NO"
)
PROBLEM = Problem(slug="evse-make-not-found", title="Not found", status=404, detail="nope")


def test_reply_must_carry_exactly_one_of_ok_and_problem() -> None:
    with pytest.raises(ValidationError):
        Reply[EvseMake]()
    with pytest.raises(ValidationError):
        Reply[EvseMake](ok=MAKE, problem=PROBLEM)


def test_ok_reply_parses_back_to_the_routes_model() -> None:
    reply = EVSE_MAKES_GET.parse_reply(encode_ok(MAKE))
    assert reply.ok == MAKE and reply.problem is None


def test_problem_reply_parses_back_to_the_problem() -> None:
    reply = EVSE_MAKES_GET.parse_reply(encode_problem(PROBLEM))
    assert reply.problem == PROBLEM and reply.ok is None


def test_reply_of_the_wrong_shape_is_rejected() -> None:
    with pytest.raises(ValidationError):
        EVSE_MAKES_GET.parse_reply(b'{"ok": {"uid": "x"}}')


def test_subject_table_maps_each_subject_to_its_route() -> None:
    assert SUBJECT_TABLE["catalogue.evse_makes.get"] is EVSE_MAKES_GET
    assert all(subject == route.subject for subject, route in SUBJECT_TABLE.items())


def test_problem_slug_must_be_kebab_case() -> None:
    with pytest.raises(ValidationError):
        Problem(slug="Not Found", title="x", status=404, detail="x")


def test_new_uid_has_its_prefix_and_a_ulid() -> None:
    uid = new_uid("evse")
    assert is_uid(uid, "evse")
    assert not is_uid(uid, "evsemodel")
    assert not is_uid("evse123", "evse")
