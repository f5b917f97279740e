"""Faults around a load: a full disk, a corrupt database file, two loads at once."""
from __future__ import annotations

import os
import resource
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest

from pmo_metrics.cli import main
from pmo_metrics.db import DatabaseError, Warehouse
from pmo_metrics.warehouse import _exclusive, load_batch, load_history

from batches import tiny_tables, write_batch
from test_warehouse import contents, digest

REPO = Path(__file__).resolve().parents[1]
LOAD_DATE = date(2025, 6, 15)


@pytest.fixture()
def loaded_db(tmp_path):
    db = tmp_path / "pmo.duckdb"
    assert load_batch(write_batch(tmp_path / "v1"), db, load_date=LOAD_DATE).status == "loaded"
    return db


def _more_risks(tmp_path: Path) -> Path:
    tables = tiny_tables()
    tables["risks"] += [dict(risk_id=f"K{i}", project_id="P1", title="more", probability="2", impact="3",
                             status="open", raised_date="2025-03-01") for i in range(2, 200)]
    return write_batch(tmp_path / "v2", tables)


def test_disk_full_while_writing_leaves_the_old_database(loaded_db, tmp_path):
    batch = _more_risks(tmp_path)
    before_bytes, before = digest(loaded_db), contents(loaded_db)
    limit = 1 << 20  # no file may grow past 1 MiB: the extracts and the log fit, a new database does not

    def cap():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = subprocess.run([sys.executable, "-m", "pmo_metrics", "load", str(batch), "--db", str(loaded_db), "--quiet"],
                          cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)), preexec_fn=cap,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 4, proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("error: load failed") and "database is unchanged" in last
    assert digest(loaded_db) == before_bytes and contents(loaded_db) == before
    assert not list(tmp_path.glob("pmo.duckdb.new-*"))
    assert load_history(loaded_db)[0]["status"] == "failed"
    assert not [p for p in (tmp_path / "archive" / "pmo").iterdir() if p.name.endswith(".partial")]


def test_corrupt_database_gives_a_clear_message_and_a_way_to_rebuild(tmp_path, capsys):
    db = tmp_path / "pmo.duckdb"
    db.write_bytes(b"this is not a database" * 100)
    with pytest.raises(DatabaseError, match="not a readable PMO database"):
        Warehouse(db).cursor()
    batch = write_batch(tmp_path / "b")
    assert main(["load", str(batch), "--db", str(db), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "--replace-corrupt" in err and len(err.strip().splitlines()) == 1
    assert main(["load", str(batch), "--db", str(db), "--quiet", "--replace-corrupt"]) == 0
    assert Warehouse(db).cursor().execute("SELECT count(*) FROM projects").fetchall() == [(2,)]
    kept = list(tmp_path.glob("pmo.duckdb.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_bytes().startswith(b"this is not")


def test_two_loads_at_once_second_is_refused_clearly(loaded_db, tmp_path):
    batch = _more_risks(tmp_path)
    env = dict(os.environ, PYTHONPATH=str(REPO), PMO_PAUSE_AT="writing timesheets")
    first = subprocess.Popen([sys.executable, "-m", "pmo_metrics", "load", str(batch), "--db", str(loaded_db)],
                             cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for line in first.stderr:
            if line.startswith("paused at"):
                break
        second = subprocess.run([sys.executable, "-m", "pmo_metrics", "load", str(batch), "--db", str(loaded_db),
                                 "--wait", "1", "--quiet"], cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)),
                                capture_output=True, text=True, timeout=60)
        assert second.returncode == 3
        assert second.stderr.strip() == f"error: another load is writing {loaded_db}; try again when it has finished"
    finally:
        first.kill()
        first.wait()
    assert load_batch(batch, loaded_db, load_date=LOAD_DATE).status == "loaded"
    assert Warehouse(loaded_db).cursor().execute("SELECT count(*) FROM risks").fetchall() == [(199,)]


@contextmanager
def _lock_held(db: Path, seconds: float):
    """Another load's lock on `db`, held by a thread from entry for `seconds` or until the block ends."""
    held, release = threading.Event(), threading.Event()

    def hold_lock():
        with _exclusive(db, 0):
            held.set()
            release.wait(seconds)

    t = threading.Thread(target=hold_lock)
    t.start()
    try:
        held.wait()
        yield
    finally:
        release.set()
        t.join()


def test_a_load_refused_for_another_says_so_as_json_with_format_json(loaded_db, tmp_path, capsys):
    """A script that reads `load --format json` gets a document for a busy database too, not only
    the error line on stderr."""
    import json

    batch = _more_risks(tmp_path)
    with _lock_held(loaded_db, seconds=30):
        code = main(["load", str(batch), "--db", str(loaded_db), "--wait", "0", "--format", "json", "--quiet"])
    out, err = capsys.readouterr()
    assert code == 3
    doc = json.loads(out)
    assert doc["command"] == "load" and doc["status"] == "busy" and doc["batch"] == str(batch)
    assert doc["message"] == f"another load is writing {loaded_db}; try again when it has finished"
    assert err.strip() == f"error: {doc['message']}"


def test_a_waiting_load_goes_ahead_when_the_first_finishes(loaded_db, tmp_path):
    batch = _more_risks(tmp_path)
    with _lock_held(loaded_db, seconds=1.0):
        started = time.monotonic()
        result = load_batch(batch, loaded_db, load_date=LOAD_DATE, wait_seconds=30)
    assert result.status == "loaded"
    assert time.monotonic() - started >= 0.5  # it waited for the lock rather than barging in


def test_marts_built_by_another_version_are_refused_then_rebuilt(loaded_db, capsys):
    import duckdb

    from pmo_metrics.kpis import compute_kpis
    from pmo_metrics.filters import Filters
    from pmo_metrics.marts import MartsMissing, check_marts

    before = compute_kpis(Warehouse(loaded_db).cursor(), Filters(as_of="2025-06"))
    con = duckdb.connect(str(loaded_db))  # an older release's marts, simulated
    con.execute("UPDATE marts.build_info SET marts_version = 'older-release'")
    con.close()
    with pytest.raises(MartsMissing, match="python -m pmo_metrics rebuild"):
        check_marts(Warehouse(loaded_db).cursor())
    tables_before = {k: v for k, v in contents(loaded_db).items() if not k.startswith("marts.")}

    assert main(["rebuild", "--db", str(loaded_db), "--quiet"]) == 0
    cur = Warehouse(loaded_db).cursor()
    check_marts(cur)
    assert compute_kpis(cur, Filters(as_of="2025-06")) == before
    assert {k: v for k, v in contents(loaded_db).items() if not k.startswith("marts.")} == tables_before
