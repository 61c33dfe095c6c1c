"""The pages that connect the charger: vendor sign-in, serial number, OCPP settings, consent.

Connecting a charger of a cloud vendor first links the user's own account there (the `link`
page: the vendor's sign-in form); a link-only session (`link_provider`) is just that page.
EO, Enel X and SyncEV chargers are enrolled for OCPP whatever the model's method says: the
bridge issues their HTTP Basic password and keeps only a hash, so the settings page is the one
time anyone sees it (reloading the POST finds the session closed and shows "already
connected"). Makes with no integration get the simulated consent only when the vendor clouds
are simulated. Every ending sends the browser back to the application (`endings`).
"""

from __future__ import annotations

from typing import Any

from evse_contracts.bridge import IssueOcppCredentials
from evse_contracts.catalogue import EvseModel
from evse_contracts.onboarding import PageResponse
from evse_contracts.problems import DomainError
from evse_contracts.vendor_accounts import VendorAccountLink

from .account_links import (
    MAKE_NAMES,
    LinkRefused,
    link_account,
    link_state,
    needs_link,
    onboards_over_ocpp,
)
from .endings import success_url, with_query
from .evse_record import EvseRecord
from .onboarding_flow import next_step
from .page_messages import SERIAL_MAX_LENGTH, serial_error
from .page_visit import PageVisit

__all__ = ["authorize", "connect", "link", "show_connect", "show_link"]


async def show_connect(
    visit: PageVisit, error: str | None = None, serial: str = ""
) -> PageResponse:
    if (back := visit.ensure("connect")) is not None:
        return back
    model = await visit.current_model()
    common: dict[str, Any] = {
        "model": model,
        "make": model.evse_make,
        "email": visit.session.user_email,
    }
    if onboards_over_ocpp(model.provider):
        return _ocpp_page(visit, common)
    if needs_link(model.provider) and not await _linked(visit, model.provider or ""):
        return await show_link(visit)
    if model.onboarding_method == "serial":
        return visit.page_of(
            "serial.html",
            "connect",
            422 if error else 200,
            title="Enter the serial number",
            error=error,
            serial=serial,
            serial_max_length=SERIAL_MAX_LENGTH,
            **common,
        )
    if model.onboarding_method == "oauth":
        if not visit.deps.simulated_vendors:
            return visit.page_of(
                "no_integration.html",
                "connect",
                title=f"{model.evse_make.name} is not connected yet",
                **common,
            )
        return visit.page_of(
            "oauth.html", "connect", title=f"Sign in to {model.evse_make.name}", **common
        )
    return _ocpp_page(visit, common)


def _ocpp_page(visit: PageVisit, common: dict[str, Any]) -> PageResponse:
    return visit.page_of(
        "ocpp.html",
        "connect",
        title="Point your charger at us",
        charge_point_id=visit.session.charge_point_id(),
        **common,
    )


async def _linked(visit: PageVisit, provider: str) -> bool:
    state = await link_state(
        visit.deps.bridge, visit.session, provider, request_id=visit.request_id
    )
    return state == "linked"


async def _link_provider(visit: PageVisit) -> str | None:
    if visit.session.link_provider is not None:
        return visit.session.link_provider
    if visit.session.evse_model_uid is None:
        return None
    return (await visit.current_model()).provider


async def show_link(
    visit: PageVisit, error: str | None = None, username: str = "", status: int = 200
) -> PageResponse:
    provider = await _link_provider(visit)
    if not needs_link(provider):
        return visit.go(next_step(visit.session))
    assert provider is not None
    name = MAKE_NAMES[provider]
    return visit.page_of(
        "link.html",
        "connect",
        status if error is None else max(status, 422),
        title=f"Sign in to {name}",
        make_name=name,
        simulated=visit.deps.simulated_vendors,
        error=error,
        username=username,
    )


async def link(visit: PageVisit) -> PageResponse:
    """POST of the vendor sign-in: link the account, then continue (or return to the app)."""
    provider = await _link_provider(visit)
    if not needs_link(provider):
        return visit.go(next_step(visit.session))
    assert provider is not None
    username = visit.page.form.get("username", "")[:254]
    try:
        linked = await link_account(
            visit.deps.bridge,
            visit.session,
            provider,
            visit.page.form,
            request_id=visit.request_id,
        )
    except LinkRefused as exc:
        return await show_link(visit, str(exc), username)
    except DomainError as exc:
        retry = exc.to_problem().status >= 500
        message = (
            f"{MAKE_NAMES[provider]} is not answering right now. Nothing was saved; "
            "try again in a minute."
            if retry
            else f"{MAKE_NAMES[provider]} did not accept that username and password. "
            "Nothing was saved; check them in the app and try again."
        )
        return await show_link(visit, message, username, 503 if retry else 422)
    if visit.session.link_provider is not None:
        return await _finish_link(visit, linked)
    if visit.session.evse_uid is not None:
        record = await visit.deps.evses.find(visit.session.evse_uid)
        if record is not None:
            return await _finish(visit, record)
    return visit.go("connect")


