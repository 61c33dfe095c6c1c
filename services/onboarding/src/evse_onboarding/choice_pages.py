"""The pages where the user picks their charger: make, model, compatibility, country, waitlist.

Each GET shows a step, each POST records the choice in the session and redirects to the next
one. A choice the catalogue does not know shows the same step again.
"""

from __future__ import annotations

import pycountry

from evse_contracts.catalogue import EvseModel
from evse_contracts.compatibility import CheckEvseCompatibility, EvseCompatibility
from evse_contracts.onboarding import PageResponse
from evse_contracts.problems import DomainError
from evse_contracts.waitlist import EvseWaitlistSignup, JoinEvseWaitlist

from .endings import error_url
from .page_visit import PageVisit

__all__ = [
    "accept_compatibility",
    "join_waitlist",
    "pick_country",
    "pick_make",
    "pick_model",
    "show_compatibility",
    "show_makes",
    "show_models",
]


async def show_makes(visit: PageVisit) -> PageResponse:
    makes = await visit.deps.catalogue.makes(request_id=visit.request_id)
    return visit.page_of(
        "make.html",
        "make",
        title="Choose your charger brand",
        makes=sorted(makes, key=lambda make: make.name.casefold()),
    )


async def pick_make(visit: PageVisit) -> PageResponse:
    make_id = visit.page.form.get("evse_make_id", "")
    try:
        await visit.deps.catalogue.make(make_id, request_id=visit.request_id)
    except DomainError:
        return await show_makes(visit)
    changes = {"evse_make_uid": make_id, "evse_model_uid": None, "support": None}
    return await visit.update_then(changes, "model")


async def show_models(visit: PageVisit) -> PageResponse:
    if (back := visit.ensure("model")) is not None:
        return back
    assert visit.session.evse_make_uid is not None
    catalogue = visit.deps.catalogue
    make = await catalogue.make(visit.session.evse_make_uid, request_id=visit.request_id)
    models = await catalogue.models(request_id=visit.request_id, evse_make_id=make.uid)
    return visit.page_of("model.html", "model", title="Choose your model", make=make, models=models)


async def pick_model(visit: PageVisit) -> PageResponse:
    model = await visit.model_or_none(visit.page.form.get("evse_model_id", ""))
    if model is None or model.evse_make.uid != visit.session.evse_make_uid:
        return await show_models(visit)
    return await visit.update_then({"evse_model_uid": model.uid, "support": None}, "compatibility")


async def show_compatibility(visit: PageVisit) -> PageResponse:
    if (back := visit.ensure("compatibility")) is not None:
        return back
    model = await visit.current_model()
    result = await _compatibility(visit, model)
    country = pycountry.countries.get(alpha_2=result.country)
    title = "Your charger works with us" if result.supported else "Not supported yet"
    return visit.page_of(
        "compatibility.html",
        "compatibility",
        title=title,
        model=model,
        result=result,
        country_name=country.name if country is not None else result.country,
        countries=_COUNTRIES,
        email=visit.session.user_email,
    )


async def accept_compatibility(visit: PageVisit) -> PageResponse:
    result = await _compatibility(visit, await visit.current_model())
    if not result.supported:
        return visit.go("compatibility")
    return await visit.update_then({"support": result.support}, "connect")


async def _compatibility(visit: PageVisit, model: EvseModel) -> EvseCompatibility:
    """The catalogue's verdict for this model where the user is: the program's country,
    else the one the user picked here, else their browser's language."""
    check = CheckEvseCompatibility(
        evse_model_id=model.uid,
        program_id=visit.session.program_id,
        country=visit.session.country,
        accept_language=visit.page.accept_language,
    )
    return await visit.deps.catalogue.compatibility(check, request_id=visit.request_id)


async def pick_country(visit: PageVisit) -> PageResponse:
    country = pycountry.countries.get(alpha_2=visit.page.form.get("country", "")[:2].upper())
    if country is None:
        return visit.go("compatibility")
    return await visit.update_then({"country": country.alpha_2, "support": None}, "compatibility")


async def join_waitlist(visit: PageVisit) -> PageResponse:
    model = await visit.current_model()
    try:
        join = JoinEvseWaitlist(
            signup=EvseWaitlistSignup(
                email=visit.page.form.get("email", ""),
                evse_model_id=model.uid,
                program_id=visit.session.program_id,
            ),
            accept_language=visit.page.accept_language,
        )
        joined = await visit.deps.catalogue.join_waitlist(join, request_id=visit.request_id)
    except (DomainError, ValueError):
        return visit.go("compatibility")
    back = error_url(visit.session, "unsupported_evse", f"The {model.name} is not supported yet.")
    if not await visit.close(back):
        return await visit.already_finished()
    # A page, not a redirect: the user reads the confirmation, then goes back.
    return visit.message(
        "You are on the list",
        f"We will email {joined.entry.email} when the {model.name} is supported.",
        back_url=back,
    )


_COUNTRIES = sorted(((c.alpha_2, c.name) for c in pycountry.countries), key=lambda c: c[1])
