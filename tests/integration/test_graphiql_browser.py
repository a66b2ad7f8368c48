"""GraphiQL in a real browser, without internet: Debian's chromium (headless, driven through
chromedriver by Selenium) opens /graphql of a real `gql-server serve` in development. The
editor renders with the demo user's login and a first dashboard query filled in; running the
login puts its token in the Headers tab and the dashboard then runs as the demo user; every
resource the page loaded came from the server, and the page broke none of its
Content-Security-Policy. Beside it, without a browser: the page's policy and files, and the
demo password only in development.

The browser resolves no host name but 127.0.0.1, so a script or style still fetched from a CDN
fails to load (and this test with it) even on a machine with internet.

Selenium rather than Playwright: it drives the chromedriver that Debian builds with its chromium
(`Service("/usr/bin/chromedriver")`, so Selenium Manager neither looks for nor downloads a
driver), always of the browser's own version; Playwright speaks to its own pinned builds and
makes no promise for a distribution's chromium. `.ci/run` installs both packages; without
them this test fails, saying how to install them, rather than skipping.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from gql_server.app import create_app
from gql_server.settings import Settings
from tests.live_server import Server

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
TIMEOUT_S = 30
RECLICK_S = 3  # a menu not open this long after a click on the run button never will be
QUERY_EDITOR = ".graphiql-container .graphiql-query-editor .CodeMirror"
EDITOR_TOOLS = ".graphiql-editor-tool .CodeMirror"  # the variables and headers editors
RESPONSE = ".graphiql-response .CodeMirror"

# Before any of the page's scripts: count what its Content-Security-Policy blocks.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.effectiveDirective} ${event.blockedURI}`);
});
"""


def _editor_text(browser: WebDriver, selector: str) -> str:
    """What the CodeMirror editors under `selector` hold, one after the other."""
    text = browser.execute_script(
        "return [...document.querySelectorAll(arguments[0])]"
        ".map((e) => e.CodeMirror.getValue()).join('\\n')",
        selector,
    )
    return str(text)


def _wait_for(browser: WebDriver, what: str, condition: Callable[[WebDriver], Any]) -> Any:
    """`condition`'s first truthy answer; on a timeout, a failure that says what the page saw."""
    try:
        # GraphiQL re-renders as it goes: an element found a moment ago may be gone by the
        # time it is read or clicked, and is simply looked for again.
        return WebDriverWait(
            browser, TIMEOUT_S, ignored_exceptions=(StaleElementReferenceException,)
        ).until(condition)
    except TimeoutException:
        pytest.fail(
            f"GraphiQL: no {what} after {TIMEOUT_S} s; "
            f"policy violations: {browser.execute_script('return window.cspViolations')}; "
            f"console: {[entry['message'] for entry in browser.get_log('browser')]}"
        )


def _run(browser: WebDriver, operation: str) -> None:
    """Run one operation of a document holding several: GraphiQL asks which, in a menu."""
    last_click = float("-inf")

    def chosen(b: WebDriver) -> bool:
        nonlocal last_click
        items = b.find_elements(By.CSS_SELECTOR, "[role=menuitem]")
        for element in items:
            if element.text == operation:
                element.click()
                return True
        # Found and clicked in one try, and clicked again while no menu shows: GraphiQL
        # re-renders its toolbar (after the schema arrives, after the login's answer fills the
        # headers), and a click on a button being replaced opens no menu (CI once waited 30 s
        # for a menu that one click had never opened).
        if not items and time.monotonic() - last_click >= RECLICK_S:
            b.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()
            last_click = time.monotonic()
        return False

    _wait_for(browser, f"menu item {operation}", chosen)


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.is_file()]
    if missing:
        pytest.fail(
            f"GraphiQL's browser test needs {' and '.join(missing)}: "
            "apt-get install -y chromium chromium-driver (.ci/run installs them)"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root, where chromium's sandbox cannot start
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        # No internet for the page: every host name but the server's fails to resolve.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--window-size=1400,900",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        driver.execute_cdp_cmd(
            "Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_VIOLATIONS}
        )
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("graphiql")
    server = Server(f"sqlite://{workdir / 'graphiql.sqlite3'}", workdir, APP_ENV="development")
    demo = Settings()
    # The demo account (as `serve --demo` makes it, without its generated history).
    server.post(
        "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }",
        {"i": {"email": demo.demo_email, "password": demo.demo_password, "fullName": "Demo"}},
    )
    try:
        yield server
    finally:
        server.stop()


