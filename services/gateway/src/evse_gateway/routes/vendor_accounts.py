"""`/v2/vendor_accounts`: the user's own accounts at cloud vendors, linked through hosted pages.

A link is how the platform reaches the user's chargers at ChargePoint, Easee, Wallbox and
Zaptec: the user signs in at the vendor on a hosted page (`GET /v2/vendor_accounts/link`),
and imports by serial are looked up in that account. Each link shows its health: `linked`, or
`broken` with a `reason` when the vendor stopped accepting it (password changed, charger
removed); its EVSEs are not polled until the user signs in again on the same page, which
restores the same EVSEs. `DELETE` unlinks: credentials erased, polling stopped.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from evse_contracts.auth import EVSES_READ, EVSES_WRITE, ONBOARDING, Principal, UserTokenRequired
from evse_contracts.bridge import CloudProviderName
from evse_contracts.onboarding import ONBOARDING_LINK_START, StartVendorAccountLink
from evse_contracts.vendor_accounts import (
    VENDOR_ACCOUNTS_GET,
    VENDOR_ACCOUNTS_LIST,
    VENDOR_ACCOUNTS_UNLINK,
    ListVendorAccounts,
    VendorAccountLink,
    VendorAccountLinks,
    VendorAccountRef,
)

from ..auth import require_principal
from ..deps import ask
from ..hosted_pages import (
    ClientState,
    ResponseType,
    hosted_page_responses,
    send_to_hosted_page,
)
from ..problems import problem_responses
from ..responses import json_response

__all__ = ["router"]

router = APIRouter(tags=["Vendor accounts"])
VendorAccountId = Annotated[
    str, Path(min_length=1, max_length=64, description="The link's uid (`vacct…`).")
]
Provider = Annotated[
    CloudProviderName,
    Query(
        description="chargepoint, easee, wallbox or zaptec (EO, Enel X and SyncEV connect over "
        "OCPP and have no account to link).",
    ),
]


def _user(request: Request, scope: str) -> tuple[str, str]:
    principal: Principal = require_principal(request, scope)
    if principal.kind != "user" or principal.user_uid is None:
        raise UserTokenRequired("vendor accounts belong to a user: use a token acting as the user")
    return principal.application_uid, principal.user_uid


def _ref(request: Request, scope: str, vendor_account_id: str) -> VendorAccountRef:
    application_uid, user_uid = _user(request, scope)
    return VendorAccountRef(
        application_uid=application_uid, user_uid=user_uid, vendor_account_uid=vendor_account_id
    )


@router.get(
    "/vendor_accounts",
    response_model=VendorAccountLinks,
    responses=problem_responses(400, 401, 403, 503),
)
async def list_vendor_accounts(
    request: Request,
    provider: Annotated[
        CloudProviderName | None, Query(description="Only this vendor's link.")
    ] = None,
) -> Response:
    """The user's vendor account links and their health (unlinked ones are left out)."""
    application_uid, user_uid = _user(request, EVSES_READ)
    query = ListVendorAccounts(
        application_uid=application_uid, user_uid=user_uid, provider=provider
    )
    return json_response(await ask(request, VENDOR_ACCOUNTS_LIST, query))


@router.get(
    "/vendor_accounts/link",
    response_model=None,
    response_class=RedirectResponse,
    status_code=302,
    responses={
        **hosted_page_responses("Redirect to the hosted sign-in page of the vendor."),
        **problem_responses(400, 401, 403, 503),
    },
)
async def start_vendor_account_link(
    request: Request,
    provider: Provider,
    state: ClientState = None,
    response_type: ResponseType = "redirect",
) -> Response:
    """Send the user's browser to sign in at the vendor; it comes back to the application's
    redirect URL with `vendor_account_id`, `provider` and `state`. Signing in again relinks
    (a broken link is restored, its EVSEs polled again)."""
    _user(request, ONBOARDING)
    start = StartVendorAccountLink(provider=provider, state=state)
    link = await ask(request, ONBOARDING_LINK_START, start, idempotent=False)
    return send_to_hosted_page(link, response_type)


@router.get(
    "/vendor_accounts/{vendor_account_id}",
    response_model=VendorAccountLink,
    responses=problem_responses(400, 401, 403, 503, slugs={404: ["vendor-account-not-found"]}),
)
async def get_vendor_account(request: Request, vendor_account_id: VendorAccountId) -> Response:
    """One link and its health."""
    ref = _ref(request, EVSES_READ, vendor_account_id)
    return json_response(await ask(request, VENDOR_ACCOUNTS_GET, ref))


@router.delete(
    "/vendor_accounts/{vendor_account_id}",
    response_model=VendorAccountLink,
    responses=problem_responses(400, 401, 403, 503, slugs={404: ["vendor-account-not-found"]}),
)
async def unlink_vendor_account(request: Request, vendor_account_id: VendorAccountId) -> Response:
    """Unlink: the credentials and the vendor's tokens are erased, its EVSEs are no longer
    polled (they stay registered; linking the same account again resumes them)."""
    ref = _ref(request, EVSES_WRITE, vendor_account_id)
    return json_response(await ask(request, VENDOR_ACCOUNTS_UNLINK, ref, idempotent=True))
