"""How fast the KPI engine is at enterprise scale, against the same KPIs computed naively in pandas.

    python benchmarks/bench_kpis.py                       # builds a synthetic enterprise warehouse
    python benchmarks/bench_kpis.py --db data/pmo.duckdb  # or measures a loaded one (read-only)
    python benchmarks/bench_kpis.py --keep benchmarks/out/enterprise.duckdb   # build once, reuse

The synthetic warehouse (5,000 projects, ~60k status reports, 2,000 resources, ~5M timesheet rows,
36 months) is generated inside DuckDB from hashes, so it is reproducible and takes seconds. The
naive computation is the tests' independent oracle (tests/oracle.py): it reads the contract tables
into pandas and applies CONTRACT §3 literally, scanning the raw timesheets, and the script fails if
the two disagree.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # run from anywhere; the oracle lives with the tests

from oracle import compare, naive_kpis, read_tables  # noqa: E402
from pmo_metrics import kpis  # noqa: E402
from pmo_metrics.contract import LOAD_ORDER, TABLES, create_table_sql  # noqa: E402
from pmo_metrics.filters import Filters, month_end, month_start  # noqa: E402
from pmo_metrics.marts import build_marts  # noqa: E402
from pmo_metrics.views import benefits, changes, projects, resources  # noqa: E402

AS_OF = "2024-06"
WINDOW_START = "2021-07-01"   # 36 months: 2021-07 … 2024-06

# -- a synthetic enterprise warehouse -------------------------------------------------------------

# u(i, k): a reproducible uniform number in [0, 1) from a row number and a salt.
_U = "((hash({i}, {k}) % 1000003) / 1000003.0)"


def _u(i: str, k: int) -> str:
    return _U.format(i=i, k=k)


_SYNTHETIC_SQL = [
    # projects: 5,000; ~5 % idea, 3 % cancelled, 5 % on hold; those due before the data end are closed
    f"""
    INSERT INTO projects
    WITH base AS (
        SELECT i,
               date '2020-01-01' + (({_u('i', 1)}) * 1620)::INTEGER AS start_date,
               (150 + ({_u('i', 2)}) * 750)::INTEGER AS duration,
               (({_u('i', 3)}) * 150 - 30)::INTEGER AS slip,
               {_u('i', 4)} AS s
        FROM range(5000) t(i)
    ), dated AS (
        SELECT *, start_date + duration AS baseline_finish, start_date + duration + slip AS forecast_finish
        FROM base
    )
    SELECT 'P' || lpad(i::VARCHAR, 5, '0'), 'Project ' || i, 'Portfolio ' || (i % 10),
           CASE WHEN i % 9 = 0 THEN NULL ELSE 'Program ' || (i % 60) END,
           'BU ' || (i % 20), CASE WHEN i % 11 = 0 THEN NULL ELSE 'O' || (i % 10) END,
           'Sponsor ' || (i % 50), CASE WHEN i % 97 = 0 THEN NULL ELSE 'PM ' || (i % 400) END,
           (['predictive', 'agile', 'hybrid'])[1 + i % 3],
           CASE WHEN s < 0.05 THEN 'idea' WHEN s < 0.08 THEN 'cancelled'
                WHEN forecast_finish <= date '{month_end(AS_OF)}' THEN 'closed'
                WHEN s < 0.13 THEN 'on_hold'
                WHEN start_date > date '{month_end(AS_OF)}' THEN 'planning'
                ELSE 'execution' END,
           round({_u('i', 5)} * 100), start_date, baseline_finish,
           CASE WHEN i % 4 = 0 THEN NULL ELSE forecast_finish END,
           CASE WHEN s >= 0.08 AND forecast_finish <= date '{month_end(AS_OF)}' THEN forecast_finish END,
           round(50000 + {_u('i', 6)} * 2000000, 2)
        FROM dated
    """,
    "INSERT INTO strategic_objectives SELECT 'O' || i, 'Objective ' || i, 1 + i % 3 FROM range(10) t(i)",
    # status reports: monthly on the 25th while a project runs, inside the 36-month window; 20 % of
    # projects never report progress and 10 % of reports lack it
    f"""
    INSERT INTO status_reports
    SELECT p.project_id, d::DATE + 24,
           CASE WHEN {_u('hash(p.project_id, d)', 7)} < 0.6 THEN 'green'
                WHEN {_u('hash(p.project_id, d)', 7)} < 0.85 THEN 'amber' ELSE 'red' END,
           NULL, NULL, NULL,
           CASE WHEN hash(p.project_id) % 5 = 0 OR {_u('hash(p.project_id, d)', 8)} < 0.1 THEN NULL
                ELSE least(100, greatest(0, round(100.0 * date_diff('day', p.start_date, d::DATE + 24)
                                                   / greatest(1, date_diff('day', p.start_date, p.baseline_finish_date)), 1)))
           END,
           NULL
    FROM projects p,
         generate_series(greatest(date_trunc('month', p.start_date), date '{WINDOW_START}'),
                         least(coalesce(p.actual_finish_date, date '{month_end(AS_OF)}'), date '{month_end(AS_OF)}'),
                         INTERVAL 1 MONTH) g(d)
    WHERE p.stage NOT IN ('idea') AND hash(p.project_id, d) % 12 <> 0
    """,
    """
    INSERT INTO milestones
    SELECT p.project_id || '-M' || k, p.project_id, 'Milestone ' || k, k % 3 = 0,
           p.start_date + (date_diff('day', p.start_date, p.baseline_finish_date) * k / 8)::INTEGER,
           CASE WHEN k % 2 = 0 THEN p.start_date + (date_diff('day', p.start_date, p.baseline_finish_date) * k / 8)::INTEGER + (hash(p.project_id, k) % 40)::INTEGER - 10 END,
           CASE WHEN p.start_date + (date_diff('day', p.start_date, p.baseline_finish_date) * k / 8)::INTEGER < date '2024-06-15'
                THEN p.start_date + (date_diff('day', p.start_date, p.baseline_finish_date) * k / 8)::INTEGER + (hash(p.project_id, k, 1) % 30)::INTEGER - 12 END
    FROM projects p, range(1, 9) t(k)
    """,
    """
    INSERT INTO risks
    SELECT p.project_id || '-R' || k, p.project_id, 'Risk ' || k, 1 + hash(p.project_id, k) % 5,
           1 + hash(p.project_id, k, 2) % 5, CASE WHEN k % 3 = 0 THEN 'closed' ELSE 'open' END, NULL,
           p.start_date + (hash(p.project_id, k, 3) % 400)::INTEGER,
           CASE WHEN k % 3 = 0 THEN p.start_date + (hash(p.project_id, k, 3) % 400)::INTEGER + 60 END
    FROM projects p, range(6) t(k)
    """,
    # financials: each month of the project's life × capex/opex; actuals up to the data end
    f"""
    INSERT INTO financials
    SELECT p.project_id, strftime(d, '%Y-%m'), c,
           round(p.budget_at_completion / greatest(1, date_diff('month', p.start_date, p.baseline_finish_date) + 1)
                 * CASE c WHEN 'capex' THEN 0.7 ELSE 0.3 END, 2),
           CASE WHEN d <= date '{month_start(AS_OF)}'
                THEN round(p.budget_at_completion / greatest(1, date_diff('month', p.start_date, p.baseline_finish_date) + 1)
                           * CASE c WHEN 'capex' THEN 0.7 ELSE 0.3 END * (0.8 + 0.5 * {_u('hash(p.project_id, d, c)', 9)}), 2) END,
           NULL
    FROM projects p, (VALUES ('capex'), ('opex')) cc(c),
         generate_series(date_trunc('month', p.start_date), date_trunc('month', p.baseline_finish_date), INTERVAL 1 MONTH) g(d)
    WHERE p.stage <> 'idea' AND hash(p.project_id) % 13 <> 0
    """,
    f"""
    INSERT INTO resources
    SELECT 'R' || lpad(i::VARCHAR, 4, '0'), 'Person ' || i, (['Analyst', 'Engineer', 'PM', 'Architect'])[1 + i % 4],
           'Dept ' || (i % 25), CASE WHEN i % 5 = 0 THEN 'contractor' ELSE 'employee' END,
           (ARRAY[40.0, 37.5, 20.0, 40.0])[1 + i % 4], 40 + i % 60,
           CASE WHEN i % 10 = 0 THEN date '2022-01-01' + (hash(i) % 700)::INTEGER ELSE date '2019-01-01' END,
           CASE WHEN i % 17 = 0 THEN date '2023-01-01' + (hash(i, 1) % 500)::INTEGER END
    FROM range(2000) t(i)
    """,
    f"""
    INSERT INTO allocations
    SELECT r.resource_id, 'P' || lpad((hash(r.resource_id, k) % 5000)::VARCHAR, 5, '0'), strftime(d, '%Y-%m'),
           20 + hash(r.resource_id, d, k) % 60
    FROM resources r, range(3) t(k),
         generate_series(date '{WINDOW_START}', date '{month_start(AS_OF)}', INTERVAL 1 MONTH) g(d)
    """,
    # timesheets: every weekday each resource is employed, 2–5 bookings on its projects (~5M rows)
    f"""
    INSERT INTO timesheets
    SELECT r.resource_id, 'P' || lpad((hash(r.resource_id, k) % 5000)::VARCHAR, 5, '0'), d::DATE,
           round(r.weekly_capacity_hours / 5 / (2 + hash(r.resource_id, d) % 4), 2)
    FROM resources r,
         generate_series(date '{WINDOW_START}', date '{month_end(AS_OF)}', INTERVAL 1 DAY) g(d),
         range(5) t(k)
    WHERE dayofweek(d) BETWEEN 1 AND 5 AND k < 2 + hash(r.resource_id, d) % 4
      AND d >= r.start_date AND (r.end_date IS NULL OR d <= r.end_date)
      AND hash(r.resource_id, d, 9) % 20 <> 0
    """,
    """
    INSERT INTO benefits
    SELECT p.project_id || '-B' || k, p.project_id, 'Benefit ' || k,
           CASE WHEN k = 0 THEN 'financial' ELSE 'non_financial' END,
           CASE WHEN k = 0 THEN 'cost_saving' ELSE 'productivity' END, NULL, CASE WHEN k = 0 THEN 'GBP' ELSE 'hours' END,
           0, p.budget_at_completion * 1.5, strftime(p.baseline_finish_date, '%Y-%m'),
           strftime(p.baseline_finish_date + 720, '%Y-%m')
    FROM projects p, range(2) t(k)
    WHERE p.stage NOT IN ('idea', 'cancelled')
    """,
    f"""
    INSERT INTO benefit_measurements
    SELECT b.benefit_id, strftime(d, '%Y-%m'),
           b.target_value * date_diff('month', strptime(b.planned_start, '%Y-%m'), d) / 24.0,
           CASE WHEN hash(b.benefit_id, d) % 4 <> 0
                THEN b.target_value * date_diff('month', strptime(b.planned_start, '%Y-%m'), d) / 24.0
                     * (0.5 + {_u('hash(b.benefit_id, d)', 10)}) END
    FROM benefits b,
         generate_series(strptime(b.planned_start, '%Y-%m'),
                         least(strptime(b.planned_end, '%Y-%m'), date '{month_start(AS_OF)}'), INTERVAL 1 MONTH) g(d)
    """,
    """
    INSERT INTO maturity_assessments
    SELECT 'A' || a || '-' || bu, date '2021-09-15' + (a * 180)::INTEGER, 'BU ' || bu, dm, dm || '-' || c,
           1 + hash(a, bu, dm, c) % 5, CASE WHEN c = 0 THEN 4 END, NULL
    FROM range(6) t(a), range(20) u(bu), range(4) v(c),
         (SELECT unnest(['strategic_alignment', 'governance', 'talent', 'integration_tools', 'performance',
                         'value_delivery', 'leadership', 'change_management', 'continuous_improvement'])) w(dm)
    """,
]


def build_synthetic(con) -> dict[str, int]:
    """Fill an empty connection with an enterprise-size warehouse (contract tables + marts)."""
    for name in LOAD_ORDER:
        con.execute(create_table_sql(TABLES[name]))
    for sql in _SYNTHETIC_SQL:
        con.execute(sql)
    t = time.perf_counter()
    build_marts(con)
    con.execute("CHECKPOINT")
    rows = {name: con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in LOAD_ORDER}
    rows["_marts_seconds"] = time.perf_counter() - t
    return rows


# -- measuring ------------------------------------------------------------------------------------

def _timed(fn, repeat: int) -> tuple[float, float, object]:
    """Median wall-clock and CPU milliseconds of warm calls (CPU time shows the cost of a call
    even when other processes compete for the cores)."""
    result = fn()  # warm: the first call parses SQL and pages data in
    walls, cpus = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls) * 1000, statistics.median(cpus) * 1000, result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", help="measure this loaded warehouse (opened read-only) instead of building one")
    ap.add_argument("--keep", help="build the synthetic warehouse into this file (reused if it exists)")
    ap.add_argument("--as-of", default=None, help="month to measure (default: the warehouse's default)")
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--threads", type=int, help="DuckDB threads (default: DuckDB's, one per core)")
    args = ap.parse_args(argv)

    if args.db:
        con = duckdb.connect()
        con.execute("ATTACH ? AS pmo (READ_ONLY)", [args.db])
        con.execute("USE pmo")
        print(f"warehouse: {args.db}")
    elif args.keep and Path(args.keep).exists():
        con = duckdb.connect(args.keep, read_only=True)
        print(f"warehouse: {args.keep} (kept from an earlier run)")
    else:
        t = time.perf_counter()
        if args.keep:
            Path(args.keep).parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(args.keep or ":memory:")
        rows = build_synthetic(con)
        print(f"synthetic warehouse built in {time.perf_counter() - t:.1f} s "
              f"(marts {rows.pop('_marts_seconds'):.2f} s): "
              + ", ".join(f"{k} {v:,}" for k, v in rows.items()))
        if args.keep:
            con.close()
            con = duckdb.connect(args.keep, read_only=True)

    if args.threads:
        con.execute(f"SET threads = {int(args.threads)}")
    as_of = args.as_of or kpis.default_as_of(con)
    options = kpis.filter_options(con)
    portfolio, department = options["portfolios"][:1], options["departments"][:1]
    everyone = Filters(as_of=as_of)
    narrowed = Filters(as_of=as_of, portfolios=tuple(portfolio), departments=tuple(department))
    print(f"as of {as_of}; filtered = portfolio {portfolio}, department {department}\n")

    figures = []
    for label, fn in [
        ("compute_kpis, all projects", lambda: kpis.compute_kpis(con, everyone)),
        ("compute_kpis, filtered", lambda: kpis.compute_kpis(con, narrowed)),
        ("compare_kpis (M and M-1)", lambda: kpis.compare_kpis(con, everyone)),
        ("kpi_series cpi, 36 months", lambda: kpis.kpi_series(con, "cpi", everyone)),
        ("kpi_series utilization, 36 months", lambda: kpis.kpi_series(con, "utilization", everyone)),
        ("kpi_series benefit_cost_ratio, 36 m", lambda: kpis.kpi_series(con, "benefit_cost_ratio", everyone)),
        ("kpi_series milestone rate, 36 months", lambda: kpis.kpi_series(con, "milestone_on_time_rate", everyone)),
        ("kpi_series maturity_score, 36 months", lambda: kpis.kpi_series(con, "maturity_score", everyone)),
        ("kpi_breakdown cpi by portfolio", lambda: kpis.kpi_breakdown(con, "cpi", everyone, "portfolio")),
        ("project_table", lambda: kpis.project_table(con, everyone)),
        ("evm_curve, 36 months", lambda: kpis.evm_curve(con, everyone)),
        ("changes_since_last_month", lambda: changes.changes_since_last_month(con, everyone)),
        # page tables on the same queries: the resource ones used to run one query per month
        ("drill-down by portfolio", lambda: projects.drill_rollup(con, everyone, "portfolio")),
        ("resources by month, 15 months", lambda: resources.by_month(con, everyone)),
        ("resources by department", lambda: resources.by_group(con, everyone, "department")),
        ("benefits by type", lambda: benefits.by_group(con, everyone, "benefit_type")),
    ]:
        wall, cpu, _ = _timed(fn, args.repeat)
        figures.append((label, wall, cpu))

    w, c = time.perf_counter(), time.process_time()
    tables = read_tables(con)
    figures.append(("pandas: read the tables", (time.perf_counter() - w) * 1000, (time.process_time() - c) * 1000))
    wall, cpu, naive = _timed(lambda: naive_kpis(tables, everyone), max(1, args.repeat // 5))
    figures.append(("pandas naive, all KPIs, all projects", wall, cpu))
    wall, cpu, naive_f = _timed(lambda: naive_kpis(tables, narrowed), max(1, args.repeat // 5))
    figures.append(("pandas naive, all KPIs, filtered", wall, cpu))

    width = max(len(label) for label, *_ in figures)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"DuckDB threads {con.execute('SELECT current_setting(?)', ['threads']).fetchone()[0]}, "
          f"{os.cpu_count()} CPUs, load average {load:.1f}")
    print(f"{'what (warm, median)':<{width}}  {'wall ms':>9}  {'cpu ms':>9}")
    for label, wall, cpu in figures:
        print(f"{label:<{width}}  {wall:9.1f}  {cpu:9.1f}")

    bad = compare(kpis.compute_kpis(con, everyone), naive) + compare(kpis.compute_kpis(con, narrowed), naive_f)
    print("\nengine vs naive pandas: " + ("all KPIs agree" if not bad else "DISAGREE\n  " + "\n  ".join(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
