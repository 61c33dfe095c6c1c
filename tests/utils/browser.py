"""Make an httpx client send `Secure` cookies to http://127.0.0.1 as browsers do.

Browsers treat loopback as a secure context, so the hosted pages' `__Host-` cookie works
on the dev stack; httpx sends `Secure` cookies only over https.
"""

from __future__ import annotations

from http.cookiejar import DefaultCookiePolicy

import httpx

__all__ = ["like_a_browser"]

_LOOPBACK_IS_SECURE = DefaultCookiePolicy(secure_protocols=("https", "wss", "http"))


def like_a_browser(client: httpx.AsyncClient) -> httpx.AsyncClient:
    async def send_cookies(request: httpx.Request) -> None:
        cookies = httpx.Cookies()
        cookies.jar.set_policy(_LOOPBACK_IS_SECURE)
        for cookie in client.cookies.jar:
            cookies.jar.set_cookie(cookie)
        request.headers.pop("cookie", None)
        cookies.set_cookie_header(request)

    client.event_hooks["request"].append(send_cookies)
    return client
