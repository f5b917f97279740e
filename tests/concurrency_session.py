"""One dashboard session for tests/test_concurrency.py, in a process of its own.

    python tests/concurrency_session.py INDEX RESULTS_FILE DONE_FILE

Walks every page (starting at a different one per session) with AppTest against the database named
by PMO_DB, writing one JSON line per page run: (page, batch named in the provenance line, the Active
projects card, problems shown, whether the load had finished when the run began). Once DONE_FILE
exists it goes on until two more pages have shown their provenance line, then stops.
"""
from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
PAGES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py") if not p.name.startswith("_"))
BUDGET_S = 240  # a safety net only: twenty sessions share two cores


def snapshot(at: AppTest) -> dict:
    batch = None
    for cap in at.caption:
        m = re.search(r"Data loaded .* from \S*?(oldbatch|newbatch)", cap.value.replace("\\", ""))
        if m:
            batch = m.group(1)
    active = next((m.value for m in at.metric if m.label == "Active projects"), None)
    problems = [str(e.value) for e in at.exception] + [str(e.value) for e in at.error]
    return {"batch": batch, "active": active, "problems": problems}


def main(index: int, results: Path, done: Path) -> None:
    pages = PAGES[index % len(PAGES):] + PAGES[:index % len(PAGES)]
    deadline = time.monotonic() + BUDGET_S
    # Twelve sessions share two cores with the load and the suite's other tests: a page may wait
    # its turn for over a minute on a slow machine (seen: the monthly review, 60 s). The test is
    # about which data a page shows, not how soon.
    at = AppTest.from_file(str(APP), default_timeout=180)
    after_load, k = 0, 0
    with open(results, "a", encoding="utf-8") as out:
        while time.monotonic() < deadline and after_load < 2:
            page = pages[k % len(pages)]
            k += 1
            finished = done.exists()
            try:
                at.switch_page(page).run() if k > 1 else at.run()
                row = {"page": page if k > 1 else "app.py", **snapshot(at)}
            except Exception as exc:  # noqa: BLE001 — reported to the test as a problem
                row = {"page": page, "batch": None, "active": None, "problems": [f"{type(exc).__name__}: {exc}"]}
            out.write(json.dumps({"session": index, "after_load": finished, **row}) + "\n")
            out.flush()
            if finished and row["batch"] is not None:
                after_load += 1


if __name__ == "__main__":
    main(int(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
