"""How fast the forecasts are on a loaded warehouse (the enterprise demo: 5,000 projects).

    python -m pmo_metrics demo --scale enterprise --out data/enterprise \
      && python -m pmo_metrics load data/enterprise --db data/enterprise.duckdb
    python benchmarks/bench_forecasts.py --db data/enterprise.duckdb

Warm figures are the median of repeated calls on one connection; "cold" is the first call on a
freshly opened database (DuckDB's buffers empty, nothing cached by the product).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from pmo_metrics import kpis  # noqa: E402
from pmo_metrics.db import Warehouse  # noqa: E402
from pmo_metrics.filters import Filters, month_add  # noqa: E402
from pmo_metrics.metrics import FORECAST_KPIS  # noqa: E402
from pmo_metrics.queries import records  # noqa: E402
from pmo_metrics.views import early_warning, forecasts  # noqa: E402


def _timed(fn, repeat: int) -> tuple[float, object]:
    walls, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        walls.append(time.perf_counter() - t)
    return statistics.median(walls) * 1000, result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", required=True, help="a loaded warehouse (opened read-only)")
    ap.add_argument("--as-of", default=None, help="month to measure (default: the warehouse's default)")
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args(argv)

    # cold: the backtest series for 36 months, first thing on a fresh connection
    cur = Warehouse(args.db).cursor()
    as_of = args.as_of or kpis.default_as_of(cur)
    f = Filters(as_of=as_of)
    start = month_add(as_of, -35)
    t = time.perf_counter()
    series = kpis.kpi_series(cur, "rcf_p80_coverage", f, start=start, end=as_of)
    cold_series = (time.perf_counter() - t) * 1000
    cur.close()

    cur = Warehouse(args.db).cursor()
    table_ms, table = _timed(lambda: forecasts.forecast_table(cur, f), args.repeat)
    kpis_ms, _ = _timed(lambda: records(cur, FORECAST_KPIS.sql, kpis.params(f, [as_of])), args.repeat)
    series_ms, _ = _timed(lambda: kpis.kpi_series(cur, "rcf_p80_coverage", f, start=start, end=as_of), 3)
    warnings_ms, warnings = _timed(lambda: early_warning.early_warnings(cur, f), args.repeat)
    value_ms, value = _timed(lambda: early_warning.signal_value(cur, f), 3)
    roadmap_ms, _ = _timed(lambda: forecasts.roadmap(cur, f), args.repeat)
    cur.close()

    print(f"as of {as_of}: {len(table):,} active projects forecast, {len(warnings):,} early warnings, "
          f"{series['value'].notna().sum()} of 36 backtest months with a value")
    rows = [
        ("forecast table: every active project's ES and reference-class forecast (warm)", table_ms),
        ("the four forecast KPIs for one month (warm)", kpis_ms),
        ("backtest series, 36 months (cold, fresh connection)", cold_series),
        ("backtest series, 36 months (warm)", series_ms),
        ("early-warning list at M (warm)", warnings_ms),
        ("signals' precision and lift, 24 months judged (warm)", value_ms),
        ("roadmap: bars and milestones (warm)", roadmap_ms),
    ]
    width = max(len(r[0]) for r in rows)
    for name, ms in rows:
        print(f"{name:<{width}}  {ms:8.0f} ms")
    print(value[["signal_id", "flagged", "precision", "base_rate", "lift"]].to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
