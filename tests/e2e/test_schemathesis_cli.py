"""`schemathesis run --checks all` — the CLI a consumer would run — against the whole stack.

The document the gateway serves must describe the API exactly: every schema-valid request
accepted (or refused with a documented problem, see `schemathesis.toml`), every invalid one
refused, every response and `Allow` header as documented. Run once with an application token
and once with a user token, a bounded number of examples per operation, with a fixed seed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from evse_devstack.stack import Stack

pytestmark = pytest.mark.e2e

CONFIG = Path(__file__).with_name("schemathesis.toml")
EXAMPLES = int(os.environ.get("EVSE_FUZZ_EXAMPLES", "8"))
"""Examples per operation and phase; `make fuzz` raises it."""
SEED = "20261128"
PASSED = re.compile(r"(\d+) generated, \1 passed")


def _token(stack: Stack, **extra: str) -> str:
    assert stack.demo is not None
    form = {
        "grant_type": "client_credentials",
        "client_id": stack.demo.client_id,
        "client_secret": stack.demo.client_secret,
        **extra,
    }
    response = httpx.post(f"{stack.base_url}/v2/oauth/token", data=form, timeout=30)
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


@pytest.mark.parametrize("caller", ["application", "user"])
def test_schemathesis_finds_no_failure_with_every_check(
    e2e_stack: Stack, caller: str, tmp_path: Path
) -> None:
    assert e2e_stack.demo is not None
    extra = {"user_uid": e2e_stack.demo.user_uid} if caller == "user" else {}
    token = _token(e2e_stack, **extra)
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(CONFIG),
        "run",
        f"{e2e_stack.base_url}/openapi.json",
        "--checks",
        "all",
        "--header",
        f"Authorization: Bearer {token}",
        "--max-examples",
        str(EXAMPLES),
        "--phases",
        "examples,coverage,fuzzing",
        "--seed",
        SEED,
        "--workers",
        "1",
        "--continue-on-failure",
        "--no-color",
        "--report-dir",
        str(tmp_path),
    ]
    run = subprocess.run(command, capture_output=True, text=True, check=False, cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
    assert PASSED.search(run.stdout), run.stdout[-5000:]
