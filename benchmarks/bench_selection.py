"""How fast the portfolio selection is on a realistic pipeline: the enterprise demo's candidates
(about 500 projects in stage idea, initiation or planning, scored as CONTRACT §7), with capacity
limits on the 10 departments the candidates need most, over the default planning window.

    python benchmarks/bench_selection.py                          # generates and loads the enterprise demo
    python benchmarks/bench_selection.py --db data/enterprise.duckdb      # or reads a loaded one
    python benchmarks/bench_selection.py --keep benchmarks/out/enterprise.duckdb   # build once, reuse

For each case it times the optimal selection (`selection.optimise`: the best score, then §7's
tie-breaks, zero optimality gap, the product's 60 s limit) and the score-vs-budget frontier (50
budgets from 0 to the total ask, 10 s per point), each the median of `--repeat` runs, and says whether
every answer was proven optimal. The cases: the limits at the departments' free capacity (§7 as the
pages start), then at 70 % and 50 % of what the candidates would need — binding limits in ten
departments at once, the multi-dimensional knapsack that is hard to prove optimal.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]  # run from anywhere

from pmo_metrics import scenarios, selection  # noqa: E402
from pmo_metrics.db import Warehouse  # noqa: E402
from pmo_metrics.filters import Filters  # noqa: E402
from pmo_metrics.selection import Scenario  # noqa: E402
from pmo_metrics.settings import SETTINGS  # noqa: E402

WEIGHTS = next(s.default for s in SETTINGS if s.name == "selection_weights")
DEPARTMENTS = 10
CASES = (("free capacity (§7)", None), ("70 % of the candidates' need", 0.7), ("50 % of the candidates' need", 0.5))


def build(path: Path) -> None:
    from pmo_metrics.demo import generate_demo
    from pmo_metrics.warehouse import load_batch

    with tempfile.TemporaryDirectory(prefix="bench-selection-") as tmp:
        print("generating the enterprise demo batch …", file=sys.stderr)
        generate_demo(Path(tmp) / "batch", scale="enterprise", seed=42)
        print("loading it …", file=sys.stderr)
        result = load_batch(Path(tmp) / "batch", path)
        if not result.ok:
            raise SystemExit(f"the enterprise demo did not load: {result.message}")


def timed(fn, repeat: int):
    times, out = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, help="a loaded warehouse (read only)")
    ap.add_argument("--keep", type=Path, help="build the enterprise demo warehouse here once and reuse it")
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement (median); default 3")
    ap.add_argument("--frontier-repeat", type=int, default=1, help="runs of each frontier; default 1")
    args = ap.parse_args(argv)

    tmp = None
    db = args.db or args.keep
    if db is None:
        tmp = tempfile.TemporaryDirectory(prefix="bench-selection-db-")
        db = Path(tmp.name) / "enterprise.duckdb"
    if not db.exists():
        build(db)
    cur = Warehouse(db).cursor()
    try:
        started = time.perf_counter()
        plan = scenarios.plan(cur, Filters(), WEIGHTS)
        plan_s = time.perf_counter() - started
    finally:
        cur.close()
    frame = plan.optimiser_frame()
    top = plan.capacity.sort_values("candidate_hours", ascending=False).head(DEPARTMENTS)
    budget = plan.total_ask / 2
    needing = plan.needs["project_id"].nunique()
    print(f"{len(frame)} candidates ({needing} with allocations in the window {plan.window[0]} to "
          f"{plan.window[1]}), total ask {plan.total_ask:,.0f}; budget {budget:,.0f} (half the ask); limits on "
          f"{len(top)} departments; reading the plan from the warehouse {plan_s:.2f} s; load average "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print()
    print("| limits | optimal selection (s) | proven | solves | funded | frontier, 50 budgets (s) | points proven |")
    print("|---|---:|---|---:|---:|---:|---:|")
    for name, share in CASES:
        limits = {str(d): float(free if share is None else share * need)
                  for d, free, need in zip(top["department"], top["free_hours"], top["candidate_hours"])}
        sc = Scenario(budget, limits)
        opt_s, best = timed(lambda: selection.optimise(frame, plan.needs, sc), args.repeat)
        fr_s, front = timed(lambda: selection.frontier(frame, plan.needs, sc), args.frontier_repeat)
        proven = int(front["optimal"].fillna(False).sum())
        print(f"| {name} | {opt_s:.2f} | {'yes' if best.optimal else 'no'} | {best.solves} | {len(best.funded)} "
              f"| {fr_s:.1f} | {proven} of {len(front)} |", flush=True)
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
