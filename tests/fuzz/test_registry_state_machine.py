"""Stateful fuzzing of the EVSE registry: random imports, reads and decommissions by two tenants.

Hypothesis drives sequences of HTTP calls against the in-process stack and checks every answer
against a model of who holds which charger: importing again is idempotent for the holder and a
409 for the rival tenant; a decommissioned EVSE is a 404 and may be imported anew; a list shows
exactly the caller's active EVSEs; nobody reads or removes another tenant's EVSE.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from evse_vendor_simulator.seed import ACCOUNT_NAMES, SEED_CHARGERS, account_username
from tests.fuzz.conftest import EXAMPLES, Api

CHARGERS = [
    (c.vendor, c.serial_number)
    for c in SEED_CHARGERS
    if c.owner == account_username(ACCOUNT_NAMES[0])
][:3]
"""Both tenants' users linked the first owner's vendor accounts, so they may import these
chargers; three of them, so that sequences often contend for the same one."""

TENANTS = ("tenant", "rival")
RETRYABLE = {"provider-busy", "service-unavailable"}
RETRIES, RETRY_PAUSE_S = 40, 0.5


@dataclass
class Held:
    tenant: str
    uid: str


def _headers(api: Api, tenant: str, kind: str) -> dict[str, str]:
    return (api.callers if tenant == "tenant" else api.rivals)[kind]


def _active_uids(client: httpx.Client, headers: dict[str, str]) -> set[str]:
    """Every active EVSE the caller sees, following `next` links."""
    uids: set[str] = set()
    url: str | None = "/v2/evses?state=active&limit=3"
    while url:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        uids |= {evse["uid"] for evse in body["results"]}
        url = body["next"]
    return uids


def registry_machine(api: Api) -> type[RuleBasedStateMachine]:
    class Registry(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.client = httpx.Client(base_url=api.base_url, timeout=30)
            self.held: dict[tuple[str, str], Held] = {}
            self.gone: set[str] = set()

        def teardown(self) -> None:
            self.client.close()

        @initialize()
        def start_empty(self) -> None:
            """Examples share one stack: decommission what earlier examples left behind."""
            for tenant in TENANTS:
                headers = _headers(api, tenant, "application")
                for uid in _active_uids(self.client, headers):
                    assert (
                        self.client.delete(f"/v2/evses/{uid}", headers=headers).status_code == 204
                    )

        def _known_uids(self) -> list[str]:
            return [held.uid for held in self.held.values()] + sorted(self.gone)

        @rule(tenant=st.sampled_from(TENANTS), charger=st.sampled_from(CHARGERS))
        def import_by_serial(self, tenant: str, charger: tuple[str, str]) -> None:
            provider, serial = charger
            retried = False
            for _ in range(RETRIES):
                response = self.client.post(
                    "/v2/evse_onboarding/import",
                    json={"provider": provider, "serial_number": serial},
                    headers=_headers(api, tenant, "user"),
                )
                if response.status_code != 503:
                    break
                # A clean refusal (vendor budget spent, or an answer slower than the gateway
                # waits): what a client does is retry, and import is idempotent for its user.
                assert response.json()["type"].rsplit("/", 1)[-1] in RETRYABLE, response.text
                retried = True
                time.sleep(RETRY_PAUSE_S)
            held = self.held.get(charger)
            if held is None:
                assert response.status_code in ((200, 201) if retried else (201,)), response.text
                self.held[charger] = Held(tenant, response.json()["uid"])
            elif held.tenant == tenant:
                assert response.status_code == 200, response.text
                assert response.json()["uid"] == held.uid
            else:
                assert response.status_code == 409, response.text
                assert response.json()["type"].endswith("/problems/evse-already-onboarded")

        @rule(tenant=st.sampled_from(TENANTS), pick=st.integers(min_value=0), data=st.data())
        def decommission(self, tenant: str, pick: int, data: st.DataObject) -> None:
            uids = self._known_uids()
            if not uids:
                return
            uid = uids[pick % len(uids)]
            kind = data.draw(st.sampled_from(["application", "user"]))
            response = self.client.delete(f"/v2/evses/{uid}", headers=_headers(api, tenant, kind))
            charger = next((c for c, held in self.held.items() if held.uid == uid), None)
            if charger is not None and self.held[charger].tenant == tenant:
                assert response.status_code == 204, response.text
                del self.held[charger]
                self.gone.add(uid)
            else:
                self._assert_not_found(response)

        @rule(tenant=st.sampled_from(TENANTS), pick=st.integers(min_value=0))
        def read_one(self, tenant: str, pick: int) -> None:
            uids = self._known_uids()
            if not uids:
                return
            uid = uids[pick % len(uids)]
            response = self.client.get(
                f"/v2/evses/{uid}", headers=_headers(api, tenant, "application")
            )
            mine = any(h.uid == uid and h.tenant == tenant for h in self.held.values())
            if mine:
                assert response.status_code == 200, response.text
                assert response.json()["state"] == "active"
            else:
                self._assert_not_found(response)

        @staticmethod
        def _assert_not_found(response: httpx.Response) -> None:
            assert response.status_code == 404, response.text
            assert response.json()["type"].endswith("/problems/evse-not-found")

        @invariant()
        def each_tenant_lists_exactly_its_active_evses(self) -> None:
            for tenant in TENANTS:
                expected = {h.uid for h in self.held.values() if h.tenant == tenant}
                for kind in ("application", "user"):
                    seen = _active_uids(self.client, _headers(api, tenant, kind))
                    assert seen == expected, (tenant, kind)

    Registry.TestCase.settings = settings(
        max_examples=max(EXAMPLES // 2, 6),
        stateful_step_count=15,
        deadline=None,
        derandomize=EXAMPLES <= 20,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    return Registry


def test_the_registry_agrees_with_a_model_through_any_sequence_of_calls(api: Api) -> None:
    registry_machine(api).TestCase().runTest()
