"""ChargePoint Home Flex consumer API, simulated: discovery, sign-in and the session every call
carries (the chargers and their sessions are `chargepoint.py`'s).

Discovery (`POST /discovery/v3/globalconfig`) gives region and endpoint bases, each under its own
path as in production (python-chargepoint `tests/example/global_config.json`). Sign-in: evcc's
`POST {accounts}v2/driver/profile/account/login` → `{sessionId, ssoSessionId, user.userId}`, or
python-chargepoint's `POST {sso}v1/user/login`, which answers the session as the `coulomb_sess`
cookie. Calls carry the whole `sessionId` as `CP-Session-Token` (or the cookie); a Bearer SSO
JWT, sent by evcc on hcpo calls and not by python-chargepoint, must belong to the same account
when present.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse

from ..fleet import SimCharger
from ..state import gate, sim_of
from .forms import json_of

__all__ = ["USER_ID", "VENDOR", "hcpo_user", "owned_charger", "require_session", "router"]

VENDOR = "chargepoint"
router = APIRouter(prefix=f"/{VENDOR}", dependencies=[Depends(gate(VENDOR))])
USER_ID = "8200101"
SESSION_SUFFIX = f"D{USER_ID}#RNA-US"
COULOMB_SESSION = "coulomb_sess"  # python-chargepoint `client.py:41`
# Production's bases (python-chargepoint `tests/example/global_config.json`), relative to this
# vendor's prefix; the internal API gateway has no trailing slash there either.
ENDPOINTS = {
    "accounts_endpoint": "account/",
    "sso_endpoint": "sso/api/",
    "hcpo_hcm_endpoint": "hcpo-charger-management/",
    "mapcache_endpoint": "map-prod/",
    "internal_api_gateway_endpoint": "internal-api",
    "webservices_endpoint": "webservices/backend.php/",
    "portal_domain_endpoint": "portal/",
}


def require_session(request: Request) -> str:
    """The session's account; 401 unless `CP-Session-Token` (or, as python-chargepoint sends
    it before it sets the header, the `coulomb_sess` cookie) is the whole `sessionId`
    (`<token>#D<userId>#R<region>`, python-chargepoint `client.py:189`)."""
    session = request.headers.get("cp-session-token") or request.cookies.get(COULOMB_SESSION, "")
    token, _, rest = session.partition("#")
    owner = sim_of(request).token_owner(VENDOR, token) if rest == SESSION_SUFFIX else None
    if owner is None:
        raise HTTPException(401, detail="session expired")
    return owner


def owned_charger(request: Request, device_id: object) -> SimCharger:
    return sim_of(request).owned_charger(VENDOR, require_session(request), str(device_id))


def hcpo_user(request: Request, user_id: str) -> str:
    """The session's account on an hcpo call. A Bearer SSO JWT (evcc `api.go:33-59`) must be
    the same account's; python-chargepoint sends none and is served."""
    owner = require_session(request)
    if (
        request.headers.get("authorization")
        and sim_of(request).require_bearer(VENDOR, request) != owner
    ):
        raise HTTPException(401, detail="session and SSO token belong to different accounts")
    if user_id != USER_ID:
        raise HTTPException(403, detail="not this session's user")
    return owner


@router.post("/discovery/v3/globalconfig")
async def discovery(request: Request) -> dict[str, Any]:
    base = f"{str(request.base_url).rstrip('/')}/{VENDOR}/"
    return {
        "region": "NA-US",
        "endPoints": {
            name: {"value": f"{base}{path}", "dataDome": True} for name, path in ENDPOINTS.items()
        },
    }


def _session_of(request: Request, username: str) -> str:
    return f"{sim_of(request).issue_token(VENDOR, username)}#{SESSION_SUFFIX}"


async def _signed_in(request: Request) -> str:
    body = await json_of(request)
    username = body.get("username")
    if not sim_of(request).signed_in(VENDOR, username, body.get("password")):
        raise HTTPException(401, detail="invalid username or password")
    return str(username)


@router.post("/account/v2/driver/profile/account/login")
async def login(request: Request) -> dict[str, Any]:
    """evcc `identity.go:124,204-220`."""
    username = await _signed_in(request)
    return {
        "sessionId": _session_of(request, username),
        "ssoSessionId": sim_of(request).issue_token(VENDOR, username, "sso"),
        "user": {"userId": int(USER_ID)},
    }


@router.post("/sso/api/v1/user/login")
async def sso_login(request: Request) -> JSONResponse:
    """python-chargepoint `client.py:199-215`: it reads only the `coulomb_sess` cookie."""
    username = await _signed_in(request)
    response = JSONResponse({"user": {"userId": int(USER_ID)}})
    response.set_cookie(COULOMB_SESSION, _session_of(request, username), path="/")
    return response


@router.get("/account/v1/driver/profile/user")
async def profile(request: Request) -> dict[str, Any]:
    """python-chargepoint `client.py:292` (`Account`, `types.py:88-92`; conftest `account_json`)."""
    username = require_session(request)
    return {
        "user": {"userId": int(USER_ID), "username": username, "email": username},
        "accountBalance": {
            "accountNumber": USER_ID,
            "accountState": "ACTIVE",
            "balance": {"amount": "0.00", "currency": "USD"},
        },
    }