def test_graphiql_runs_offline_with_the_demo_login_filled_in(
    browser: WebDriver, server: Server
) -> None:
    demo = Settings()
    browser.get(f"{server.url}/graphql")
    _wait_for(browser, "query editor", lambda b: "query Dashboard" in _editor_text(b, QUERY_EDITOR))

    query = _editor_text(browser, QUERY_EDITOR)
    assert f'login(email: "{demo.demo_email}", password: "{demo.demo_password}")' in query
    assert "forecasts { horizonDays expectedInflow" in query
    assert "Authorization" in query  # the hint for the Headers tab

    _run(browser, "Login")
    _wait_for(
        browser, "token in the headers", lambda b: "Bearer ey" in _editor_text(b, EDITOR_TOOLS)
    )
    _run(browser, "Dashboard")
    _wait_for(browser, "dashboard", lambda b: '"fullName": "Demo"' in _editor_text(b, RESPONSE))

    resources: list[Any] = browser.execute_script(
        "return performance.getEntriesByType('resource').map((e) => e.name)"
    )
    assert resources, "the page loaded no resources: did it render from a cache?"
    elsewhere = [name for name in resources if not name.startswith(f"{server.url}/")]
    assert elsewhere == [], f"resources from another origin: {elsewhere}"
    assert any(name.endswith("/graphiql/static/graphiql.min.js") for name in resources)
    assert browser.execute_script("return window.cspViolations") == []
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == [], errors


# --- Without a browser: the page, its policy and its files ---------------------------------


def _client(app_env: str) -> httpx.AsyncClient:
    # Neither the page nor its files touch the database: no lifespan is needed.
    settings = Settings(app_env=app_env, jwt_secret="g" * 48, database_url="sqlite://:memory:")
    transport = httpx.ASGITransport(app=create_app(settings))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def _page_config(page: httpx.Response) -> dict[str, Any]:
    found = re.search(
        r'<script type="application/json" id="graphiql-config">(.*?)</script>', page.text
    )
    assert found, page.text
    config: dict[str, Any] = json.loads(found.group(1))
    return config


async def test_graphiql_loads_only_this_servers_files_under_a_strict_policy() -> None:
    async with _client("development") as client:
        html = {"accept": "text/html"}
        page = await client.get("/graphql", headers=html)
        again = await client.get("/graphql", headers=html)
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        served = [await client.get(asset) for asset in assets if asset != "data:,"]
    policy = page.headers["content-security-policy"]
    nonce = _page_config(page)["styleNonce"]
    assert f"style-src 'self' 'nonce-{nonce}';" in policy
    assert "script-src 'self';" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert "http" not in policy  # no host but this one
    assert _page_config(again)["styleNonce"] != nonce  # a nonce is good for one page
    assert "<script>" not in page.text  # no inline script for the policy to allow
    assert all(asset.startswith("/graphiql/static/") for asset in assets if asset != "data:,")
    assert len(served) == 6
    assert all(response.status_code == 200 for response in served)


@pytest.mark.parametrize("app_env", ["development", "test"])
async def test_only_development_fills_in_the_demo_password(app_env: str) -> None:
    demo = Settings()
    async with _client(app_env) as client:
        page = await client.get("/graphql", headers={"accept": "text/html"})
    query = _page_config(page)["query"]
    assert "query Dashboard" in query
    assert (demo.demo_password in page.text) is (app_env == "development")
    assert (f'"{demo.demo_email}"' in query) is (app_env == "development")


async def test_production_serves_neither_graphiql_nor_its_files() -> None:
    async with _client("production") as client:
        page = await client.get("/graphql", headers={"accept": "text/html"})
        script = await client.get("/graphiql/static/graphiql.min.js")
    assert page.status_code == 404
    assert script.status_code == 404
