"""`evse-admin`: create applications and users, print their credentials as JSON.

Next to a running `make run` it needs no setup: the stack writes where its backends are to
`.data/stack.env` (`EVSE_STACK_ENV_FILE` names another file), and variables set in the
environment win over it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from datetime import UTC, datetime
from typing import Any

from pymongo.errors import PyMongoError

from evse_runtime.mongo import open_database

from .credentials import new_client_id, new_client_secret
from .identity import register_application, register_user
from .identity_store import MongoIdentityStore
from .settings import OnboardingSettings

__all__ = ["MIN_SECRET_LENGTH", "main"]

MIN_SECRET_LENGTH = 32


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="evse-admin", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    app = commands.add_parser("create-application", help="create or reset an application")
    app.add_argument("--name", required=True)
    app.add_argument("--redirect-url", required=True, help="onboarding_redirect_url")
    app.add_argument("--program-id")
    app.add_argument("--client-id", help="default: a new random id")
    app.add_argument("--client-secret", help="default: a new random secret")
    user = commands.add_parser("create-user", help="create a user of an application")
    user.add_argument("--client-id", required=True, help="the application's client id")
    user.add_argument("--email", required=True)
    return parser


async def _run(args: argparse.Namespace, settings: OnboardingSettings) -> dict[str, Any]:
    chosen = getattr(args, "client_secret", None)
    if chosen is not None and len(chosen) < MIN_SECRET_LENGTH:
        raise SystemExit(
            f"a chosen client secret needs at least {MIN_SECRET_LENGTH} characters "
            "(it is guessed online otherwise); leave it out for a random one"
        )
    now = datetime.now(UTC)
    async with open_database(settings.mongodb_url, settings.database) as db:
        store = MongoIdentityStore(db)
        await store.ensure_indexes()
        if args.command == "create-application":
            secret = args.client_secret or new_client_secret()
            application = await register_application(
                store=store,
                name=args.name,
                client_id=args.client_id or new_client_id(),
                client_secret=secret,
                onboarding_redirect_url=args.redirect_url,
                program_id=args.program_id,
                now=now,
            )
            return {
                "application_uid": application.uid,
                "client_id": application.client_id,
                "client_secret": secret,
            }
        owner = await store.application_by_client_id(args.client_id)
        if owner is None:
            raise SystemExit(f"no application has client id {args.client_id!r}")
        user = await register_user(store=store, application=owner, email=args.email, now=now)
        return {"user_uid": user.uid, "email": user.email, "application_uid": owner.uid}


def main() -> None:
    args = _parser().parse_args()
    env_file = os.environ.get("EVSE_STACK_ENV_FILE", ".data/stack.env")
    settings = OnboardingSettings(_env_file=env_file)
    try:
        result = asyncio.run(_run(args, settings))
    except PyMongoError as exc:
        raise SystemExit(
            f"evse-admin: cannot reach MongoDB at {settings.mongodb_url} ({type(exc).__name__}). "
            "Is `make run` running? Otherwise set EVSE_MONGODB_URL."
        ) from None
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
