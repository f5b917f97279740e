"""How long each dashboard page takes to draw: the first run after a new load (every cache cold for
the new database version) and warm runs (cached results), measured with Streamlit's AppTest.

    python benchmarks/bench_pages.py --db data/enterprise.duckdb [--warm 5] [--pages overview,finance]

Make an enterprise-scale database first:

    python -m pmo_metrics demo --scale enterprise --out data/enterprise-batch
    python -m pmo_metrics load data/enterprise-batch --db data/enterprise.duckdb

The database is copied to a temporary folder, and a "new load" is simulated by touching the copy:
the app keys its caches by the file's identity, so every page then recomputes everything, as after a
real load (the operating system's file cache stays warm, as it would on a server). Times are for the
whole script run — entry file, sidebar filters and page — as a user waits for it.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from anywhere: `python benchmarks/bench_pages.py`


def _pages(selected: str | None) -> list[str]:
    pages = sorted(p.stem for p in (ROOT / "pages").glob("*.py") if not p.name.startswith("_"))
    if selected:
        wanted = [s.strip() for s in selected.split(",") if s.strip()]
        unknown = set(wanted) - set(pages)
        if unknown:
            raise SystemExit(f"unknown page(s): {', '.join(sorted(unknown))}; pages: {', '.join(pages)}")
        pages = [p for p in pages if p in wanted]
    return pages


def _new_load(path: Path) -> None:
    """Give the database a new identity, as a load that publishes a new file does."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, max(time.time_ns(), st.st_mtime_ns + 1_000_000)))


def _run(at, timeout: float) -> float:
    start = time.perf_counter()
    at.run(timeout=timeout)
    elapsed = time.perf_counter() - start
    problems = [e.value for e in at.exception] + [e.value for e in at.error]
    if problems:
        raise RuntimeError(f"the page failed: {problems[0][:300]}")
    return elapsed


def bench(db: Path, pages: list[str], warm: int, timeout: float) -> list[dict]:
    from streamlit.testing.v1 import AppTest

    rows = []
    for page in pages:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
        _run(at, timeout)                       # the landing page, so the session exists
        _new_load(db)
        at.switch_page(f"pages/{page}.py")
        cold = _run(at, timeout)
        times = [_run(at, timeout) for _ in range(warm)]
        rows.append({"page": page, "cold": cold, "warm_median": statistics.median(times) if times else float("nan"),
                     "warm_max": max(times) if times else float("nan")})
        print(f"  {page:<16} first run after a load {cold:7.2f} s   warm {rows[-1]['warm_median']:6.2f} s",
              file=sys.stderr, flush=True)
    return rows


def table(rows: list[dict], db: Path, warm: int) -> str:
    lines = [f"Dashboard page runs on {db.name} ({db.stat().st_size / 1024 ** 2:,.0f} MB); warm = median of {warm}",
             "",
             f"| {'page':<16} | first run after a load (s) | warm run (s) | slowest warm (s) |",
             f"|{'-' * 18}|{'-' * 28}|{'-' * 14}|{'-' * 18}|"]
    for r in rows:
        lines.append(f"| {r['page']:<16} | {r['cold']:>26.2f} | {r['warm_median']:>12.2f} | {r['warm_max']:>16.2f} |")
    total_cold = sum(r["cold"] for r in rows)
    total_warm = sum(r["warm_median"] for r in rows)
    lines.append(f"| {'all pages':<16} | {total_cold:>26.2f} | {total_warm:>12.2f} | {'':>16} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="a loaded warehouse (enterprise scale for the real test)")
    parser.add_argument("--warm", type=int, default=3, help="warm runs per page (default 3)")
    parser.add_argument("--pages", help="comma-separated page names (default: every page)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds one run may take (default 600)")
    args = parser.parse_args(argv)
    if not args.db.is_file():
        print(f"error: no database at {args.db}", file=sys.stderr)
        return 2
    pages = _pages(args.pages)
    with tempfile.TemporaryDirectory(prefix="pmo-bench-") as tmp:
        db = Path(tmp) / args.db.name
        shutil.copyfile(args.db, db)
        log = args.db.with_name(args.db.name + ".loads.jsonl")
        if log.exists():
            shutil.copyfile(log, db.with_name(db.name + ".loads.jsonl"))
        os.environ["PMO_DB"] = str(db)
        os.environ["PMO_BUILD_DEMO_WHEN_EMPTY"] = "0"
        os.chdir(ROOT)
        rows = bench(db, pages, args.warm, args.timeout)
        print(table(rows, db, args.warm))
    return 0


if __name__ == "__main__":
    sys.exit(main())
