"""Twelve sessions walk every page while a load publishes a new batch from another process: no run
fails, and every run shows one version of the data — the batch named in its provenance line and the
figures on its cards agree — never a mix of the two.

Each session is a process of its own (tests/concurrency_session.py): AppTest keeps its stand-in
runtime in a process-wide singleton, so sessions in threads of one process would trip over each
other's runtime rather than over anything the product does. The sessions, the load and the
database file are all real and all run at once.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import pandas as pd
from streamlit.testing.v1 import AppTest

from test_app import APP, ROOT, demo, use_db  # noqa: F401 — shared fixtures
from concurrency_session import snapshot

SESSIONS = 12


def test_sessions_see_the_old_or_the_new_data_never_a_mix(demo, use_db, tmp_path):
    from pmo_metrics.warehouse import load_batch

    old, new = tmp_path / "oldbatch", tmp_path / "newbatch"
    shutil.copytree(demo["batch"], old)
    shutil.copytree(demo["batch"], new)
    projects = pd.read_csv(new / "projects.csv")
    portfolio = sorted(projects["portfolio"].unique())[0]
    projects.loc[(projects["portfolio"] == portfolio) & (projects["stage"] == "execution"), "stage"] = "cancelled"
    projects.to_csv(new / "projects.csv", index=False)

    # the Active projects card of each version, read from a single session on each
    expected = {}
    for name in ("oldbatch", "newbatch"):
        probe_db = tmp_path / f"{name}.duckdb"
        assert load_batch(tmp_path / name, probe_db).ok
        use_db(probe_db)
        shot = snapshot(AppTest.from_file(str(APP), default_timeout=60).run())
        assert shot["batch"] == name and not shot["problems"]
        expected[name] = shot["active"]
    assert expected["oldbatch"] != expected["newbatch"]

    db = tmp_path / "pmo.duckdb"
    assert load_batch(old, db).ok
    results, done = tmp_path / "runs.jsonl", tmp_path / "loaded"
    env = dict(os.environ, PMO_DB=str(db), PYTHONPATH=str(ROOT))
    env.pop("PMO_DATA_LOADS_PASSWORD", None)
    started = time.monotonic()
    sessions = [subprocess.Popen([sys.executable, str(ROOT / "tests" / "concurrency_session.py"), str(i), str(results),
                                  str(done)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                 text=True) for i in range(SESSIONS)]

    def runs() -> list[dict]:
        if not results.exists():
            return []
        return [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines() if line.strip()]

    try:
        # the load begins once every session has drawn a page on the old data
        while time.monotonic() - started < 150 and len({r["session"] for r in runs()}) < SESSIONS:
            assert all(p.poll() is None for p in sessions), "a session ended early"
            time.sleep(0.2)
        load = subprocess.run([sys.executable, "-m", "pmo_metrics", "load", str(new), "--db", str(db), "--quiet"],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
        done.touch()
        for p in sessions:
            p.wait(timeout=300)
    finally:
        for p in sessions:
            if p.poll() is None:
                p.kill()
    assert load.returncode == 0, load.stderr
    assert all(p.returncode == 0 for p in sessions), [p.stderr.read()[-2000:] for p in sessions if p.returncode]

    seen = runs()
    assert len({r["session"] for r in seen}) == SESSIONS
    bad = [r for r in seen if r["problems"]]
    assert not bad, [(r["session"], r["page"], r["after_load"], r["problems"]) for r in bad[:5]]
    seen = [r for r in seen if r["batch"] is not None]             # pages with a provenance line
    assert {r["batch"] for r in seen} == {"oldbatch", "newbatch"}  # both versions were served
    mixed = [r for r in seen if r["active"] is not None and r["active"] != expected[r["batch"]]]
    assert not mixed, mixed[:5]
    # every run that began after the load had finished shows the new data, in every session
    after = [r for r in seen if r["after_load"]]
    assert {r["session"] for r in after} == set(range(SESSIONS))
    assert {r["batch"] for r in after} == {"newbatch"}, [r for r in after if r["batch"] != "newbatch"][:5]
