"""A server under repeated loads: 30 loads published while a browser keeps opening the overview (every
KPI card), and what the server keeps. Issue #20 saw ~2.6 MB more per load with no plateau: each
version's cached results stayed until their TTL.

Two measures. What st.cache_data holds, from Streamlit's own metrics: exact, so it proves the caches
keep only the current version (35,828 bytes after the first load and 35,834 after the 30th; with the
clearing switched off, 714,932 — the tiny batch's results are too small to stand out in the RSS).
And the resident memory, which must level off: the median of the last ten loads may be at most
MAX_GROWTH_PER_LOAD_MB a load above that of the ten before.

Every visit is a new browser session, as when people open a link. Streamlit keeps a session whose
browser has gone for `server.disconnectedSessionTTL` (2 minutes by default) in case it comes back,
about half a megabyte each: at a visit every few seconds those alone grow the server by ~0.8 MB a
load for 2 minutes before it levels off, which is what the 16-load version of this test saw and took
for a slow leak. The server here keeps them SESSION_TTL_S seconds, so that steady state comes within
the first few loads and what grows after it is what loads or expired sessions leave behind.

Measured on the shared 2-core machine (load average 1-12, much of it other work): 0.30, -0.05 and
0.05 MB per load over the last ten loads in three runs of this test, 0.20 with the cache clearing
switched off, 0.22 with the finance page visited too, single readings scattering by ±6 MB; over
80 loads the median RSS of each quarter was 280, 281, 286 and 281 MB. Old versions' DuckDB instances
are released too: the server holds one open database file throughout. The bound is about three
times the largest of those figures and a third of the old leak's rate. The test takes about 2
minutes.
"""
from __future__ import annotations

import ast
import re
import statistics
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import expect

from batches import tiny_tables, write_batch
from conftest import REPO, RUN_TIMEOUT_MS, SERVER_PIDS, VIEWPORT, assert_no_error, serve, wait_for_run

LOADS = 30
BUDGET_S = 300        # the whole soak, worst case on a slow CI machine (about 2 min on a busy one)
SESSION_TTL_S = 5     # how long the server keeps a session whose browser has gone (see above)
THIRD = LOADS // 3
MAX_GROWTH_PER_LOAD_MB = 0.8   # the median of the last third over the one before, per load
MAX_GROWTH_AFTER_WARM_UP_MB = 25


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for process {pid}")


def settled_rss_mb(pid: int, samples: int = 3) -> float:
    """The lowest of a few readings a fifth of a second apart: a reading taken while the server is
    still letting go of a run's objects scatters by several megabytes."""
    readings = []
    for _ in range(samples):
        readings.append(rss_mb(pid))
        time.sleep(0.2)   # the interval between readings, not a wait on the UI
    return min(readings)


def cached_bytes(base: str) -> int:
    """What the server's st.cache_data caches hold, from Streamlit's own metrics (which it computes
    again at most every 5 s)."""
    with urllib.request.urlopen(f"{base}/_stcore/metrics?families=cache_memory_bytes", timeout=10) as resp:
        text = resp.read().decode()
    sizes = re.findall(r'^cache_memory_bytes\{cache_type="st_cache_data"[^}]*\} (\S+)$', text, re.MULTILINE)
    assert sizes, f"no st.cache_data size in the server's metrics:\n{text[:1000]}"
    return sum(int(float(size)) for size in sizes)


def overview_cards() -> list[str]:
    """The KPI ids the overview shows (pages/overview.py CARDS), read without running the page."""
    tree = ast.parse((REPO / "pages" / "overview.py").read_text(encoding="utf-8"))
    return next(ast.literal_eval(node.value) for node in tree.body
                if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["CARDS"])


def _batch(root: Path, n: int) -> Path:
    tables = tiny_tables()
    tables["projects"][0]["project_name"] = f"Web shop {n}"   # every batch differs, so every one publishes
    tables["financials"][0]["actual_cost"] = str(400 + n)
    return write_batch(root / f"batch{n}", tables)


def test_server_memory_levels_off_over_thirty_loads(browser, tmp_path):
    from pmo_metrics.warehouse import load_batch

    db = tmp_path / "pmo.duckdb"
    assert load_batch(_batch(tmp_path, 0), db, archive=False).status == "loaded"
    cards = len(overview_cards())
    started = time.monotonic()
    options = ("--server.disconnectedSessionTTL", str(SESSION_TTL_S))
    with serve(db, tmp_path, "streamlit-soak.log", options) as base:
        pid = SERVER_PIDS[base]
        context = browser.new_context(viewport=VIEWPORT, base_url=base)
        context.set_default_timeout(RUN_TIMEOUT_MS)
        page = context.new_page()
        samples = []
        try:
            for n in range(1, LOADS + 1):
                result = load_batch(_batch(tmp_path, n), db, archive=False)
                assert result.status == "loaded", result.message
                page.goto(f"{base}/")
                wait_for_run(page)
                assert_no_error(page, f"the overview after load {n}")
                # the figures are the new load's, not a cached older version's
                expect(page.get_by_text(re.compile(r"^Data loaded"))).to_contain_text(re.compile(rf"batch{n}\b"))
                expect(page.locator('[data-testid="stMetric"]')).to_have_count(cards)
                samples.append(settled_rss_mb(pid))
                if n == 1:
                    one_version = cached_bytes(base)   # what the overview caches for one version
                assert time.monotonic() - started < BUDGET_S, f"over {BUDGET_S} s after {n} loads"
            cached = cached_bytes(base)
        finally:
            context.close()
    print(f"st.cache_data after the first load {one_version:,} bytes, after the last {cached:,}")
    # The caches hold the current version's results only: those of older ones go at each load.
    assert cached < 2 * one_version, f"{cached:,} bytes cached after {LOADS} loads, {one_version:,} after one"
    print(f"server RSS after each load, MB: {[round(x) for x in samples]}")
    middle, last = statistics.median(samples[-2 * THIRD:-THIRD]), statistics.median(samples[-THIRD:])
    per_load = (last - middle) / THIRD
    assert per_load < MAX_GROWTH_PER_LOAD_MB, (
        f"RSS still grows {per_load:.2f} MB per load over the last {THIRD} loads: {samples}")
    # Warm-up (imports, first queries) is over after a few loads; nothing may creep up from there.
    assert last - samples[3] < MAX_GROWTH_AFTER_WARM_UP_MB, f"RSS grew {last - samples[3]:.0f} MB: {samples}"
