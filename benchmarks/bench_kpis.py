"""How fast the KPI engine is at enterprise scale, against the same KPIs computed naively in pandas.

    python benchmarks/bench_kpis.py                       # builds a synthetic enterprise warehouse
    python benchmarks/bench_kpis.py --db data/pmo.duckdb  # or measures a loaded one (read-only)
    python benchmarks/bench_kpis.py --keep benchmarks/out/enterprise.duckdb   # build once, reuse

The synthetic warehouse (5,000 projects, ~60k status reports, 2,000 resources, ~5M timesheet rows,
36 months) is generated inside DuckDB from hashes, so it is reproducible and takes seconds. The
naive computation reads the contract tables into pandas and applies CONTRACT §3 literally, scanning
the raw timesheets; it doubles as an independent oracle, and the script fails if the two disagree.

`naive_kpis` is importable: the tests use it as a second implementation to check the engine.
"""
from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pmo_metrics import kpis  # noqa: E402
from pmo_metrics.contract import LOAD_ORDER, TABLES, create_table_sql  # noqa: E402
from pmo_metrics.filters import Filters, month_end, month_start  # noqa: E402
from pmo_metrics.marts import build_marts  # noqa: E402

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


# -- the naive computation: CONTRACT §3 read literally, in pandas ----------------------------------

def read_tables(con) -> dict[str, pd.DataFrame]:
    """Every contract table as a pandas frame (dates as datetime64)."""
    out = {}
    for name in LOAD_ORDER:
        cols = ", ".join(f'"{c}"' for c in TABLES[name].column_names)
        out[name] = con.execute(f'SELECT {cols} FROM "{name}"').df()
        for c in TABLES[name].columns:
            if c.type == "date":
                out[name][c.name] = pd.to_datetime(out[name][c.name])
    return out


def _lookup(values: pd.Series, keys: pd.Series) -> pd.Series:
    """values (indexed by key) looked up for each of keys; missing keys give NaN/NaT."""
    return pd.Series(values.reindex(keys.to_numpy()).to_numpy(), index=keys.index)


def _ratio(num, den):
    if num is None or den is None or den == 0:
        return None
    return num / den


