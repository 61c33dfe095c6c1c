"""Rendering the hosted pages: the Jinja2 templates (HTML autoescaped) and the message pages.

Pages are server-rendered HTML that works without JavaScript. A link that is unknown,
expired or already used gets a clear message page, never a stack trace.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from evse_contracts.onboarding import PageResponse

from .sessions import OnboardingSession

__all__ = ["PageRenderer", "page_templates"]


def page_templates() -> Environment:
    return Environment(
        loader=PackageLoader("evse_onboarding", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
    )


@dataclass(frozen=True)
class PageRenderer:
    templates: Environment

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
