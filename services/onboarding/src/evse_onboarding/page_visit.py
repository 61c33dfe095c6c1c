"""One browser request against one hosted session (`PageVisit`), and what its pages may use.

The pages themselves are functions of a visit (`choice_pages`, `connect_pages`). A POST
answers with a redirect (303) so reloading never submits twice; a GET that only moves the
browser on answers 302.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from evse_contracts.catalogue import EvseModel
from evse_contracts.onboarding import PageRequest, PageResponse
from evse_contracts.problems import DomainError

from .bridge_port import VendorBridge
from .catalogue_port import CatalogueReader
from .endings import EndingError, error_url
from .identity import User
from .importer import Importer
from .onboarding_flow import STEP_NUMBER, next_step, step_due
from .pages import PageRenderer
from .registry import Registry
from .registry_store import RegistryStore
from .sessions import OnboardingSession
from .sessions_store import SessionStore

__all__ = ["PageDeps", "PageVisit"]


@dataclass(frozen=True)
class PageDeps:
    """What the hosted pages use, the same for every visit."""

    sessions: SessionStore
    evses: RegistryStore
    registry: Registry
    importer: Importer
    catalogue: CatalogueReader
    bridge: VendorBridge
    renderer: PageRenderer
    public_base_url: str
    simulated_vendors: bool = False


@dataclass
class PageVisit:
    """One page request against one session."""

    deps: PageDeps
    session: OnboardingSession
    page: PageRequest
    request_id: str
    now: datetime

    @property
    def base(self) -> str:
        return f"{self.deps.public_base_url}/onboarding/{self.session.uid}"

    def page_of(self, template: str, step: str, status: int = 200, **context: Any) -> PageResponse:
        return self.deps.renderer.render(
            template,
            status,
            base=self.base,
            step_number=STEP_NUMBER.get(step),
            app_name=self.session.application_name,
            **{"cancel_url": f"{self.base}/cancel", **context},
        )

    def message(self, title: str, message: str, status: int = 200, **kw: Any) -> PageResponse:
        return self.deps.renderer.message(title, message, status, session=self.session, **kw)

    def go(self, step: str) -> PageResponse:
        return PageResponse(
            status=303 if self.page.method == "POST" else 302, location=f"{self.base}/{step}"
        )

    def ensure(self, step: str) -> PageResponse | None:
        """Send the browser back to an earlier page the session has not passed yet."""
        due = step_due(self.session, step)
        return None if due is None else self.go(due)

    async def resume(self) -> PageResponse:
        return self.go(next_step(self.session))

    async def close(self, url: str, **changes: Any) -> bool:
        """Finish the session, remembering `url` as its way back; False if already finished."""
        closed = await self.deps.sessions.update_open(
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

    async def cancel(self) -> PageResponse:
        return await self.end_with_error("access_denied", "The user cancelled onboarding.")

    async def already_finished(self) -> PageResponse:
        """Another request finished this session first: offer its way back."""
        latest = await self.deps.sessions.find(self.session.uid)
        return self.deps.renderer.finished(latest or self.session)

    async def update_then(self, changes: dict[str, Any], step: str) -> PageResponse:
        updated = await self.deps.sessions.update_open(self.session.uid, changes)
        if updated is None:
            return await self.already_finished()
        return self.go(step)

    async def model_or_none(self, uid: str) -> EvseModel | None:
        try:
            return await self.deps.catalogue.model(uid, request_id=self.request_id)
        except DomainError:
            return None

    async def current_model(self) -> EvseModel:
        assert self.session.evse_model_uid is not None
        return await self.deps.catalogue.model(
            self.session.evse_model_uid, request_id=self.request_id
        )

    def user(self) -> User:
        return User(
            uid=self.session.user_uid,
            application_uid=self.session.application_uid,
            email=self.session.user_email,
            created_at=self.now,
        )
