"""Headers every response carries: nothing cached, nothing sniffed, nothing framed.

Responses carry tokens and personal data, so no cache (browser or proxy) may keep them. The
API's JSON needs no content policy beyond "load nothing"; GraphiQL, the one HTML page, loads
its scripts and styles from this server only (gql_server/static/graphiql, no inline script: its
settings are a JSON block that start.js reads), its fonts and icons from data: URLs in its CSS,
and talks back only to this origin.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# Where GraphiQL's page (gql_server/graphiql_page.py) leaves the nonce it gave GraphiQL for the
# <style> elements that its menus and dialogs add while open (Radix's scroll lock).
STYLE_NONCE_KEY = "gql_server.style_nonce"


def graphiql_policy(style_nonce: str | None = None) -> str:
    styles = f"'self' 'nonce-{style_nonce}'" if style_nonce else "'self'"
    return (
        f"default-src 'none'; script-src 'self'; style-src {styles}; img-src 'self' data:; "
        "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
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
                headers["content-security-policy"] = (
                    graphiql_policy(scope.get(STYLE_NONCE_KEY)) if html else API_POLICY
                )
            await send(message)

        await self.app(scope, receive, send_with_headers)
