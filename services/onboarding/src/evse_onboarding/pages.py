"""The Jinja2 templates of the hosted onboarding pages (HTML autoescaped)."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

__all__ = ["page_templates"]


def page_templates() -> Environment:
    return Environment(
        loader=PackageLoader("evse_onboarding", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
    )
