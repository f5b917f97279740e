"""Scale-out, for real: three `streamlit run serve.py` servers on one published DuckDB file, their
app-state store on the suite's PostgreSQL, and Debian's nginx in front of them with the very config
docs/deploy.md shows (deploy/nginx/pmo.conf: TLS, WebSocket upgrade, sessions pinned by a route cookie).

A browser session is pinned to each server through nginx; a load published while they serve is seen
by all three without a restart; a scenario saved in the shared store is listed by the other servers;
a server killed mid-session leaves the others serving, and its readers land on a live one.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from pmo_metrics import saved_scenarios, scenarios
from pmo_metrics.appstate import AppState
from pmo_metrics.db import Warehouse, database_version
from pmo_metrics.filters import Filters
from pmo_metrics.settings import load_settings
from pmo_metrics.warehouse import load_batch

from conftest import REPO, RUN_TIMEOUT_MS, assert_no_error, wait_for_run
from support import free_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
TEMPLATE = REPO / "deploy" / "nginx" / "pmo.conf"
START_TIMEOUT_S = 60
SCENARIO = "Scale-out board option"
INSECURE = ssl.create_default_context()
INSECURE.check_hostname = False
INSECURE.verify_mode = ssl.CERT_NONE


def render(template: str, values: dict[str, str]) -> str:
    """The deploy template with its {{placeholders}} filled in, as docs/deploy.md says to."""
    lines = []
    for line in template.splitlines():
        if not line.lstrip().startswith("#"):   # the header's list of placeholders stays as written
            for name, value in values.items():
                line = line.replace("{{" + name + "}}", value)
            assert "{{" not in line, f"unfilled placeholder: {line.strip()}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def _get(url: str, cookie: str | None = None, timeout: float = 5):
    req = urllib.request.Request(url, headers={"Cookie": f"pmo_route={cookie}"} if cookie else {})
    with urllib.request.urlopen(req, timeout=timeout, context=INSECURE if url.startswith("https") else None) as r:
        return r.status, dict(r.headers), r.read()


def _wait_ready(url: str, procs: list[subprocess.Popen], logs: list[Path]) -> dict:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            break
        try:
            status, _, body = _get(url, timeout=2)
            if status == 200:
                return json.loads(body)
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.25)   # polling until the server listens, not a wait on the UI
    pytest.fail(f"{url} not ready within {START_TIMEOUT_S} s:\n" + "\n".join(p.read_text()[-1500:] for p in logs))


def _self_signed(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "pmo.pem", folder / "pmo.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True, timeout=60)
    return cert, key


@pytest.fixture(scope="module")
def store_url(pg_server):
    """A database of its own on the suite's PostgreSQL, for the three servers' app-state store."""
    name = f"pmo_scale_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(sa.text(f'CREATE DATABASE "{name}"'))   # a name made here, not from input
    admin.dispose()
    return sa.engine.make_url(pg_server).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def cluster(demo_db, store_url, tmp_path_factory):
    """Three app servers on a copy of the demo warehouse, nginx in front; yields what the test needs."""
    tmp = tmp_path_factory.mktemp("scale")
    db = tmp / "pmo.duckdb"
    shutil.copy(demo_db, db)
    ports = [free_port() for _ in range(3)]
    env = {**os.environ, "PMO_DB": str(db), "PMO_APP_STATE_URL": store_url, "PMO_BUILD_DEMO_WHEN_EMPTY": "false",
           "PMO_DEMO_DIR": str(tmp / "demo"), "PMO_LOG_FORMAT": "json", "PYTHONUNBUFFERED": "1"}
    env.pop("PMO_DATA_LOADS_PASSWORD", None)
    procs, logs = [], []
    try:
        yield from _serve(tmp, db, ports, env, procs, logs, store_url)
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(10)


def _serve(tmp, db, ports, env, procs, logs, store_url):
    """Start the servers and nginx (appending to procs, so the fixture stops them whatever happens)."""
    for port in ports:
        logs.append(tmp / f"app-{port}.log")
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none", "--server.runOnSave", "false"],
            cwd=REPO, env=env, stdout=open(logs[-1], "w"), stderr=subprocess.STDOUT))
    cert, key = _self_signed(tmp)
    http_port, https_port = free_port(), free_port()
    site = render(TEMPLATE.read_text(encoding="utf-8"), {
        "app_servers": "\n    ".join(f"server 127.0.0.1:{p} max_fails=3 fail_timeout=10s;" for p in ports),
        "server_name": "localhost", "http_listen": f"127.0.0.1:{http_port}", "https_listen": f"127.0.0.1:{https_port}",
        "certificate": str(cert), "certificate_key": str(key), "max_body": "200m"})
    (tmp / "pmo.conf").write_text(site, encoding="utf-8")
    # The main file of /etc/nginx/nginx.conf, reduced to what a process of its own in a folder needs.
    temp = "\n".join(f"    {kind}_temp_path {tmp / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (tmp / "nginx.conf").write_text(
        f"worker_processes 1;\npid {tmp / 'nginx.pid'};\nerror_log {tmp / 'nginx-error.log'} warn;\n"
        f"events {{ worker_connections 512; }}\nhttp {{\n    access_log {tmp / 'nginx-access.log'};\n{temp}\n"
        f"    include {tmp / 'pmo.conf'};\n}}\n", encoding="utf-8")
    checked = subprocess.run([NGINX, "-t", "-p", str(tmp), "-c", str(tmp / "nginx.conf")], capture_output=True,
                             text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr
    nginx = subprocess.Popen([NGINX, "-p", str(tmp), "-c", str(tmp / "nginx.conf"), "-g", "daemon off;"],
                             stdout=subprocess.DEVNULL, stderr=open(tmp / "nginx.out", "w"))
    apps = list(procs)
    procs.append(nginx)
    for port in ports:
        _wait_ready(f"http://127.0.0.1:{port}/readyz", procs, logs + [tmp / "nginx.out"])
    yield {"db": db, "ports": ports, "procs": apps, "logs": logs, "store_url": store_url, "tmp": tmp,
           "base": f"https://127.0.0.1:{https_port}", "http": f"http://127.0.0.1:{http_port}"}


def _routes_to_each_server(base: str, ports: list[int]) -> dict[int, str]:
    """A route cookie value that nginx sends to each server (found by asking it, as a browser would)."""
    found: dict[int, str] = {}
    for i in range(200):
        value = f"route-{i}"
        _, headers, _ = _get(f"{base}/readyz", cookie=value)
        port = int(headers["X-PMO-Upstream"].rsplit(":", 1)[1])
        found.setdefault(port, value)
        if len(found) == len(ports):
            return found
    pytest.fail(f"nginx sent 200 route cookies to only {sorted(found)} of {ports}")


def _provenance(page) -> str:
    """The caption every page shows under its title: when the data on screen was loaded, from what."""
    caption = page.get_by_text(re.compile(r"^Data loaded \d{4}-\d\d-\d\d \d\d:\d\d UTC from "))
    expect(caption).to_have_count(1)
    return caption.inner_text()


def _open(pages: dict, path: str) -> dict:
    """Open `path` in every session at once (the servers work in parallel), then wait for each run;
    the app server that answered each (its port)."""
    responses = {key: page.goto(path, wait_until="commit") for key, page in pages.items()}
    served = {}
    for key, page in pages.items():
        response = responses[key]
        assert response is not None and response.ok, path
        wait_for_run(page)
        assert_no_error(page, f"{path} in session {key}")
        served[key] = int(response.headers["x-pmo-upstream"].rsplit(":", 1)[1])
    return served


def test_three_servers_behind_nginx_share_one_database_and_one_store(cluster, browser, demo_db, tmp_path):
    demo_batch = demo_db.parent / "batch"        # what the demo warehouse was loaded from (conftest.py)
    base, ports, db = cluster["base"], cluster["ports"], cluster["db"]
    # Plain HTTP is sent to HTTPS; the route cookie is set once, HttpOnly and Secure.
    with pytest.raises(urllib.error.HTTPError) as redirect:
        urllib.request.build_opener(type("NoRedirect", (urllib.request.HTTPRedirectHandler,), {
            "redirect_request": lambda *a, **k: None})).open(cluster["http"] + "/", timeout=5)
    assert redirect.value.code == 301 and redirect.value.headers["Location"].startswith("https://")
    _, headers, _ = _get(base + "/")
    assert re.match(r"pmo_route=\w+; Path=/; Secure; HttpOnly", headers["Set-Cookie"])
    assert "Set-Cookie" not in _get(base + "/", cookie="route-0")[1]

    routes = _routes_to_each_server(base, ports)
    sessions = {}
    for port in ports:
        context = browser.new_context(base_url=base, ignore_https_errors=True, viewport={"width": 1440, "height": 1000})
        context.set_default_timeout(RUN_TIMEOUT_MS)
        context.add_cookies([{"name": "pmo_route", "value": routes[port], "url": base}])
        sessions[port] = context.new_page()
    try:
        # The glossary: the lightest page, so the time goes into what is tested, not into drawing charts.
        assert _open(sessions, "/glossary") == {port: port for port in ports}   # each session on its own server
        before = {_provenance(page) for page in sessions.values()}
        assert len(before) == 1 and str(demo_batch) in before.pop()

        # A scenario saved in the store by one server is listed by the others.
        cur = Warehouse(db).cursor()
        try:
            plan = scenarios.plan(cur, Filters(), load_settings({}).selection_weights)
            outcome = scenarios.run(plan, scenarios.Scenario(1e12))
        finally:
            cur.close()
        store = AppState.open(cluster["store_url"])
        try:
            saved_scenarios.save(store, saved_scenarios.record(SCENARIO, plan, outcome, Filters(), author="pmo-lead",
                                                               data_version=database_version(db).token))
        finally:
            store.close()
        others = {port: sessions[port] for port in ports[1:]}
        assert _open(others, "/scenarios") == {port: port for port in others}
        for page in others.values():
            expect(page.get_by_role("button", name=f"Excel: scenario {SCENARIO}")).to_be_visible()

        # A load published while the three serve: every server reads the new file, no restart.
        old = database_version(db).token
        # The next month's extract in miniature: the same batch with one project renamed (a batch of
        # other projects would orphan the gate reviews and change requests already loaded).
        extract = tmp_path / "scale-out-extract"
        shutil.copytree(demo_batch, extract)
        projects = (extract / "projects.csv").read_text(encoding="utf-8").splitlines(keepends=True)
        first = projects[1].split(",")
        first[1] = first[1] + " (renamed)"
        projects[1] = ",".join(first)
        (extract / "projects.csv").write_text("".join(projects), encoding="utf-8")
        result = load_batch(extract, db)
        assert result.status == "loaded", result.message
        new = database_version(db).token
        assert new != old
        for port in ports:
            _, _, body = _get(f"http://127.0.0.1:{port}/readyz")
            assert json.loads(body)["database_version"] == new and json.loads(body)["load_id"] == result.load_id
        # docs/deploy.md §7: after an upgrade, `rebuild` (on the database PMO_DB names) publishes the marts
        # anew while the servers serve; they follow it like a load.
        rebuilt = subprocess.run([sys.executable, "-m", "pmo_metrics", "rebuild"], cwd=REPO, capture_output=True,
                                 text=True, timeout=120, env={**os.environ, "PMO_DB": str(db)})
        assert rebuilt.returncode == 0 and str(db) in rebuilt.stdout, rebuilt.stderr
        assert database_version(db).token != new
        for port in ports:
            body = json.loads(_get(f"http://127.0.0.1:{port}/readyz")[2])
            assert body["database_version"] == database_version(db).token and body["load_id"] == result.load_id
            assert body["app_state"] == "reachable"                    # the shared PostgreSQL store
        assert _open(sessions, "/glossary") == {port: port for port in ports}
        for page in sessions.values():
            assert "scale-out-extract" in _provenance(page)

        # One server dies mid-session: the others go on serving, and its reader lands on a live one.
        victim, survivors = ports[0], ports[1:]
        cluster["procs"][0].kill()
        cluster["procs"][0].wait(10)
        for port in survivors:     # a click in the open session: a rerun over its WebSocket
            page = sessions[port]
            page.locator('[data-testid="stSidebarNav"] a[data-testid="stSidebarNavLink"]').filter(
                has=page.locator('span[label="Data quality"]')).click()
        for port in survivors:
            page = sessions[port]
            expect(page).to_have_url(re.compile(r"/data_quality"))
            wait_for_run(page)
            assert_no_error(page, f"data quality on {port}")
            assert "scale-out-extract" in _provenance(page)
        moved_to = _open({victim: sessions[victim]}, "/glossary")[victim]
        assert moved_to in survivors
        assert "scale-out-extract" in _provenance(sessions[victim])
    finally:
        for page in sessions.values():
            page.context.close()

    # What the servers logged as JSON lines: no page failed, and no line carries the store's password.
    for log in cluster["logs"]:
        text = log.read_text()
        assert '"event": "page_error"' not in text, text[-2000:]
