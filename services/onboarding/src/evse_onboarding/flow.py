"""The hosted onboarding flow: make → model → compatibility → connect → back to the app.

Each browser request arrives as a `PageRequest` (the gateway proxies it); the session says
what the user picked so far, and `next_step` which page comes next. Pages are
server-rendered HTML that works without JavaScript; a POST answers with a redirect (303)
so reloading never submits twice. A link that is unknown, expired or already used gets a
clear page, never a stack trace.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

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
from evse_contracts.waitlist import EVSE_WAITLIST_JOIN, EvseWaitlistSignup, JoinEvseWaitlist
from evse_runtime.bus_client import BusClient

from .errors import OnboardingStartsLimited, UserTokenRequired
from .importer import Importer
from .ocpp_enrolment import issue_ocpp_credentials
from .outbox import EventOutbox, outbox_entry
from .registry import EvseRecord
from .registry_store import RegistryStore
from .sessions import OnboardingSession, browser_key_hash, new_session, next_step
from .sessions_store import SessionStore
from .store import IdentityStore, User

__all__ = ["HostedFlow"]

_STEP_NUMBER = {"make": 1, "model": 2, "compatibility": 3, "connect": 4}
_POST_NEEDS = {
    "model": "model",
    "compatibility": "compatibility",
    "waitlist": "compatibility",
    "connect": "connect",
    "authorize": "connect",
}
"""The page a session must have reached before each POST is allowed."""


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
    session_starts_per_hour: int

    async def handle(self, page: PageRequest, *, request_id: str, now: datetime) -> PageResponse:
        session = await self.sessions.find(page.session_uid)
        if session is None:
            return self._message("Link not found", "This onboarding link is not valid.", 404)
        if session.completed_at is not None:
            return self._message(
                "Already connected",
                "This charger is connected already. You can close this page.",
                410,
            )
        if session.expired(now):
            return self._message(
                "Link expired", "This link has expired. Go back to the app and start again.", 410
            )
        if session.opened_by(page.browser_key):
            return await _Call(self, session, page, request_id, now).dispatch()
        if session.browser_key_hash is not None or page.method == "POST":
            return self._message(
                "Open this link from your app",
                "This onboarding link was opened in another browser. "
                "Go back to the app and start again.",
                403,
            )
        # The first browser to open the link owns it from now on.
        browser_key = page.browser_key or secrets.token_urlsafe(32)
        bound = await self.sessions.bind(session.uid, browser_key_hash(browser_key))
        if bound is None:
            return await self.handle(page, request_id=request_id, now=now)
        response = await _Call(self, bound, page, request_id, now).dispatch()
        return response.model_copy(update={"browser_key": browser_key})

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
        started = await self.sessions.count_started(user.uid, now - timedelta(hours=1))
        if started >= self.session_starts_per_hour:
            raise OnboardingStartsLimited(self.session_starts_per_hour)
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
            application_uid=application.uid,
            user_uid=user.uid,
            user_email=user.email,
            redirect_url=application.onboarding_redirect_url,
            program_id=application.program_id,
            client_state=request.state,
            evse_make_uid=make_uid,
            evse_model_uid=model_uid,
            now=now,
            ttl_s=self.session_ttl_s,
        )
        await self.sessions.insert(session)
        return OnboardingLink(url=session.url(self.public_base_url), expires_at=session.expires_at)

    def render(self, template: str, status: int = 200, **context: Any) -> PageResponse:
        html = self.templates.get_template(template).render(**context)
        return PageResponse(status=status, html=html)

    def _message(self, title: str, message: str, status: int) -> PageResponse:
        return self.render("message.html", status, title=title, message=message)

    def already_used(self) -> PageResponse:
        return self._message(
            "Already connected", "This link was used already. You can close this page.", 410
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
        }
        handler = handlers.get((step, method))
        if handler is None:
            return self.flow.render(
                "message.html", 404, title="Page not found", message="There is no such page."
            )
        if method == "POST" and (back := self.ensure(_POST_NEEDS.get(step, "make"))) is not None:
            return back
        return await handler()

    def page_of(self, template: str, step: str, status: int = 200, **context: Any) -> PageResponse:
        return self.flow.render(
            template, status, base=self.base, step_number=_STEP_NUMBER.get(step), **context
        )

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
            "make.html", "make", title="Choose your charger brand", makes=makes.results
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
            email=self.session.user_email,
        )

    async def accept_compatibility(self) -> PageResponse:
        result = await self.compatibility(await self.current_model())
        if not result.supported:
            return self.go("compatibility")
        return await self.update_then({"support": result.support}, "connect")

    async def compatibility(self, model: EvseModel) -> EvseCompatibility:
        """The catalogue's verdict for this model where the user is (or the program's country)."""
        return await self.flow.catalogue.request(
            EVSE_COMPATIBILITY_CHECK,
            CheckEvseCompatibility(
                evse_model_id=model.uid,
                program_id=self.session.program_id,
                accept_language=self.page.accept_language,
            ),
            request_id=self.request_id,
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
        return self.flow.render(
            "message.html",
            title="You are on the list",
            message=f"We will email {joined.entry.email} when the {model.name} is supported.",
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
        if model.onboarding_method == "serial":
            return self.page_of(
                "serial.html",
                "connect",
                422 if error else 200,
                title="Enter the serial number",
                error=error,
                serial=serial,
                **common,
            )
        if model.onboarding_method == "oauth":
            return self.page_of(
                "oauth.html", "connect", title=f"Sign in to {model.evse_make.name}", **common
            )
        return self.page_of(
            "ocpp.html",
            "connect",
            title="Point your charger at us",
            charge_point_id=self.charge_point_id(),
            **common,
        )

    def charge_point_id(self) -> str:
        """Stable per session, but shows nothing of the session uid (a capability)."""
        return f"CP-{_digest_id(self.session.uid)}"

    async def connect(self) -> PageResponse:
        model = await self.current_model()
        if model.onboarding_method == "serial":
            serial = self.page.form.get("serial_number", "").strip().upper()
            if not serial:
                return await self.show_connect("Enter the serial number.", serial)
            try:
                record, _ = await self.flow.importer.import_serial(
                    user=self.user(),
                    provider=model.provider or "",
                    serial_number=serial,
                    request_id=self.request_id,
                    now=self.now,
                )
            except DomainError as exc:
                return await self.show_connect(exc.detail, serial)
            return await self.finish(record)
        if model.onboarding_method == "ocpp":
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
            )
        return self.go("connect")

    async def authorize(self) -> PageResponse:
        """The simulated vendor consent of OAuth providers: allow links the account's charger."""
        model = await self.current_model()
        if model.onboarding_method != "oauth":
            return self.go("connect")
        if self.page.form.get("decision") != "allow":
            return self.flow.render(
                "message.html",
                title="Not connected",
                message=f"You did not allow access to your {model.evse_make.name} account. "
                "Go back to the app to try again.",
            )
        return await self.finish(
            await self.enrol(model, f"{model.provider}-{_digest_id(self.session.uid)}")
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
        closed = await self.flow.sessions.update_open(
            self.session.uid,
            {"completed_at": self.now, "evse_uid": record.uid, "evse_id": record.evse_id},
        )
        if closed is None:
            return self.flow.render(
                "message.html",
                410,
                title="Already connected",
                message="This link was used already.",
            )
        params = {"evse_uid": record.uid, "evse_id": str(record.evse_id)}
        if self.session.client_state is not None:
            params["state"] = self.session.client_state
        return PageResponse(status=303, location=_with_query(self.session.redirect_url, params))

    async def update_then(self, changes: dict[str, Any], step: str) -> PageResponse:
        updated = await self.flow.sessions.update_open(self.session.uid, changes)
        if updated is None:
            return self.flow.render(
                "message.html",
                410,
                title="Already connected",
                message="This link was used already.",
            )
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


def _digest_id(secret: str) -> str:
    """Ten upper-case characters derived one-way from `secret`."""
    digest = hashlib.sha256(secret.encode()).digest()
    return base64.b32encode(digest).decode()[:10]


def _with_query(url: str, params: dict[str, str]) -> str:
    """`url` with `params` added to whatever query it has already."""
    parts = urlsplit(url)
    query = f"{parts.query}&{urlencode(params)}" if parts.query else urlencode(params)
    return urlunsplit(parts._replace(query=query))
