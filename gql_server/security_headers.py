"""Headers every response carries: nothing cached, nothing sniffed, nothing framed.

Responses carry tokens and personal data, so no cache (browser or proxy) may keep them. The
API's JSON needs no content policy beyond "load nothing"; GraphiQL, the one HTML page, loads
its scripts and styles from unpkg.com and runs an inline bootstrap script, and talks back only
to this origin.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
GRAPHIQL_POLICY = (
    "default-src 'none'; script-src 'unsafe-inline' https://unpkg.com; "
    "style-src 'unsafe-inline' https://unpkg.com; img-src 'self' data: https://unpkg.com; "
    "font-src data: https://unpkg.com; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                html = headers.get("content-type", "").startswith("text/html")
                headers["cache-control"] = "no-store"
                headers["x-content-type-options"] = "nosniff"
                headers["referrer-policy"] = "no-referrer"
                headers["content-security-policy"] = GRAPHIQL_POLICY if html else API_POLICY
            await send(message)

        await self.app(scope, receive, send_with_headers)
