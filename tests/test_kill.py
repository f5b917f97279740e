"""A load killed with SIGKILL at any step leaves the previous database serving, unchanged."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from pmo_metrics.db import Warehouse
from pmo_metrics.warehouse import load_batch, load_history

from batches import tiny_tables, write_batch
from test_warehouse import contents, digest

REPO = Path(__file__).resolve().parents[1]
STEPS = ["reading files", "checking the data accuracy rules", "writing timesheets", "building the marts",
         "archiving the raw files", "publishing the new database"]


def _start_load(batch: Path, db: Path, pause_at: str) -> subprocess.Popen:
    env = dict(os.environ, PMO_PAUSE_AT=pause_at, PYTHONPATH=str(REPO))
    return subprocess.Popen([sys.executable, "-m", "pmo_metrics", "load", str(batch), "--db", str(db)],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _wait_until_paused(proc: subprocess.Popen) -> str:
    for line in proc.stderr:
        if line.startswith("paused at"):
            return line
    raise AssertionError(f"load finished without reaching the step (exit {proc.wait()})")


@pytest.mark.parametrize("step", STEPS)
def test_sigkill_at_each_step_leaves_the_previous_database(step, tmp_path):
    db = tmp_path / "pmo.duckdb"
    assert load_batch(write_batch(tmp_path / "v1"), db, load_date=date(2025, 6, 15)).status == "loaded"
    before_bytes, before = digest(db), contents(db)
    reader = Warehouse(db)
    assert reader.cursor().execute("SELECT count(*) FROM risks").fetchone()[0] == 1

    tables = tiny_tables()
    tables["risks"] += [dict(risk_id=f"K{i}", project_id="P1", title="more", probability="2", impact="3",
                             status="open", raised_date="2025-03-01") for i in range(2, 50)]
    proc = _start_load(write_batch(tmp_path / "v2", tables), db, step)
    try:
        assert step in _wait_until_paused(proc)
        # While the load is under way the previous data keeps serving.
        assert reader.cursor().execute("SELECT count(*) FROM risks").fetchone()[0] == 1
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL

    assert digest(db) == before_bytes
    assert contents(db) == before
    assert reader.cursor().execute("SELECT count(*) FROM risks").fetchone()[0] == 1
    assert load_history(db)[0]["status"] == "interrupted"

    # The next load cleans up after the killed one and succeeds.
    result = load_batch(tmp_path / "v2", db, load_date=date(2025, 6, 15))
    assert result.status == "loaded"
    assert reader.cursor().execute("SELECT count(*) FROM risks").fetchone()[0] == 49
    assert not list(tmp_path.glob("pmo.duckdb.new-*"))
