"""Small request helpers the vendor routers share."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from fastapi import HTTPException, Request

from ..state import SimState

__all__ = ["bearer_grant", "form_of", "json_of", "password_grant_owner"]


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


async def password_grant_owner(request: Request, sim: SimState, vendor: str) -> str | None:
    """The account a form-encoded OAuth2 password grant signs in, or None."""
    form = await form_of(request)
    if form.get("grant_type") != "password":
        return None
    username = form.get("username")
    return username if sim.signed_in(vendor, username, form.get("password")) else None


def bearer_grant(
    sim: SimState, vendor: str, username: str, token_type: str = "Bearer"
) -> dict[str, Any]:
    """An OAuth2 token response with a freshly issued access token for `username`."""
    return {
        "access_token": sim.issue_token(vendor, username),
        "token_type": token_type,
        "expires_in": int(sim.settings.token_ttl_s),
    }
