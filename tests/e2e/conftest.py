"""End-to-end fixtures: a demo warehouse built once, the dashboard served by `streamlit run`, and
Debian's Chromium driven by Playwright.

The browser is the system one (`apt-get install chromium`, /usr/bin/chromium); Playwright's own
browser download is never used. Screenshots land in tests/artifacts/ (git-ignored).
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = os.environ.get("PMO_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
DEMO_END_MONTH = "2026-10"
HEALTH_TIMEOUT_S = 60
# One script run of a page, worst case: a bound that tells a hang from a slow run, not a speed
# target (the pages' speed is benchmarks/bench_pages.py's). A page that runs in 1.6 s on an idle
# machine once took over 30 s in the suite, while the other worker's test ran twelve sessions in
# processes of their own on the same two cores.
RUN_TIMEOUT_MS = 60_000
# A new server's first run imports the libraries (pandas, pyarrow, SQLAlchemy, Plotly): about 10 s of
# the first visit under the suite's load on two cores, 2.5 s for each later one; on a slower CI machine
# that first run took over RUN_TIMEOUT_MS. serve() makes that visit itself, with this bound, so that
# RUN_TIMEOUT_MS bounds what a test measures: a page of a running server.
WARM_UP_TIMEOUT_MS = 180_000
VIEWPORT = {"width": 1440, "height": 1000}
# The PMO-lead password of the Data loads page, given to the test server only (its own secrets file,
# never the developer's .streamlit/secrets.toml).
DATA_LOADS_PASSWORD = "e2e-pmo-lead"


# -- waiting for the app -----------------------------------------------------------------------------

def wait_for_run(page, timeout: float = RUN_TIMEOUT_MS) -> None:
    """Wait until the app is connected, its script is not running, the running indicator is gone and
    no skeleton placeholder is left. Explicit waits only (no sleeps).

    After an interaction, first wait for something the interaction must change (a URL, a text), then
    call this: a rerun that has not started yet looks exactly like one that has finished.
    """
    from playwright.sync_api import expect

    app = page.locator('[data-testid="stApp"]')
    expect(app).to_have_attribute("data-test-connection-state", "CONNECTED", timeout=timeout)
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=timeout)
    expect(page.locator('[data-testid="stStatusWidget"]')).to_be_hidden(timeout=timeout)
    expect(page.locator('[data-testid="stSkeleton"], [data-testid="stAppSkeleton"]')).to_have_count(
        0, timeout=timeout)


NAV_LINK = '[data-testid="stSidebarNav"] a[data-testid="stSidebarNavLink"]'


def nav_links(page) -> list[tuple[str, str]]:
    """(title, href) of every page in the navigation; the title is the link's `label` span."""
    from playwright.sync_api import expect

    links = page.locator(NAV_LINK)
    expect(links.first).to_be_visible()
    return [(links.nth(i).locator("span[label]").get_attribute("label"), links.nth(i).get_attribute("href"))
            for i in range(links.count())]


def follow_nav(page, index: int) -> str:
    """Open the `index`-th page of the navigation as its link does - inside the running app, with no
    reload - and wait for its run; returns the link's href. A walk through every page so takes about
    1.5 s a page on two cores against 3.4 s with `page.goto`, which loads the app anew each time.

    The click is dispatched to the link itself: a mouse click needs the link in the window, and low
    in a long sidebar Playwright could not always scroll it there. The new page has begun to draw
    once the URL is its own and the first heading is no longer the old page's (every page opens
    with one); from then on `wait_for_run` waits for the end of that page's run, not the old one's.
    """
    from urllib.parse import urlsplit

    from playwright.sync_api import expect

    link = page.locator(NAV_LINK).nth(index)
    href = link.get_attribute("href")
    heading = page.locator("h1").first
    before = heading.inner_text()
    link.dispatch_event("click")
    page.wait_for_url(lambda url: urlsplit(url).path == urlsplit(href).path)
    expect(heading).not_to_have_text(before)
    wait_for_run(page)
    return href


def assert_no_error(page, where: str = "") -> None:
    """No exception box, and not the entry file's 'This page could not be drawn' fallback either
    (app.py catches a page's exception and logs the traceback: see tests/artifacts/streamlit.log)."""
    boxes = page.locator('[data-testid="stException"]')
    fallback = page.get_by_text(re.compile(r"could not be drawn|cannot be read"))
    found = boxes.all_inner_texts() + fallback.all_inner_texts()
    assert not found, f"{where or page.url}: {found} (server log: tests/artifacts/streamlit.log)"