async def _finish_link(visit: PageVisit, linked: VendorAccountLink) -> PageResponse:
    params = {"vendor_account_id": linked.uid, "provider": linked.provider}
    if visit.session.client_state is not None:
        params["state"] = visit.session.client_state
    return await visit.end(with_query(visit.session.redirect_url, params))


async def connect(visit: PageVisit) -> PageResponse:
    model = await visit.current_model()
    if model.onboarding_method == "serial" and not onboards_over_ocpp(model.provider):
        return await _connect_serial(visit, model)
    if model.onboarding_method == "ocpp" or onboards_over_ocpp(model.provider):
        return await _connect_ocpp(visit, model)
    return visit.go("connect")


async def _connect_serial(visit: PageVisit, model: EvseModel) -> PageResponse:
    serial = visit.page.form.get("serial_number", "").strip().upper()
    if not serial:
        return await show_connect(visit, "Enter the serial number.", serial)
    if len(serial) > SERIAL_MAX_LENGTH:
        return await show_connect(
            visit,
            f"A serial number has at most {SERIAL_MAX_LENGTH} characters. Check the "
            "number on the label.",
            serial[:SERIAL_MAX_LENGTH],
        )
    try:
        record, _ = await visit.deps.importer.import_serial(
            user=visit.user(),
            provider=model.provider or "",
            serial_number=serial,
            request_id=visit.request_id,
            now=visit.now,
        )
    except DomainError as exc:
        return await show_connect(visit, serial_error(exc, make=model.evse_make.name), serial)
    return await _finish(visit, record)


async def _connect_ocpp(visit: PageVisit, model: EvseModel) -> PageResponse:
    """Enrol the charger, then show its OCPP settings with the way back to the app."""
    charge_point_id = visit.session.charge_point_id()
    record = await _enrol(visit, model, charge_point_id)
    issue = IssueOcppCredentials(
        evse_uid=record.uid,
        application_uid=record.application_uid,
        charge_point_id=charge_point_id,
    )
    credentials = await visit.deps.bridge.issue_ocpp_credentials(issue, request_id=visit.request_id)
    done = await _finish(visit, record)
    if done.location is None:
        return done
    return visit.page_of(
        "ocpp_credentials.html",
        "connect",
        title="Your charger settings",
        model=model,
        credentials=credentials,
        continue_url=done.location,
        cancel_url=None,  # connected already: the way back is the continue button
    )


async def authorize(visit: PageVisit) -> PageResponse:
    """The simulated vendor consent of OAuth providers: allow links the account's charger."""
    model = await visit.current_model()
    if model.onboarding_method != "oauth" or not visit.deps.simulated_vendors:
        return visit.go("connect")
    if visit.page.form.get("decision") != "allow":
        return await visit.end_with_error(
            "access_denied", f"The user denied access to their {model.evse_make.name} account."
        )
    record = await _enrol(visit, model, f"{model.provider}-{visit.session.uid[-10:]}")
    return await _finish(visit, record)


async def _enrol(visit: PageVisit, model: EvseModel, serial: str) -> EvseRecord:
    """The session's EVSE (a reconnect), else a new one enrolled for the session's user."""
    if visit.session.evse_uid is not None:
        existing = await visit.deps.evses.find(visit.session.evse_uid)
        if existing is not None:
            return existing
    return await visit.deps.importer.enrol(
        user=visit.user(),
        model=model,
        provider=model.provider,
        serial_number=serial,
        vendor_device_id=None,
        now=visit.now,
    )


async def _finish(visit: PageVisit, record: EvseRecord) -> PageResponse:
    """Close the session and send the browser back to the application."""
    if visit.session.evse_uid is not None:
        await visit.deps.registry.announce_reconnected(record, visit.session.uid, now=visit.now)
    url = success_url(visit.session, evse_uid=record.uid, evse_id=record.evse_id)
    return await visit.end(url, evse_uid=record.uid, evse_id=record.evse_id)
