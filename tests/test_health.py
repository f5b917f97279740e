"""Readiness (`/readyz` of serve.py: the published database's version and age) and the JSON-lines log
of loads and page errors."""
from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pmo_metrics import kpis, logs
from pmo_metrics.db import database_version
from pmo_metrics.health import readiness
from pmo_metrics.warehouse import load_batch

from batches import write_batch
from support import free_port
from test_app import APP, TIMEOUT, demo, use_db  # noqa: F401 — fixtures shared with the app tests

ROOT = Path(__file__).resolve().parents[1]
SECRET = "Sup3r-Secret-pw"


@pytest.fixture
def json_logs():
    """The product's loggers writing JSON lines into a buffer; put back as they were afterwards."""
    buffer = io.StringIO()
    logs.configure_logging("json", stream=buffer)
    yield buffer
    for name in logs.LOGGERS:
        logger = logging.getLogger(name)
        for h in [h for h in logger.handlers if getattr(h, logs._MARK, False)]:
            logger.removeHandler(h)
        logger.propagate = True


def _events(buffer: io.StringIO, event: str) -> list[dict]:
    return [r for r in map(json.loads, buffer.getvalue().splitlines()) if r["event"] == event]


def test_readiness_reports_the_published_version_and_its_age(tmp_path):
    db = tmp_path / "pmo.duckdb"
    status, body = readiness(db)
    assert status == 503 and body["ready"] is False and str(tmp_path) not in json.dumps(body)
    result = load_batch(write_batch(tmp_path / "batch"), db, load_date=date(2025, 6, 15))
    later = datetime.now(timezone.utc) + timedelta(hours=2)
    status, body = readiness(db, now=later)
    assert status == 200 and body["ready"] is True
    assert body["database_version"] == database_version(db).token
    assert body["load_id"] == result.load_id
    assert 7190 < body["age_seconds"] < 7300 and 7190 < body["load_age_seconds"] < 7300
    db.write_bytes(b"not a database")
    status, body = readiness(db)
    assert status == 503 and "cannot be opened" in body["reason"]


def test_the_store_is_reported_reachable_or_not(tmp_path):
    import sqlalchemy as sa
    from pmo_metrics.health import store_status

    assert store_status(sa.create_engine(f"sqlite:///{tmp_path / 'appstate.sqlite'}")) == "reachable"
    closed = sa.create_engine(f"postgresql+psycopg://pmo:x@127.0.0.1:{free_port()}/pmo",
                              connect_args={"connect_timeout": 2})
    assert store_status(closed) == "unreachable"


def test_a_load_is_one_json_line_with_its_outcome(tmp_path, json_logs):
    ok = load_batch(write_batch(tmp_path / "batch"), tmp_path / "pmo.duckdb", load_date=date(2025, 6, 15))
    (line,) = _events(json_logs, "load")
    assert (line["load_id"], line["status"], line["level"]) == (ok.load_id, "loaded", "info")
    assert line["rows_loaded"]["projects"] == 2 and line["seconds"] > 0 and line["batch"] == "batch"
    with pytest.raises(Exception):
        load_batch(tmp_path / "no-such-batch", tmp_path / "pmo.duckdb")
    failed = _events(json_logs, "load")[-1]
    assert failed["status"] == "failed" and failed["level"] == "warning"


def test_log_lines_never_carry_a_password():
    record = logging.LogRecord("pmo_metrics.x", logging.WARNING, __file__, 1, "could not reach %s", (
        f"postgresql+psycopg://pmo:{SECRET}@db/pmo",), None)
    record.pmo = {"event": "load", "detail": {"url": f"https://u:{SECRET}@h/x"}}
    line = logs.JsonLines().format(record)
    assert SECRET not in line and json.loads(line)["message"] == "could not reach postgresql+psycopg://pmo:***@db/pmo"
    assert json.loads(line)["detail"] == {"url": "https://u:***@h/x"}


def test_a_page_error_is_logged_with_its_page_and_filters(demo, use_db, monkeypatch, json_logs):
    use_db(demo["db"], PMO_LOG_FORMAT="json")

    def broken(*args, **kwargs):
        raise RuntimeError(f"lost postgresql://pmo:{SECRET}@db/pmo")

    monkeypatch.setattr(kpis, "compare_kpis", broken)
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["bu"] = "Retail"
    at.run()
    assert any("could not be drawn" in e.value for e in at.error)
    (line,) = _events(json_logs, "page_error")
    assert line["page"] == "Executive overview" and line["level"] == "error"
    assert line["filters"]["as_of"] == demo["as_of"]
    assert line["error"]["type"] == "RuntimeError" and SECRET not in json_logs.getvalue()


def test_serve_py_answers_readyz_over_http(demo, tmp_path):
    port = free_port()
    env = {**os.environ, "PMO_DB": str(demo["db"]), "PMO_BUILD_DEMO_WHEN_EMPTY": "false", "PYTHONUNBUFFERED": "1",
           "PMO_APP_STATE_URL": f"sqlite:///{tmp_path / 'appstate.sqlite'}"}
    log = open(tmp_path / "serve.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "serve.py", "--server.headless", "true",
                             "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline, body, status = time.monotonic() + 60, None, None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as resp:
                    status, body = resp.status, json.loads(resp.read())
                    break
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.25)   # polling until the server listens
        assert status == 200, (tmp_path / "serve.log").read_text()[-2000:]
        assert body["database_version"] == database_version(demo["db"]).token and body["load_id"]
        assert body["app_state"] == "reachable"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=5) as resp:
            assert resp.read().decode().strip() == "ok"
    finally:
        proc.terminate()
        proc.wait(20)
        log.close()
