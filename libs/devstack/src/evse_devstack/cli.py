"""`evse-dev run`: the whole platform on this machine, until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from types import FrameType

from evse_vendor_simulator.seed import SEED_ACCOUNTS, SEED_CHARGERS, SeedCharger

from .demo import DEMO_EMAIL
from .stack import Stack, start_stack

__all__ = ["main"]


def _banner(stack: Stack) -> str:
    base = stack.base_url
    demo = stack.demo
    assert demo is not None
    return f"""
EVSE platform is running.

  API        {base}/v2
  API docs   {base}/docs
  Readiness  {base}/readyz
  OCPP 1.6J  {stack.ocpp_url}/<charge_point_id>  (HTTP Basic; onboarding shows the password)

  NATS       {stack.nats.kind}
  MongoDB    {stack.mongodb.kind}
  Logs       {stack.log_dir}/<service>.log

Demo application
  client_id      {demo.client_id}
  client_secret  {demo.client_secret}
  demo user      {demo.user_email}  (user_uid {demo.user_uid})

Vendor-cloud simulator  {stack.env.get("EVSE_SIMULATOR_URL", "")}  (SIMULATED vendor clouds)
The demo user's vendor logins (sign in with them on the hosted "link account" page):
{_demo_logins()}

Paste these in order (`pick` pulls one field out of a JSON answer):
  pick() {{ python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }}
  export TOKEN=$(curl -s {base}/v2/oauth/token -d grant_type=client_credentials \\
       -d client_id={demo.client_id} -d client_secret={demo.client_secret} \\
       -d user_uid={demo.user_uid} | pick access_token)
  # 1. Link the demo user's Zaptec account: open the printed URL, sign in with the login above.
  curl -s "{base}/v2/vendor_accounts/link?provider=zaptec&response_type=json" \\
       -H "Authorization: Bearer $TOKEN"
  # 2. Import one of their chargers by serial; keep its uid.
  export EVSE=$(curl -s {base}/v2/evse_onboarding/import -H "Authorization: Bearer $TOKEN" \\
       -H 'content-type: application/json' \\
       -d '{{"provider": "zaptec", "serial_number": "{_demo_serial("zaptec")}"}}' | pick uid)
  # 3. Its live status (a sample arrives within a poll interval).
  curl -s {base}/v2/evses/$EVSE/status_logs -H "Authorization: Bearer $TOKEN"
An application token: the same token call without user_uid.
Onboarding in a browser: curl -s "{base}/v2/evse_onboarding?response_type=json&make_id=<uid from
/v2/evse_makes>" -H "Authorization: Bearer $TOKEN", then open the printed URL.

Simulated OCPP chargers (enrolled with fake EVSE uids, one charging session each):
  uv run python bench/ocpp_chargers.py --nats {stack.nats.url} --count 3 --session

Your own application (evse-admin finds this stack by itself):
  uv run evse-admin create-application --name "My app" --redirect-url http://localhost:3000/cb

Anonymous catalogue:  curl {base}/v2/evse_makes
Press Ctrl-C to stop everything.
"""


def _demo_chargers() -> list[SeedCharger]:
    return [c for c in SEED_CHARGERS if c.owner == DEMO_EMAIL]


def _demo_logins() -> str:
    serials = {c.vendor: c.serial_number for c in _demo_chargers()}
    return "\n".join(
        f"  {a.vendor:<12} {a.username}  password {a.password}  (charger {serials[a.vendor]})"
        for a in SEED_ACCOUNTS
        if a.username == DEMO_EMAIL
    )


def _demo_serial(vendor: str) -> str:
    return next(c.serial_number for c in _demo_chargers() if c.vendor == vendor)


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(prog="evse-dev")
    parser.add_argument("command", choices=["run"])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--ocpp-port", type=int, default=9000)
    parser.add_argument("--data-dir", type=Path, default=Path(".data"))
    parser.add_argument(
        "--nats-nodes",
        type=int,
        choices=[1, 3],
        default=1,
        help="3: a NATS cluster on loopback, every stream and KV bucket on all three nodes",
    )
    args = parser.parse_args()
    # Ctrl-C even when started where SIGINT is ignored (a background job of a shell without
    # job control): Python leaves an ignored SIGINT ignored, and the stack would not stop.
    signal.signal(signal.SIGINT, _raise_interrupt)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        with start_stack(
            args.data_dir, port=args.port, ocpp_port=args.ocpp_port, nats_nodes=args.nats_nodes
        ) as stack:
            sys.stdout.write(_banner(stack))
            sys.stdout.flush()
            signal.pause()
    except KeyboardInterrupt:
        sys.stdout.write("\nStopped.\n")
