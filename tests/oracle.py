"""A second, independent reading of the KPI formulas: CONTRACT §3/§4 applied literally in pandas to
the contract tables, scanning the raw facts (no marts, no SQL). The engine is checked against it on
random warehouses (tests/kpis/test_kpis.py) and at enterprise scale (benchmarks/bench_kpis.py).

Independent of the engine's code, not of the contract: the cut-offs (stale days, the benefit
progress threshold, the excluded stages) are the contract's named constants, as for the engine.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from pmo_metrics.contract import BENEFIT_ON_TRACK, EXCLUDED_STAGES, LOAD_ORDER, RAG, STALE_REPORT_DAYS, TABLES
from pmo_metrics.filters import Filters, month_add, month_end, month_start


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


def _earned_schedule(start_date: pd.Timestamp, periods, planned_costs, ev: float) -> float:
    """ESₚ of CONTRACT §6, in plain Python: PV(t) month by month from the start month s."""
    s = pd.Period(start_date, "M")
    by_t: dict[int, float] = {}
    for period, planned in zip(periods, planned_costs):
        t = max((pd.Period(period, "M") - s).n + 1, 1)       # costs before s count from s on
        by_t[t] = by_t.get(t, 0.0) + float(planned)
    total = sum(by_t.values())
    pv = [0.0]
    for t in range(1, max(by_t) + 1):
        pv.append(pv[-1] + by_t.get(t, 0.0))
    n = next(t for t in range(1, len(pv)) if math.isclose(pv[t], total, rel_tol=1e-9, abs_tol=1e-9))
    c = max(t for t in range(0, n + 1) if pv[t] <= ev)
    return float(n) if c == n else c + (ev - pv[c]) / (pv[c + 1] - pv[c])


def _naive_spi_t(active: pd.DataFrame, pct: pd.Series, ev_p: pd.Series, fin: pd.DataFrame, as_of: str):
    """Σ ESₚ / Σ ATₚ over active projects with EVₚ and at least one financials row."""
    es_sum, at_sum = 0.0, 0
    m = pd.Period(as_of, "M")
    for idx, row in active.iterrows():
        rows = fin[fin["project_id"] == row["project_id"]]
        if pd.isna(pct.loc[idx]) or rows.empty:
            continue
        es_sum += _earned_schedule(row["start_date"], rows["period"], rows["planned_cost"], float(ev_p.loc[idx]))
        at_sum += (m - pd.Period(row["start_date"], "M")).n + 1
    return _ratio(es_sum, at_sum) if at_sum else None


def naive_kpis(t: dict[str, pd.DataFrame], f: Filters) -> dict[str, float | int | None]:
    """The KPIs of CONTRACT §3/§4 at f.as_of, straight from the contract's words."""
    as_of = f.as_of
    end = pd.Timestamp(month_end(as_of))
    start = pd.Timestamp(month_start(as_of))
    out: dict[str, float | int | None] = {}

    p = t["projects"]
    sel = p[~p["stage"].isin(EXCLUDED_STAGES)]
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
    for colour in RAG:
        out[f"rag_{colour}_share"] = _ratio(int((rag == colour).sum()), n)
    out["rag_missing_share"] = _ratio(int(last.isna().sum()), n)
    out["stale_status_share"] = _ratio(int(((end - last).dt.days > STALE_REPORT_DAYS).sum() + last.isna().sum()), n)

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
    out["spi_t"] = _naive_spi_t(active, pct, ev_p, fin, as_of)
    ytd = fin[(fin["period"] >= f"{as_of[:4]}-01") & (fin["period"] <= as_of) & fin["project_id"].isin(sel["project_id"])]
    out["budget_ytd"] = float(ytd["planned_cost"].sum())
    out["actual_cost_ytd"] = float(ytd["actual_cost"].sum())
    # No data is not zero: no selected project has any actual_cost in a period ≤ M
    if not to_date.loc[to_date["project_id"].isin(sel["project_id"]), "actual_cost"].notna().any():
        for k in ("actual_cost", "actual_cost_ytd", "cpi", "cost_variance", "eac", "vac", "tcpi"):
            out[k] = None

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
    at_risk = planned_b.notna() & (planned_b != base) & (actual_b.isna() | (prog < BENEFIT_ON_TRACK))
    out["benefits_at_risk"] = int(at_risk.sum())
    sel_cost = fin[(fin["period"] <= as_of) & fin["project_id"].isin(sel["project_id"])]["actual_cost"].sum()
    out["benefit_cost_ratio"] = _ratio(realized, float(sel_cost))
    # No data is not zero: no measurement ≤ M of the selected projects' financial benefits, or no actual cost
    if planned_b[fin_b].isna().all():
        for k in ("benefits_planned_to_date", "benefits_realized_to_date", "benefit_realization_rate",
                  "benefit_cost_ratio"):
            out[k] = None
    if out["actual_cost"] is None:
        out["benefit_cost_ratio"] = None

    _governance(t, sel, p[~p["stage"].isin(EXCLUDED_STAGES)], as_of, start, end, out)

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


