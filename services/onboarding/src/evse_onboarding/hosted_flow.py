"""The hosted onboarding flow's entry: start a session, and answer one browser request.

Each browser request arrives as a `PageRequest` (the gateway proxies it). Before any page
runs, the session must exist, be open and unexpired, and belong to this browser (bound on
its first GET). The page is then looked up by step and method: the pure step rules are in
`onboarding_flow`, the pages in `choice_pages` and `connect_pages`.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from evse_contracts.onboarding import OnboardingLink, PageRequest, PageResponse, StartOnboarding

from . import choice_pages, connect_pages
from .account_links import MAKE_NAMES, needs_link
from .endings import error_url, form_action_source
from .errors import UnsupportedProvider, UserTokenRequired
from .identity import Application, User
from .identity_store import IdentityStore
from .onboarding_flow import needed_before_post
from .page_visit import PageDeps, PageVisit
from .sessions import OnboardingSession, browser_key_hash, new_session

__all__ = ["HostedFlow"]

_Page = Callable[[PageVisit], Awaitable[PageResponse]]

_PAGES: dict[tuple[str, str], _Page] = {
    ("", "GET"): PageVisit.resume,
    ("link", "GET"): connect_pages.show_link,
    ("link", "POST"): connect_pages.link,
    ("make", "GET"): choice_pages.show_makes,
    ("make", "POST"): choice_pages.pick_make,
    ("model", "GET"): choice_pages.show_models,
    ("model", "POST"): choice_pages.pick_model,
    ("compatibility", "GET"): choice_pages.show_compatibility,
    ("compatibility", "POST"): choice_pages.accept_compatibility,
    ("waitlist", "POST"): choice_pages.join_waitlist,
    ("connect", "GET"): connect_pages.show_connect,
    ("connect", "POST"): connect_pages.connect,
    ("authorize", "POST"): connect_pages.authorize,
    ("country", "POST"): choice_pages.pick_country,
    ("cancel", "GET"): PageVisit.cancel,
}


@dataclass(frozen=True)
class HostedFlow:
    identities: IdentityStore
    pages: PageDeps
    session_ttl_s: int

    async def handle(self, page: PageRequest, *, request_id: str, now: datetime) -> PageResponse:
        renderer = self.pages.renderer
        session = await self.pages.sessions.find(page.session_uid)
        if session is None:
            return renderer.message(
                "Link not found",
                "This link is not valid. Go back to the app you came from and start again.",
                404,
            )
        if session.completed_at is not None:
            return renderer.finished(session)
        if session.expired(now):
            back = error_url(session, "session_expired", "The onboarding link expired.")
            return renderer.message(
                "Link expired",
                "This link has expired: links work for a few minutes only. "
                f"Go back to {session.application_name or 'the app'} and start again.",
                410,
                session=session,
                back_url=back,
            )
        bound = await self.bind_to_browser(session, page)
        if bound is None:
            return renderer.message(
                "Open the link in your browser",
                "This onboarding link was opened in another browser. "
                f"Go back to {session.application_name or 'the app'} and start again.",
                403,
            )
        response = await _dispatch(PageVisit(self.pages, bound, page, request_id, now))
        return response.model_copy(update={"form_action": form_action_source(session.redirect_url)})

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
        return await self.pages.sessions.bind_browser(session.uid, key_hash)

    async def start(
        self, *, user: User, request: StartOnboarding, request_id: str, now: datetime
    ) -> OnboardingLink:
        """A new session for `user`, starting at the make or model they gave."""
        application = await self._application_of(user)
        make_uid, model_uid = request.make_id, None
        catalogue = self.pages.catalogue
        if request.model_id is not None:
            model = await catalogue.model(request.model_id, request_id=request_id)
            make_uid, model_uid = model.evse_make.uid, model.uid
        elif make_uid is not None:
            await catalogue.make(make_uid, request_id=request_id)
        session = new_session(
            application=application,
            user=user,
            client_state=request.state,
            evse_make_uid=make_uid,
            evse_model_uid=model_uid,
            now=now,
            ttl_s=self.session_ttl_s,
        )
        return await self._open(session)

    async def start_link(
        self, *, user: User, provider: str, state: str | None, now: datetime
    ) -> OnboardingLink:
        """A session whose only page signs the user in at `provider`, then returns to the app."""
        if not needs_link(provider):
            raise UnsupportedProvider(
                f"{provider!r} has no account to link; cloud vendors: {', '.join(MAKE_NAMES)}"
            )
        session = new_session(
            application=await self._application_of(user),
            user=user,
            client_state=state,
            now=now,
            ttl_s=self.session_ttl_s,
            link_provider=provider,
        )
        return await self._open(session)

    async def _application_of(self, user: User) -> Application:
        application = await self.identities.application(user.application_uid)
        if application is None:
            raise UserTokenRequired()
        return application

    async def _open(self, session: OnboardingSession) -> OnboardingLink:
        await self.pages.sessions.insert(session)
        url = session.url(self.pages.public_base_url)
        return OnboardingLink(url=url, expires_at=session.expires_at)


async def _dispatch(visit: PageVisit) -> PageResponse:
    step, method = visit.page.step, visit.page.method
    page = _PAGES.get((step, method))
    if page is None:
        return visit.message(
            "Page not found", "There is no such page. Open the link from the app again.", 404
        )
    needs = needed_before_post(step, method)
    if needs is not None and (back := visit.ensure(needs)) is not None:
        return back
    return await page(visit)
