"""Clients generated from the document the gateway serves work against the whole stack.

A Python client (`openapi-python-client`) drives a user's journey — import by serial, status
logs, a confirmed command, decommission — with nothing but its generated functions and models.
A TypeScript client (`openapi-typescript`) must compile, accept a valid command body and
refuse an invalid one. Both are generated into a temporary directory, never committed.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from evse_devstack.stack import Stack
from evse_vendor_simulator.seed import seed_for
from tests.e2e.conftest import CLIENT_VENDOR
from tests.utils.polling import eventually
from tests.utils.vendor_links import link_vendor_account

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / ".tools" / "node_modules" / ".bin"
"""Where `make test` installs openapi-typescript and typescript (npm)."""
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def evse_client(e2e_stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The Python client package, generated from the served document and imported."""
    out = tmp_path_factory.mktemp("python-client")
    subprocess.run(
        [
            str(BIN / "openapi-python-client"),
            "generate",
            "--url",
            f"{e2e_stack.base_url}/openapi.json",
            "--meta",
            "none",
            "--output-path",
            str(out / "evse_client"),
            "--fail-on-warning",
        ],
        check=True,
        cwd=out,
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"},
    )
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module("evse_client")
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m.split(".")[0] == "evse_client"]:
            del sys.modules[name]


def _api(name: str) -> ModuleType:
    """A generated operation module, found by its operationId (the route's name)."""
    api = importlib.import_module("evse_client.api")
    for package in Path(api.__file__ or "").parent.iterdir():
        if (package / f"{name}.py").is_file():
            return importlib.import_module(f"evse_client.api.{package.name}.{name}")
    raise AssertionError(f"the generated client has no operation {name}")


def _user_token(stack: Stack) -> str:
    assert stack.demo is not None
    form = {
        "grant_type": "client_credentials",
        "client_id": stack.demo.client_id,
        "client_secret": stack.demo.client_secret,
        "user_uid": stack.demo.user_uid,
    }
    response = httpx.post(f"{stack.base_url}/v2/oauth/token", data=form, timeout=30)
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def test_the_python_client_imports_reads_commands_and_decommissions(
    e2e_stack: Stack, evse_client: Any
) -> None:
    assert e2e_stack.demo is not None
    token = _user_token(e2e_stack)
    with httpx.Client(base_url=e2e_stack.base_url, timeout=30) as http:
        user = {"Authorization": f"Bearer {token}"}
        linked = link_vendor_account(http, user, CLIENT_VENDOR, e2e_stack.demo.user_email)
        assert linked.status_code == 303, linked.text
    with evse_client.AuthenticatedClient(
        base_url=e2e_stack.base_url, token=token, timeout=httpx.Timeout(30)
    ) as client:
        _journey(e2e_stack, client)


def _journey(e2e_stack: Stack, client: Any) -> None:
    """Import → status logs → a confirmed command → decommission, by the generated client
    (the vendor account is linked first, on the hosted sign-in page)."""
    assert e2e_stack.demo is not None
    models = importlib.import_module("evse_client.models")
    serial = next(
        c.serial_number for c in seed_for(CLIENT_VENDOR) if c.owner == e2e_stack.demo.user_email
    )

    body = models.ImportEvse(
        provider=models.ImportEvseProvider(CLIENT_VENDOR), serial_number=serial
    )
    imported = _api("import_evse").sync_detailed(client=client, body=body)
    assert imported.status_code == 201, imported.content
    evse = imported.parsed
    assert isinstance(evse, models.Evse) and evse.serial_number == serial
    assert evse.state == models.EvseState.ACTIVE

    def status_logs() -> list[Any]:
        page = _api("list_status_logs").sync(evse.uid, client=client, limit=10)
        assert isinstance(page, models.ListResponseStatusLog), page
        return list(page.results)

    logs = eventually(status_logs)
    one = _api("get_status_log").sync(evse.uid, logs[0].sampled_at.isoformat(), client=client)
    assert isinstance(one, models.StatusLog) and one.sampled_at == logs[0].sampled_at

    # The simulated charger cycles through offline and faulted, which refuse commands.
    simulator = e2e_stack.env["EVSE_SIMULATOR_URL"]
    pinned = httpx.put(f"{simulator}/_sim/chargers/{serial}/state", json={"state": "charging"})
    assert pinned.status_code == 200, pinned.text
    command = models.SetCurrentLimit(command="set_current_limit", current_limit_a=16)
    accepted = _api("send_command").sync(evse.uid, client=client, body=command)
    assert isinstance(accepted, models.CommandAccepted), accepted

    def confirmed() -> list[Any]:
        page = _api("list_command_logs").sync(evse.uid, client=client, limit=50)
        assert isinstance(page, models.ListResponseCommandLog), page
        return [
            log
            for log in page.results
            if log.command_id == accepted.command_id and log.result.value == "confirmed"
        ]

    (log,) = eventually(confirmed)
    assert log.command == "set_current_limit"

    gone = _api("decommission_evse").sync_detailed(evse.uid, client=client)
    assert gone.status_code == 204, gone.content
    after = _api("get_evse").sync_detailed(evse.uid, client=client)
    assert after.status_code == 404
    assert isinstance(after.parsed, models.ProblemDocument)
    assert after.parsed.type_.endswith("/problems/evse-not-found")


TYPESCRIPT_USE = """
import type { paths } from "./schema";

type Command =
  paths["/v2/evses/{evse_id}/commands"]["post"]["requestBody"]["content"]["application/json"];
type Signup = paths["/v2/evse_waitlist"]["post"]["requestBody"]["content"]["application/json"];

export const limit: Command = { command: "set_current_limit", current_limit_a: 16 };
export const start: Command = { command: "start_charging" };
// @ts-expect-error a current limit needs its amperes
export const noAmperes: Command = { command: "set_current_limit" };
// @ts-expect-error there is no such command
export const unknown: Command = { command: "self_destruct" };
export const picker: Signup = { email: "a@example.com", evse_model_id: "evsemodel01J" };
"""


def test_the_typescript_client_compiles_and_types_command_bodies(
    e2e_stack: Stack, tmp_path: Path
) -> None:
    generator, compiler = TOOLS / "openapi-typescript", TOOLS / "tsc"
    assert generator.is_file() and compiler.is_file(), "run `make tools` (npm) first"
    subprocess.run(
        [str(generator), f"{e2e_stack.base_url}/openapi.json", "-o", str(tmp_path / "schema.ts")],
        check=True,
    )
    (tmp_path / "use.ts").write_text(TYPESCRIPT_USE)
    checked = subprocess.run(
        [str(compiler), "--noEmit", "--strict", "--target", "es2022", "use.ts"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