def shoot(page, name: str) -> Path:
    """Full-page screenshot into tests/artifacts/<name>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    # the main area scrolls inside its own container: show each page from its top
    page.evaluate("() => document.querySelectorAll('[data-testid=\"stMain\"], [data-testid=\"stAppScrollToBottomContainer\"]')"
                  ".forEach(e => e.scrollTo(0, 0))")
    page.screenshot(path=str(path), full_page=True, animations="disabled")
    return path


# -- the server --------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """The small seeded demo batch, loaded once into a throwaway warehouse."""
    from pmo_metrics.demo import generate_demo
    from pmo_metrics.warehouse import load_batch

    tmp = tmp_path_factory.mktemp("e2e")
    generate_demo(tmp / "batch", scale="small", seed=42, end_month=DEMO_END_MONTH)
    result = load_batch(tmp / "batch", tmp / "pmo.duckdb")
    assert result.ok, f"the demo batch did not load: {result.message}"
    return tmp / "pmo.duckdb"


SERVER_PIDS: dict[str, int] = {}   # base URL -> the server's process id (for memory measurements)


@contextmanager
def serve(db_path: Path, logdir: Path, log_name: str = "streamlit.log", options: tuple[str, ...] = (),
          warm_with=None) -> Iterator[str]:
    """`streamlit run app.py` on a free port against `db_path`, with more command-line `options`
    (`"--server.x", "value"`); yields the base URL. The server's log is `logdir/<log_name>`, copied
    into tests/artifacts/ when the server stops. With `warm_with` (a Playwright browser), the server's
    first run - the one that imports the libraries - is made before the URL is yielded (see
    WARM_UP_TIMEOUT_MS)."""
    port = _free_port()
    env = dict(os.environ)
    env.update({
        "PMO_DB": str(db_path),
        "PMO_BUILD_DEMO_WHEN_EMPTY": "false",
        "PMO_DEMO_DIR": str(logdir / "demo"),
        "PYTHONUNBUFFERED": "1",
    })
    secrets = logdir / "secrets.toml"
    secrets.write_text(f'[data_loads]\npassword = "{DATA_LOADS_PASSWORD}"\n', encoding="utf-8")
    env["PMO_DATA_LOADS_PASSWORD"] = DATA_LOADS_PASSWORD
    log_path = logdir / log_name
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none", "--server.runOnSave", "false", "--secrets.files", str(secrets),
         *options],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    SERVER_PIDS[base] = proc.pid
    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    healthy = False
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as resp:
                if resp.read().decode().strip() == "ok":
                    healthy = True
                    break
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.25)  # polling interval of the health check, not a wait on the UI
    if not healthy:
        proc.kill()
        proc.wait(10)
        log.close()
        pytest.fail(f"streamlit did not become healthy within {HEALTH_TIMEOUT_S} s "
                    f"(exit code {proc.returncode}); log:\n{log_path.read_text()[-4000:]}")
    try:
        if warm_with is not None:
            context = warm_with.new_context(viewport=VIEWPORT)
            try:
                context.new_page().goto(base)
                wait_for_run(context.pages[0], WARM_UP_TIMEOUT_MS)
            finally:
                context.close()
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(log_path, ARTIFACTS / log_name)


@pytest.fixture(scope="session")
def server(demo_db, tmp_path_factory, browser):
    """`streamlit run app.py` on a free port against the demo warehouse, its first run made; yields
    the base URL."""
    with serve(demo_db, tmp_path_factory.mktemp("server"), warm_with=browser) as base:
        yield base


# -- the browser -------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser():
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"Chromium not found at {CHROMIUM}: the browser tests need Debian's Chromium "
                    "(`apt-get install chromium`; .ci/run installs it). Set PMO_E2E_CHROMIUM to use another "
                    "binary.", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture()
def page(browser, server):
    """A fresh browser context per test (own Streamlit session, own downloads)."""
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True, base_url=server)
    context.set_default_timeout(RUN_TIMEOUT_MS)
    pg = context.new_page()
    try:
        yield pg
    finally:
        context.close()


@pytest.fixture()
def open_page(page, server):
    """Open a path of the app (e.g. 'portfolio?drill_portfolio=X') and wait for its run to finish."""
    def _open(path: str = ""):
        page.goto(f"{server}/{path.lstrip('/')}")
        wait_for_run(page)
        return page
    return _open