def _governance(t, sel, selectable, as_of: str, start, end, out: dict) -> None:
    """The governance and PMO-cost KPIs of CONTRACT §3, in its words."""
    ms = t["milestones"]
    gates = ms[ms["project_id"].isin(sel["project_id"]) & ms["is_gate"].astype(bool)]
    due = gates[gates["baseline_date"] <= end]
    on_time = (due["actual_date"] <= due["baseline_date"]) & (due["actual_date"] <= end)
    out["gate_on_time_rate"] = _ratio(int(on_time.sum()), len(due))
    overdue = due["actual_date"].isna() | (due["actual_date"] > end)
    out["gates_overdue"] = int(overdue.sum()) if len(gates) else None

    gr = t["gate_reviews"]
    after = pd.Timestamp(month_end(month_add(as_of, -12)))
    window = gr[gr["project_id"].isin(sel["project_id"]) & (gr["review_date"] > after) & (gr["review_date"] <= end)]
    approved = window["decision"].isin(["approved", "approved_with_conditions"])
    out["gate_approval_rate"] = _ratio(int(approved.sum()), len(window))

    cr = t["change_requests"]
    cr = cr[cr["project_id"].isin(sel["project_id"])]
    has = len(cr) > 0
    still_open = (cr["raised_date"] <= end) & (cr["decided_date"].isna() | (cr["decided_date"] > end))
    out["open_change_requests"] = int(still_open.sum()) if has else None
    first = pd.Timestamp(month_start(month_add(as_of, -2)))
    decided = cr[(cr["decided_date"] >= first) & (cr["decided_date"] <= end)]
    cycle = (decided["decided_date"] - decided["raised_date"]).dt.days
    out["decision_cycle_days"] = float(cycle.mean()) if len(decided) else None
    out["escalated_decision_share"] = _ratio(int(decided["decided_at"].isin(["portfolio", "executive"]).sum()),
                                             len(decided))
    january = pd.Timestamp(f"{as_of[:4]}-01-01")
    ytd = cr[(cr["decision"] == "approved") & (cr["decided_date"] >= january) & (cr["decided_date"] <= end)]
    out["approved_change_cost_ytd"] = float(ytd["cost_impact"].fillna(0).sum()) if has else None

    pc = t["pmo_costs"]
    known = pc[(pc["period"] <= as_of) & pc["actual_cost"].notna()]
    this_year = known[known["period"] >= f"{as_of[:4]}-01"]
    out["pmo_cost_ytd"] = float(this_year["actual_cost"].sum()) if len(known) else None
    fin = t["financials"]
    fin = fin[fin["project_id"].isin(selectable["project_id"]) & (fin["period"] <= as_of)]
    spent = fin[fin["period"] >= f"{as_of[:4]}-01"]["actual_cost"].sum() if fin["actual_cost"].notna().any() else None
    out["pmo_cost_share"] = None if out["pmo_cost_ytd"] is None else _ratio(out["pmo_cost_ytd"], spent)


def compare(engine: dict, naive: dict, rel: float = 1e-9) -> list[str]:
    """The metrics where the two computations disagree."""
    bad = []
    for k, v in naive.items():
        e = engine[k]
        if (v is None) != (e is None) or (v is not None and not math.isclose(v, e, rel_tol=rel, abs_tol=1e-6)):
            bad.append(f"{k}: engine {e!r} naive {v!r}")
    return bad
