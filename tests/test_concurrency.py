"""Twenty sessions walk every page while a load publishes a new batch from another process: no run
fails, and every run shows one version of the data — the batch named in its provenance line and the
figures on its cards agree — never a mix of the two.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import threading
import time

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from test_app import APP, PAGES, ROOT, demo, use_db  # noqa: F401 — shared fixtures

SESSIONS = 20
BUDGET_S = 80


def _snapshot(at: AppTest) -> tuple[str | None, str | None, list[str]]:
    """(batch named in the provenance line, the Active projects card, problems) of the last run."""
    batch = None
    for cap in at.caption:
        m = re.search(r"Data loaded .* from \S*?(oldbatch|newbatch)", cap.value.replace("\\", ""))
        if m:
            batch = m.group(1)
    active = next((m.value for m in at.metric if m.label == "Active projects"), None)
    problems = [e.value for e in at.exception] + [e.value for e in at.error]
    return batch, active, problems


@pytest.fixture
def shared_runtime(monkeypatch):
    """AppTest installs a stand-in Runtime for each run and removes it when the run ends; with
    sessions in several threads, one ending would pull it from under the others. Keep the last one
    in place for the duration of the test (a real server has one Runtime for every session)."""
    from streamlit.runtime.runtime import Runtime

    last: list = []

    def instance(cls):
        if cls._instance is not None:
            last[:] = [cls._instance]
        if not last:
            raise RuntimeError("Runtime hasn't been created!")
        return last[0]

    monkeypatch.setattr(Runtime, "instance", classmethod(instance))
    monkeypatch.setattr(Runtime, "exists", classmethod(lambda cls: cls._instance is not None or bool(last)))


def test_sessions_see_the_old_or_the_new_data_never_a_mix(demo, use_db, tmp_path, shared_runtime):
    from pmo_metrics.warehouse import load_batch

    old, new = tmp_path / "oldbatch", tmp_path / "newbatch"
    shutil.copytree(demo["batch"], old)
    shutil.copytree(demo["batch"], new)
    projects = pd.read_csv(new / "projects.csv")
    portfolio = sorted(projects["portfolio"].unique())[0]
    projects.loc[(projects["portfolio"] == portfolio) & (projects["stage"] == "execution"), "stage"] = "cancelled"
    projects.to_csv(new / "projects.csv", index=False)
    db = tmp_path / "pmo.duckdb"
    assert load_batch(old, db).ok
    use_db(db)

    expected = {}
    for name in ("oldbatch", "newbatch"):
        probe_db = tmp_path / f"{name}.duckdb"
        assert load_batch(tmp_path / name, probe_db).ok
    # the Active projects card of each version, read from a single session on each
    for name in ("oldbatch", "newbatch"):
        use_db(tmp_path / f"{name}.duckdb")
        batch, active, problems = _snapshot(AppTest.from_file(str(APP), default_timeout=60).run())
        assert batch == name and not problems
        expected[name] = active
    assert expected["oldbatch"] != expected["newbatch"]
    use_db(db)

    done = threading.Event()
    seen: list[tuple[int, str, str | None, str | None, list[str]]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def session(i: int) -> None:
        try:
            at = AppTest.from_file(str(APP), default_timeout=60).run()
            pages = PAGES[i % len(PAGES):] + PAGES[:i % len(PAGES)]
            deadline = time.monotonic() + BUDGET_S
            after_load = 0
            k = 0
            while time.monotonic() < deadline and after_load < 2:
                page = pages[k % len(pages)]
                k += 1
                finished = done.is_set()
                at.switch_page(page).run()
                with lock:
                    seen.append((i, page, *_snapshot(at)))
                if finished:
                    after_load += 1
        except BaseException as exc:  # noqa: BLE001 — reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=session, args=(i,), daemon=True) for i in range(SESSIONS)]
    started = time.monotonic()
    for t in threads:
        t.start()
    # the load begins once every session has drawn a page on the old data
    while time.monotonic() - started < 60 and len({s[0] for s in seen}) < SESSIONS and not errors:
        time.sleep(0.1)
    load = subprocess.run([sys.executable, "-m", "pmo_metrics", "load", str(new), "--db", str(db), "--quiet"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    done.set()
    for t in threads:
        t.join(BUDGET_S + 30)
    elapsed = time.monotonic() - started
    assert load.returncode == 0, load.stderr
    assert not errors, errors
    assert not any(t.is_alive() for t in threads)
    assert elapsed < 120, elapsed

    bad = [s for s in seen if s[4]]
    assert not bad, bad[:5]
    seen = [s for s in seen if s[2] is not None]                 # pages with a provenance line
    versions = {s[2] for s in seen}
    assert versions == {"oldbatch", "newbatch"}, versions          # both versions were served
    mixed = [s for s in seen if s[3] is not None and s[3] != expected[s[2]]]
    assert not mixed, mixed[:5]
    # after the load, every session ended on the new data
    last = {}
    for s in seen:
        last[s[0]] = s[2]
    assert set(last.values()) == {"newbatch"}, last