def naive_kpis(t: dict[str, pd.DataFrame], f: Filters) -> dict[str, float | int | None]:
    """The KPIs of CONTRACT §3/§4 at f.as_of, straight from the contract's words."""
    as_of = f.as_of
    end = pd.Timestamp(month_end(as_of))
    start = pd.Timestamp(month_start(as_of))
    out: dict[str, float | int | None] = {}

    p = t["projects"]
    sel = p[~p["stage"].isin(["idea", "cancelled"])]
    for col, values in (("portfolio", f.portfolios), ("program", f.programs),
                        ("business_unit", f.business_units), ("strategic_objective_id", f.objectives)):
        if values:
            sel = sel[sel[col].isin(values)]
    active = sel[(sel["start_date"] <= end) & (sel["actual_finish_date"].isna() | (sel["actual_finish_date"] > end))]
    n = len(active)
    out["active_projects"] = n

    sr = t["status_reports"]
    sr = sr[sr["report_date"] <= end]
    latest = sr.sort_values("report_date").groupby("project_id").tail(1).set_index("project_id")
    rag = _lookup(latest["overall_rag"], active["project_id"])
    last = _lookup(latest["report_date"], active["project_id"])
    for colour in ("green", "amber", "red"):
        out[f"rag_{colour}_share"] = _ratio(int((rag == colour).sum()), n)
    out["rag_missing_share"] = _ratio(int(last.isna().sum()), n)
    out["stale_status_share"] = _ratio(int(((end - last).dt.days > 35).sum() + last.isna().sum()), n)

    ms = t["milestones"]
    ms = ms[ms["project_id"].isin(sel["project_id"]) & (ms["baseline_date"] <= end)]
    on_time = (ms["actual_date"] <= ms["baseline_date"]) & (ms["actual_date"] <= end)
    out["milestone_on_time_rate"] = _ratio(int(on_time.sum()), len(ms))
    slip = (active["forecast_finish_date"].fillna(active["baseline_finish_date"]) - active["baseline_finish_date"]).dt.days
    out["avg_finish_slip_days"] = float(slip.mean()) if n else None
    done = sel[sel["actual_finish_date"] <= end]
    out["on_time_delivery_rate"] = _ratio(int((done["actual_finish_date"] <= done["baseline_finish_date"]).sum()), len(done))

    fin = t["financials"]
    to_date = fin[fin["period"] <= as_of]
    pv_p = _lookup(to_date.groupby("project_id")["planned_cost"].sum(), active["project_id"]).fillna(0.0)
    ac_p = _lookup(to_date.groupby("project_id")["actual_cost"].sum(), active["project_id"]).fillna(0.0)
    progress = sr[sr["percent_complete"].notna()].sort_values("report_date").groupby("project_id").tail(1)
    pct = _lookup(progress.set_index("project_id")["percent_complete"], active["project_id"]).astype(float)
    bac = active["budget_at_completion"]
    ev_p = (bac * pct.fillna(0) / 100)
    pv, ac = float(pv_p.sum()), float(ac_p.sum())
    ev = None if pct.isna().all() else float(ev_p.sum())
    out["planned_value"], out["earned_value"], out["actual_cost"] = pv, ev, ac
    out["spi"], out["cpi"] = _ratio(ev, pv), _ratio(ev, ac)
    out["schedule_variance"] = None if ev is None else ev - pv
    out["cost_variance"] = None if ev is None else ev - ac
    if ev is None:
        out["eac"] = out["vac"] = out["tcpi"] = None
    else:
        eac = 0.0
        for b, e, a in zip(bac, ev_p, ac_p):
            cpi_p = e / a if a != 0 else None
            eac += b / cpi_p if cpi_p is not None and cpi_p > 0 else a + b - e
        out["eac"], out["vac"] = eac, float(bac.sum()) - eac
        out["tcpi"] = _ratio(float(bac.sum()) - ev, float(bac.sum()) - ac)
    ytd = fin[(fin["period"] >= f"{as_of[:4]}-01") & (fin["period"] <= as_of) & fin["project_id"].isin(sel["project_id"])]
    out["budget_ytd"] = float(ytd["planned_cost"].sum())
    out["actual_cost_ytd"] = float(ytd["actual_cost"].sum())

    r = t["resources"]
    if f.departments:
        r = r[r["department"].isin(f.departments)]
    lo = np.maximum(r["start_date"].to_numpy("datetime64[D]"), np.datetime64(start.date()))
    hi = np.minimum(r["end_date"].fillna(end).to_numpy("datetime64[D]"), np.datetime64(end.date()))
    days = np.where(lo <= hi, np.busday_count(lo, hi + np.timedelta64(1, "D")), 0)
    capacity = pd.Series(r["weekly_capacity_hours"].to_numpy() * days / 5, index=r["resource_id"])
    ts = t["timesheets"]
    ts = ts[(ts["work_date"] >= start) & (ts["work_date"] <= end) & ts["resource_id"].isin(r["resource_id"])]
    hours = float(ts["hours"].sum())
    contractors = r.loc[r["employment_type"] == "contractor", "resource_id"]
    al = t["allocations"]
    al = al[(al["period"] == as_of) & al["resource_id"].isin(r["resource_id"])]
    planned = al.groupby("resource_id")["planned_hours"].sum().reindex(capacity.index, fill_value=0.0)
    out["utilization"] = _ratio(hours, float(capacity.sum()))
    out["allocation_rate"] = _ratio(float(al["planned_hours"].sum()), float(capacity.sum()))
    out["overallocated_resources"] = int((planned > capacity).sum())
    out["contractor_hours_share"] = _ratio(float(ts.loc[ts["resource_id"].isin(contractors), "hours"].sum()), hours)

    b = t["benefits"]
    b = b[b["project_id"].isin(sel["project_id"])]
    bm = t["benefit_measurements"]
    bm = bm[bm["period"] <= as_of].sort_values("period")
    last_planned = bm.groupby("benefit_id").tail(1).set_index("benefit_id")["planned_value"]
    last_actual = bm[bm["actual_value"].notna()].groupby("benefit_id").tail(1).set_index("benefit_id")["actual_value"]
    planned_b = _lookup(last_planned, b["benefit_id"]).astype(float)
    actual_b = _lookup(last_actual, b["benefit_id"]).astype(float)
    fin_b = b["category"] == "financial"
    realized = float(actual_b[fin_b].sum())
    out["benefits_planned_to_date"] = float(planned_b[fin_b].sum())
    out["benefits_realized_to_date"] = realized
    out["benefit_realization_rate"] = _ratio(realized, out["benefits_planned_to_date"])
    base = b["baseline_value"]
    with np.errstate(divide="ignore", invalid="ignore"):
        prog = (actual_b - base) / (planned_b - base)
    at_risk = planned_b.notna() & (planned_b != base) & (actual_b.isna() | (prog < 0.8))
    out["benefits_at_risk"] = int(at_risk.sum())
    sel_cost = fin[(fin["period"] <= as_of) & fin["project_id"].isin(sel["project_id"])]["actual_cost"].sum()
    out["benefit_cost_ratio"] = _ratio(realized, float(sel_cost))

    ma = t["maturity_assessments"]
    if f.business_units:
        ma = ma[ma["business_unit"].isin(f.business_units)]
    # an assessment is dated by its last row (it is complete when its last criterion is scored)
    dated = ma.groupby(["business_unit", "assessment_id"], as_index=False)["assessment_date"].max()
    heads = (dated[dated["assessment_date"] <= end].sort_values(["assessment_date", "assessment_id"])
             .groupby("business_unit").tail(1))
    ma = ma.merge(heads[["business_unit", "assessment_id"]], on=["business_unit", "assessment_id"])
    dom = ma.groupby(["business_unit", "domain"])["score"].mean()
    if dom.empty:
        out["maturity_score"] = out["maturity_level"] = None
    else:
        out["maturity_score"] = float(dom.groupby(level="business_unit").mean().mean())
        out["maturity_level"] = int(math.floor(dom.groupby(level="domain").mean().min() + 1e-9))
    return out


def compare(engine: dict, naive: dict, rel: float = 1e-9) -> list[str]:
    """The metrics where the two computations disagree."""
    bad = []
    for k, v in naive.items():
        e = engine[k]
        if (v is None) != (e is None) or (v is not None and not math.isclose(v, e, rel_tol=rel, abs_tol=1e-6)):
            bad.append(f"{k}: engine {e!r} naive {v!r}")
    return bad


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
        ("changes_since_last_month", lambda: kpis.changes_since_last_month(con, everyone)),
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
