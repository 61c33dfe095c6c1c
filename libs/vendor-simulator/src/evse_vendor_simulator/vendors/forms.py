"""Small request helpers the vendor routers share."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from fastapi import HTTPException, Request

from ..fleet import SimCharger
from ..seed import PARTNER_PASSWORD, partner_username
from ..state import SimState

__all__ = ["bearer_grant", "charger_or_404", "form_of", "json_of", "password_granted"]


async def form_of(request: Request) -> dict[str, str]:
    """A form-encoded body as a flat dict (no python-multipart needed for urlencoded)."""
    parsed = parse_qs((await request.body()).decode())
    return {key: values[0] for key, values in parsed.items()}


async def json_of(request: Request) -> dict[str, Any]:
    body = await request.body()
    if not body:
        return {}
    try:
        data = await request.json()
    except ValueError as exc:
        raise HTTPException(400, detail="body is not JSON") from exc
    if not isinstance(data, dict):
        raise HTTPException(400, detail="body must be a JSON object")
    return data


def charger_or_404(sim: SimState, vendor: str, device_id: str) -> SimCharger:
    charger = sim.fleet.find(vendor, device_id)
    if charger is None:
        raise HTTPException(404, detail=f"no charger {device_id}")
    return charger


async def password_granted(request: Request, sim: SimState, vendor: str) -> bool:
    """Whether a form-encoded OAuth2 password grant carries the partner account's credentials."""
    form = await form_of(request)
    return (
        form.get("grant_type") == "password"
        and form.get("username") == partner_username(vendor)
        and form.get("password") == PARTNER_PASSWORD
        and not sim.credentials_rejected(vendor)
    )


def bearer_grant(sim: SimState, vendor: str, token_type: str = "Bearer") -> dict[str, Any]:
    """An OAuth2 token response with a freshly issued access token."""
    return {
        "access_token": sim.issue_token(vendor),
        "token_type": token_type,
        "expires_in": int(sim.settings.token_ttl_s),
    }
