"""`evse-gateway` serves the HTTP API with uvicorn."""

from __future__ import annotations

import uvicorn

from evse_runtime.logging import configure_logging

from .app import create_app
from .settings import GatewaySettings


def main() -> None:
    settings = GatewaySettings()
    configure_logging("gateway", settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        proxy_headers=False,  # the rate limiter reads X-Forwarded-For from trusted proxies only
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()
