"""GraphiQL's page, with its scripts and styles served by this server (gql_server/static/graphiql,
see its README): it works without internet, and its Content-Security-Policy names no other host.

The page holds no inline script: its settings (the first query, a nonce for the styles GraphiQL
adds) travel as a JSON data block, which a browser never runs, and static/graphiql/start.js
reads them. In development the first query signs in as the demo user; elsewhere its password
is left for the user to type.
"""

from __future__ import annotations

import html
import json
import secrets
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from gql_server.security_headers import STYLE_NONCE_KEY
from gql_server.settings import Settings

STATIC_PATH = "/graphiql/static"
STATIC_DIRECTORY = Path(__file__).parent / "static" / "graphiql"

DASHBOARD = """query Dashboard {
  me { fullName }
  forecasts { horizonDays expectedInflow expectedOutflow shortfallProbability riskLevel }
  insights(first: 3) { title message }
}
"""

_PAGE = """<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="robots" content="noindex">
    <title>GraphiQL · gql-server</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="{static}/graphiql.min.css">
    <link rel="stylesheet" href="{static}/page.css">
  </head>
  <body>
    <div id="graphiql">Loading GraphiQL…</div>
    <script type="application/json" id="graphiql-config">{config}</script>
    <script src="{static}/react.production.min.js"></script>
    <script src="{static}/react-dom.production.min.js"></script>
    <script src="{static}/graphiql.min.js"></script>
    <script src="{static}/start.js"></script>
  </body>
</html>
"""


def static_routes(settings: Settings) -> list[BaseRoute]:
    """GraphiQL's files, where its page is served: everywhere but production."""
    if settings.is_production:
        return []
    return [Mount(STATIC_PATH, app=StaticFiles(directory=STATIC_DIRECTORY), name="graphiql")]


def first_query(settings: Settings) -> str:
    """The editor's first document: sign in, then a first look at the dashboard."""
    if settings.is_development:
        email, password = settings.demo_email, settings.demo_password
        who = "the demo user"
    else:
        email, password = "you@example.com", ""
        who = "you (type your email and password)"
    return (
        f"# 1. Run Login: it signs in as {who}.\n"
        "#    Its accessToken goes into the Headers tab below as\n"
        '#    {"Authorization": "Bearer <accessToken>"} (this page does it for you).\n'
        "# 2. Run Dashboard.\n"
        "mutation Login {\n"
        f"  login(email: {json.dumps(email)}, password: {json.dumps(password)}) {{ accessToken }}\n"
        "}\n\n" + DASHBOARD
    )


def _json_for_html(value: object) -> str:
    """JSON that cannot end its <script> element or open a comment inside it."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def graphiql_page(request: Request, settings: Settings) -> HTMLResponse:
    static = html.escape(request.scope.get("root_path", "") + STATIC_PATH, quote=True)
    # A fresh nonce per page, for the <style> elements GraphiQL adds (through webpack's
    # __webpack_nonce__, which its bundle reads); the policy names it (security_headers.py).
    nonce = secrets.token_urlsafe(18)
    request.scope[STYLE_NONCE_KEY] = nonce
    config = {"query": first_query(settings), "styleNonce": nonce}
    return HTMLResponse(_PAGE.format(static=static, config=_json_for_html(config)))
