"""The hosted onboarding flow: make → model → compatibility → connect → back to the app.

Connecting a charger of a cloud vendor first links the user's own account there (the `link`
page: the vendor's sign-in form); a link-only session (`link_provider`) is just that page.
EO, Enel X and SyncEV chargers are enrolled for OCPP whatever the model's method says. Makes
with no integration get the simulated consent only when the vendor clouds are simulated.

Each browser request arrives as a `PageRequest` (the gateway proxies it); the session says
what the user picked so far, and `next_step` which page comes next. Pages are
server-rendered HTML that works without JavaScript; a POST answers with a redirect (303)
so reloading never submits twice. A link that is unknown, expired or already used gets a
clear page, never a stack trace.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pycountry
from jinja2 import Environment

from evse_contracts.auth import Principal
from evse_contracts.catalogue import (
    EVSE_MAKES_GET,
    EVSE_MAKES_LIST,
    EVSE_MODELS_GET,
    EVSE_MODELS_LIST,
    EvseModel,
    GetEvseMake,
    GetEvseModel,
    ListEvseMakes,
    ListEvseModels,
)
from evse_contracts.compatibility import (
    EVSE_COMPATIBILITY_CHECK,
    CheckEvseCompatibility,
    EvseCompatibility,
)
from evse_contracts.evses import EVSE_RECONNECTED, EvseReconnected
from evse_contracts.onboarding import OnboardingLink, PageRequest, PageResponse, StartOnboarding
from evse_contracts.pagination import MAX_LIMIT
from evse_contracts.problems import DomainError
from evse_contracts.vendor_accounts import VendorAccountLink
from evse_contracts.waitlist import EVSE_WAITLIST_JOIN, EvseWaitlistSignup, JoinEvseWaitlist
from evse_runtime.bus_client import BusClient

from .account_links import (
    MAKE_NAMES,
    LinkRefused,
    link_account,
    link_state,
    needs_link,
    onboards_over_ocpp,
)
from .endings import EndingError, error_url, form_action_source, success_url, with_query
from .errors import UnsupportedProvider, UserTokenRequired
from .importer import Importer
from .ocpp_enrolment import issue_ocpp_credentials
from .outbox import EventOutbox, outbox_entry
from .page_messages import SERIAL_MAX_LENGTH, serial_error
from .registry import EvseRecord
from .registry_store import RegistryStore
from .sessions import OnboardingSession, browser_key_hash, new_session, next_step
from .sessions_store import SessionStore
from .store import IdentityStore, User

__all__ = ["HostedFlow"]

_STEP_NUMBER = {"make": 1, "model": 2, "compatibility": 3, "connect": 4}
_POST_NEEDS = {
    "compatibility": "compatibility",
    "waitlist": "compatibility",
    "connect": "connect",
    "authorize": "connect",
}
"""The page a session must have reached before these POSTs are allowed."""


@dataclass(frozen=True)
class HostedFlow:
    identities: IdentityStore
    sessions: SessionStore
    evses: RegistryStore
    importer: Importer
    outbox: EventOutbox
    catalogue: BusClient
    templates: Environment
    public_base_url: str
    session_ttl_s: int
    simulated_vendors: bool = False

    async def handle(self, page: PageRequest, *, request_id: str, now: datetime) -> PageResponse:
        session = await self.sessions.find(page.session_uid)
        if session is None:
            return self.message(
                "Link not found",
                "This link is not valid. Go back to the app you came from and start again.",
                404,
            )
        if session.completed_at is not None:
            return self.finished(session)
        if session.expired(now):
            back = error_url(session, "session_expired", "The onboarding link expired.")
            return self.message(
                "Link expired",
                "This link has expired: links work for a few minutes only. "
                f"Go back to {session.application_name or 'the app'} and start again.",
                410,
                session=session,
                back_url=back,
            )
        bound = await self.bind_to_browser(session, page)
        if bound is None:
            return self.message(
                "Open the link in your browser",
                "This onboarding link was opened in another browser. "
                f"Go back to {session.application_name or 'the app'} and start again.",
                403,
            )
        response = await _Call(self, bound, page, request_id, now).dispatch()
        return response.model_copy(update={"form_action": form_action_source(session.redirect_url)})

    def finished(self, session: OnboardingSession) -> PageResponse:
        """A later visit to a finished session: the same way back to the app as before."""
        app = session.application_name or "the app"
        if session.evse_uid is not None:
            title = "Already connected"
            message = (
                f"This charger is connected to {app} already. If you lost its settings or "
                f"password, open {app} and choose to reconnect the charger: you get new ones."
            )
        else:
            title = "Already done"
            message = f"You have finished here already. Go back to {app} to continue."
        return self.message(title, message, 410, session=session, back_url=session.return_url)

    async def bind_to_browser(
        self, session: OnboardingSession, page: PageRequest
    ) -> OnboardingSession | None:
        """The session, bound to the browser whose first GET opened it; None for any other.

        The link is a bearer capability until then: binding it on first use means a link
        leaked or forwarded after that (logs, a lure sent to a victim) serves nobody else.
        A POST never binds: every form comes from a page the bound browser was shown.
        """
        key_hash = browser_key_hash(page.browser_key)
        if session.browser_key_hash is not None:
            return session if secrets.compare_digest(session.browser_key_hash, key_hash) else None
        if page.method != "GET":
            return None
        return await self.sessions.bind_browser(session.uid, key_hash)

    async def start(
        self, *, principal: Principal, request: StartOnboarding, request_id: str, now: datetime
    ) -> OnboardingLink:
        """A new session for the calling user, starting at the make or model they gave."""
        if principal.kind != "user" or principal.user_uid is None:
            raise UserTokenRequired()
        user = await self.identities.user(principal.user_uid)
        application = await self.identities.application(principal.application_uid)
        if user is None or application is None:
            raise UserTokenRequired()
        make_uid, model_uid = request.make_id, None
        if request.model_id is not None:
            model = await self.catalogue.request(
                EVSE_MODELS_GET, GetEvseModel(uid=request.model_id), request_id=request_id
            )
            make_uid, model_uid = model.evse_make.uid, model.uid
        elif make_uid is not None:
            await self.catalogue.request(
                EVSE_MAKES_GET, GetEvseMake(uid=make_uid), request_id=request_id
            )
        session = new_session(
            application=application,
            user=user,
            client_state=request.state,
            evse_make_uid=make_uid,
            evse_model_uid=model_uid,
            now=now,
            ttl_s=self.session_ttl_s,
        )
        await self.sessions.insert(session)
        return OnboardingLink(url=session.url(self.public_base_url), expires_at=session.expires_at)

    async def start_link(
        self, *, user: User, provider: str, state: str | None, now: datetime
    ) -> OnboardingLink:
        """A session whose only page signs the user in at `provider`, then returns to the app."""
        if not needs_link(provider):
            raise UnsupportedProvider(
                f"{provider!r} has no account to link; cloud vendors: {', '.join(MAKE_NAMES)}"
            )
        application = await self.identities.application(user.application_uid)
        if application is None:
            raise UserTokenRequired()
        session = new_session(
            application=application,
            user=user,
            client_state=state,
            now=now,
            ttl_s=self.session_ttl_s,
            link_provider=provider,
        )
        await self.sessions.insert(session)
        return OnboardingLink(url=session.url(self.public_base_url), expires_at=session.expires_at)

    def render(self, template: str, status: int = 200, **context: Any) -> PageResponse:
        context.setdefault("app_name", "")
        html = self.templates.get_template(template).render(**context)
        return PageResponse(status=status, html=html)

    def message(
        self,
        title: str,
        message: str,
        status: int = 200,
        *,
        session: OnboardingSession | None = None,
        back_url: str | None = None,
    ) -> PageResponse:
        return self.render(
            "message.html",
            status,
            title=title,
            message=message,
            app_name=session.application_name if session is not None else "",
            back_url=back_url,
        )


@dataclass
class _Call:
    """One page request against one session."""

    flow: HostedFlow
    session: OnboardingSession
    page: PageRequest
    request_id: str
    now: datetime

    @property
    def base(self) -> str:
        return f"{self.flow.public_base_url}/onboarding/{self.session.uid}"

    async def dispatch(self) -> PageResponse:
        step, method = self.page.step, self.page.method
        handlers = {
            ("", "GET"): self.resume,
            ("link", "GET"): self.show_link,
            ("link", "POST"): self.link,
            ("make", "GET"): self.show_makes,
            ("make", "POST"): self.pick_make,
            ("model", "GET"): self.show_models,
            ("model", "POST"): self.pick_model,
            ("compatibility", "GET"): self.show_compatibility,
            ("compatibility", "POST"): self.accept_compatibility,
            ("waitlist", "POST"): self.join_waitlist,
            ("connect", "GET"): self.show_connect,
            ("connect", "POST"): self.connect,
            ("authorize", "POST"): self.authorize,
            ("country", "POST"): self.pick_country,
            ("cancel", "GET"): self.cancel,
        }
        handler = handlers.get((step, method))
        if handler is None:
            return self.flow.message(
                "Page not found",
                "There is no such page. Open the link from the app again.",
                404,
                session=self.session,
            )
        needs = _POST_NEEDS.get(step) if method == "POST" else None
        if needs is not None and (back := self.ensure(needs)) is not None:
            return back
        return await handler()

    def page_of(self, template: str, step: str, status: int = 200, **context: Any) -> PageResponse:
        return self.flow.render(
            template,
            status,
            base=self.base,
            step_number=_STEP_NUMBER.get(step),
            app_name=self.session.application_name,
            **{"cancel_url": f"{self.base}/cancel", **context},
        )

    async def close(self, url: str, **changes: Any) -> bool:
        """Finish the session, remembering `url` as its way back; False if already finished."""
        closed = await self.flow.sessions.update_open(
            self.session.uid, {"completed_at": self.now, "return_url": url, **changes}
        )
        return closed is not None

    async def end(self, url: str, **changes: Any) -> PageResponse:
        """Close the session and send the browser back to the application at `url`."""
        if not await self.close(url, **changes):
            return await self.already_finished()
        return PageResponse(status=303 if self.page.method == "POST" else 302, location=url)

    async def end_with_error(self, error: EndingError, description: str) -> PageResponse:
        return await self.end(error_url(self.session, error, description))

    async def already_finished(self) -> PageResponse:
        """Another request finished this session first: offer its way back."""
        latest = await self.flow.sessions.find(self.session.uid)
        return self.flow.finished(latest or self.session)

    async def cancel(self) -> PageResponse:
        return await self.end_with_error("access_denied", "The user cancelled onboarding.")

    def go(self, step: str) -> PageResponse:
        return PageResponse(
            status=303 if self.page.method == "POST" else 302, location=f"{self.base}/{step}"
        )

    async def resume(self) -> PageResponse:
        return self.go(next_step(self.session))

    def ensure(self, step: str) -> PageResponse | None:
        """Send the browser back to an earlier page the session has not passed yet."""
        order = list(_STEP_NUMBER)
        due = next_step(self.session)
        if due in order and order.index(due) < order.index(step):
            return self.go(due)
        return None

    async def show_makes(self) -> PageResponse:
        makes = await self.flow.catalogue.request(
            EVSE_MAKES_LIST, ListEvseMakes(limit=MAX_LIMIT), request_id=self.request_id
        )
        return self.page_of(
            "make.html",
            "make",
            title="Choose your charger brand",
            makes=sorted(makes.results, key=lambda make: make.name.casefold()),
        )

    async def pick_make(self) -> PageResponse:
        make_id = self.page.form.get("evse_make_id", "")
        try:
            await self.flow.catalogue.request(
                EVSE_MAKES_GET, GetEvseMake(uid=make_id), request_id=self.request_id
            )
        except DomainError:
            return await self.show_makes()
        changes = {"evse_make_uid": make_id, "evse_model_uid": None, "support": None}
        return await self.update_then(changes, "model")

    async def show_models(self) -> PageResponse:
        if (back := self.ensure("model")) is not None:
            return back
        assert self.session.evse_make_uid is not None
        make = await self.flow.catalogue.request(
            EVSE_MAKES_GET, GetEvseMake(uid=self.session.evse_make_uid), request_id=self.request_id
        )
        models = await self.flow.catalogue.request(
            EVSE_MODELS_LIST,
            ListEvseModels(limit=MAX_LIMIT, evse_make_id=make.uid),
            request_id=self.request_id,
        )
        return self.page_of(
            "model.html", "model", title="Choose your model", make=make, models=models.results
        )

    async def pick_model(self) -> PageResponse:
        model = await self.model_or_none(self.page.form.get("evse_model_id", ""))
        if model is None or model.evse_make.uid != self.session.evse_make_uid:
            return await self.show_models()
        return await self.update_then(
            {"evse_model_uid": model.uid, "support": None}, "compatibility"
        )

    async def show_compatibility(self) -> PageResponse:
        if (back := self.ensure("compatibility")) is not None:
            return back
        model = await self.current_model()
        result = await self.compatibility(model)
        country = pycountry.countries.get(alpha_2=result.country)
        title = "Your charger works with us" if result.supported else "Not supported yet"
        return self.page_of(
            "compatibility.html",
            "compatibility",
            title=title,
            model=model,
            result=result,
            country_name=country.name if country is not None else result.country,
            countries=_COUNTRIES,
            email=self.session.user_email,
        )

    async def accept_compatibility(self) -> PageResponse:
        result = await self.compatibility(await self.current_model())
        if not result.supported:
            return self.go("compatibility")
        return await self.update_then({"support": result.support}, "connect")

    async def compatibility(self, model: EvseModel) -> EvseCompatibility:
        """The catalogue's verdict for this model where the user is: the program's country,
        else the one the user picked here, else their browser's language."""
        return await self.flow.catalogue.request(
            EVSE_COMPATIBILITY_CHECK,
            CheckEvseCompatibility(
                evse_model_id=model.uid,
                program_id=self.session.program_id,
                country=self.session.country,
                accept_language=self.page.accept_language,
            ),
            request_id=self.request_id,
        )

    async def pick_country(self) -> PageResponse:
        country = pycountry.countries.get(alpha_2=self.page.form.get("country", "")[:2].upper())
        if country is None:
            return self.go("compatibility")
        return await self.update_then(
            {"country": country.alpha_2, "support": None}, "compatibility"
        )

    async def join_waitlist(self) -> PageResponse:
        model = await self.current_model()
        try:
            joined = await self.flow.catalogue.request(
                EVSE_WAITLIST_JOIN,
                JoinEvseWaitlist(
                    signup=EvseWaitlistSignup(
                        email=self.page.form.get("email", ""),
                        evse_model_id=model.uid,
                        program_id=self.session.program_id,
                    ),
                    accept_language=self.page.accept_language,
                ),
                request_id=self.request_id,
            )
        except (DomainError, ValueError):
            return self.go("compatibility")
        back = error_url(
            self.session, "unsupported_evse", f"The {model.name} is not supported yet."
        )
        if not await self.close(back):
            return await self.already_finished()
        # A page, not a redirect: the user reads the confirmation, then goes back.
        return self.flow.message(
            "You are on the list",
            f"We will email {joined.entry.email} when the {model.name} is supported.",
            session=self.session,
            back_url=back,
        )

    async def show_connect(self, error: str | None = None, serial: str = "") -> PageResponse:
        if (back := self.ensure("connect")) is not None:
            return back
        model = await self.current_model()
        common: dict[str, Any] = {
            "model": model,
            "make": model.evse_make,
            "email": self.session.user_email,
        }
        if onboards_over_ocpp(model.provider):
            return self.ocpp_page(common)
        if needs_link(model.provider) and not await self.linked(model.provider or ""):
            return await self.show_link()
        if model.onboarding_method == "serial":
            return self.page_of(
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
            if not self.flow.simulated_vendors:
                return self.page_of(
                    "no_integration.html",
                    "connect",
                    title=f"{model.evse_make.name} is not connected yet",
                    **common,
                )
            return self.page_of(
                "oauth.html", "connect", title=f"Sign in to {model.evse_make.name}", **common
            )
        return self.ocpp_page(common)

    def ocpp_page(self, common: dict[str, Any]) -> PageResponse:
        return self.page_of(
            "ocpp.html",
            "connect",
            title="Point your charger at us",
            charge_point_id=self.charge_point_id(),
            **common,
        )

    async def linked(self, provider: str) -> bool:
        state = await link_state(
            self.flow.catalogue, self.session, provider, request_id=self.request_id
        )
        return state == "linked"

    async def link_provider(self) -> str | None:
        if self.session.link_provider is not None:
            return self.session.link_provider
        if self.session.evse_model_uid is None:
            return None
        return (await self.current_model()).provider

    async def show_link(
        self, error: str | None = None, username: str = "", status: int = 200
    ) -> PageResponse:
        provider = await self.link_provider()
        if not needs_link(provider):
            return self.go(next_step(self.session))
        assert provider is not None
        name = MAKE_NAMES[provider]
        return self.page_of(
            "link.html",
            "connect",
            status if error is None else max(status, 422),
            title=f"Sign in to {name}",
            make_name=name,
            simulated=self.flow.simulated_vendors,
            error=error,
            username=username,
        )

    async def link(self) -> PageResponse:
        """POST of the vendor sign-in: link the account, then continue (or return to the app)."""
        provider = await self.link_provider()
        if not needs_link(provider):
            return self.go(next_step(self.session))
        assert provider is not None
        username = self.page.form.get("username", "")[:254]
        try:
            linked = await link_account(
                self.flow.catalogue,
                self.session,
                provider,
                self.page.form,
                request_id=self.request_id,
            )
        except LinkRefused as exc:
            return await self.show_link(str(exc), username)
        except DomainError as exc:
            retry = exc.to_problem().status >= 500
            message = (
                f"{MAKE_NAMES[provider]} is not answering right now. Nothing was saved; "
                "try again in a minute."
                if retry
                else f"{MAKE_NAMES[provider]} did not accept that username and password. "
                "Nothing was saved; check them in the app and try again."
            )
            return await self.show_link(message, username, 503 if retry else 422)
        if self.session.link_provider is not None:
            return await self.finish_link(linked)
        if self.session.evse_uid is not None:
            record = await self.flow.evses.find(self.session.evse_uid)
            if record is not None:
                return await self.finish(record)
        return self.go("connect")

    async def finish_link(self, linked: VendorAccountLink) -> PageResponse:
        params = {"vendor_account_id": linked.uid, "provider": linked.provider}
        if self.session.client_state is not None:
            params["state"] = self.session.client_state
        return await self.end(with_query(self.session.redirect_url, params))

    def charge_point_id(self) -> str:
        return self.session.charge_point_id()

    async def connect(self) -> PageResponse:
        model = await self.current_model()
        if model.onboarding_method == "serial" and not onboards_over_ocpp(model.provider):
            serial = self.page.form.get("serial_number", "").strip().upper()
            if not serial:
                return await self.show_connect("Enter the serial number.", serial)
            if len(serial) > SERIAL_MAX_LENGTH:
                return await self.show_connect(
                    f"A serial number has at most {SERIAL_MAX_LENGTH} characters. Check the "
                    "number on the label.",
                    serial[:SERIAL_MAX_LENGTH],
                )
            try:
                record, _ = await self.flow.importer.import_serial(
                    user=self.user(),
                    provider=model.provider or "",
                    serial_number=serial,
                    request_id=self.request_id,
                    now=self.now,
                )
            except DomainError as exc:
                return await self.show_connect(serial_error(exc, make=model.evse_make.name), serial)
            return await self.finish(record)
        if model.onboarding_method == "ocpp" or onboards_over_ocpp(model.provider):
            record = await self.enrol(model, self.charge_point_id())
            credentials = await issue_ocpp_credentials(
                self.flow.catalogue, record, self.charge_point_id(), request_id=self.request_id
            )
            done = await self.finish(record)
            if done.location is None:
                return done
            return self.page_of(
                "ocpp_credentials.html",
                "connect",
                title="Your charger settings",
                model=model,
                credentials=credentials,
                continue_url=done.location,
                cancel_url=None,  # connected already: the way back is the continue button
            )
        return self.go("connect")

    async def authorize(self) -> PageResponse:
        """The simulated vendor consent of OAuth providers: allow links the account's charger."""
        model = await self.current_model()
        if model.onboarding_method != "oauth" or not self.flow.simulated_vendors:
            return self.go("connect")
        if self.page.form.get("decision") != "allow":
            return await self.end_with_error(
                "access_denied", f"The user denied access to their {model.evse_make.name} account."
            )
        return await self.finish(
            await self.enrol(model, f"{model.provider}-{self.session.uid[-10:]}")
        )

    async def enrol(self, model: EvseModel, serial: str) -> EvseRecord:
        if self.session.evse_uid is not None:
            existing = await self.flow.evses.find(self.session.evse_uid)
            if existing is not None:
                return existing
        return await self.flow.importer.enrol(
            user=self.user(),
            model=model,
            provider=model.provider,
            serial_number=serial,
            vendor_device_id=None,
            now=self.now,
        )

    async def finish(self, record: EvseRecord) -> PageResponse:
        """Close the session and send the browser back to the application."""
        if self.session.evse_uid is not None:
            event = EvseReconnected(
                evse_uid=record.uid,
                evse_id=record.evse_id,
                application_uid=record.application_uid,
                user_uid=record.user_uid,
                occurred_at=self.now,
            )
            entry = outbox_entry(f"reconnected:{self.session.uid}", EVSE_RECONNECTED, event)
            if (updated := await self.flow.evses.add_event(record.uid, entry)) is not None:
                await self.flow.outbox.flush(updated)
        url = success_url(self.session, evse_uid=record.uid, evse_id=record.evse_id)
        return await self.end(url, evse_uid=record.uid, evse_id=record.evse_id)

    async def update_then(self, changes: dict[str, Any], step: str) -> PageResponse:
        updated = await self.flow.sessions.update_open(self.session.uid, changes)
        if updated is None:
            return await self.already_finished()
        return self.go(step)

    async def model_or_none(self, uid: str) -> EvseModel | None:
        try:
            return await self.flow.catalogue.request(
                EVSE_MODELS_GET, GetEvseModel(uid=uid), request_id=self.request_id
            )
        except DomainError:
            return None

    async def current_model(self) -> EvseModel:
        assert self.session.evse_model_uid is not None
        return await self.flow.catalogue.request(
            EVSE_MODELS_GET,
            GetEvseModel(uid=self.session.evse_model_uid),
            request_id=self.request_id,
        )

    def user(self) -> User:
        return User(
            uid=self.session.user_uid,
            application_uid=self.session.application_uid,
            email=self.session.user_email,
            created_at=self.now,
        )


_COUNTRIES = sorted(((c.alpha_2, c.name) for c in pycountry.countries), key=lambda c: c[1])
