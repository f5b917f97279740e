"""The KPI engine: every figure of CONTRACT §3 and §4, as of a month, under the user's filters.

All functions take an open DuckDB connection (read-only is fine: nothing here creates tables) whose
database was loaded by the loader, so the marts of `pmo_metrics.marts` exist. The formulas live in
`sql/kpis/*.sql`; each KPI is computed by exactly one query ("engine"), used for the cards, the
month-over-month comparison, the series and the breakdowns alike, so they cannot disagree.
"""
from __future__ import annotations

import math
from typing import Any

import pandas as pd

from . import metrics as registry
from .filters import Filters, month_add, months_between, previous_month
from .marts import check_marts, load_sql, sql_params

# Each engine is one query returning, per month and breakdown group, the columns named here.
ENGINES: dict[str, tuple[str, tuple[str, ...]]] = {
    "projects": ("kpis/project_kpis", (
        "active_projects", "rag_green_share", "rag_amber_share", "rag_red_share", "rag_missing_share",
        "stale_status_share", "avg_finish_slip_days", "on_time_delivery_rate", "planned_value",
        "earned_value", "actual_cost", "spi", "cpi", "schedule_variance", "cost_variance", "eac", "vac",
        "tcpi", "budget_ytd", "actual_cost_ytd",
    )),
    "milestones": ("kpis/milestone_kpis", ("milestone_on_time_rate",)),
    "resources": ("kpis/resource_kpis", (
        "utilization", "allocation_rate", "overallocated_resources", "contractor_hours_share",
    )),
    "benefits": ("kpis/benefit_kpis", (
        "benefits_planned_to_date", "benefits_realized_to_date", "benefit_realization_rate",
        "benefits_at_risk", "benefit_cost_ratio",
    )),
    "maturity": ("kpis/maturity_kpis", ("maturity_score", "maturity_level")),
}
METRIC_ENGINE: dict[str, str] = {m: engine for engine, (_, ids) in ENGINES.items() for m in ids}

# Breakdown dimensions each engine accepts: the `by` argument is checked against these (they are
# bound as a parameter and mapped to columns inside the SQL, never pasted).
PROJECT_DIMENSIONS = ("portfolio", "program", "business_unit", "objective", "project")
BREAKDOWNS: dict[str, tuple[str, ...]] = {
    "projects": PROJECT_DIMENSIONS,
    "milestones": PROJECT_DIMENSIONS,
    "benefits": PROJECT_DIMENSIONS,
    "resources": ("department", "role", "employment_type"),
    "maturity": ("business_unit", "domain"),
}

DEFAULT_SERIES_MONTHS = 36
_MAX_MONTHS = 240  # a stray date in 1900 must not make every month picker 1,500 entries long


# -- plumbing -------------------------------------------------------------------------------------

def _query(con, name: str, params: dict[str, Any]) -> pd.DataFrame:
    sql = load_sql(name)
    bound = {k: params.get(k) for k in sql_params(sql)}
    return con.execute(sql, bound).df()


def _records(con, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Like _query, as plain dicts: the KPI cards need a few rows, and a DataFrame costs more
    to build than the query takes to run."""
    sql = load_sql(name)
    cur = con.execute(sql, {k: params.get(k) for k in sql_params(sql)})
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def _params(filters: Filters, months: list[str], group_by: str = "all",
            project_id: str | None = None, **extra) -> dict[str, Any]:
    return {
        "months": list(months),
        "group_by": group_by,
        "project_id": project_id,
        "departments": list(filters.departments),
        **filters.project_params(),
        **extra,
    }


def _scalar(metric_id: str, value):
    """A plain Python number or None (never NaN, numpy or pandas NA) for the CLI's JSON and the pages."""
    if value is None or value is pd.NA:
        return None
    try:
        if math.isnan(value):
            return None
    except TypeError:
        return None
    if registry.METRICS[metric_id].unit == "count" or metric_id == "maturity_level":
        return int(value)
    return float(value)


def _resolve_as_of(con, filters: Filters) -> str | None:
    if filters.as_of is not None:
        check_marts(con)
        return filters.as_of
    return default_as_of(con)


def _values_by_month(con, filters: Filters, months: list[str], engines) -> dict[str, dict[str, Any]]:
    """{month: {metric_id: value}} for the metrics of the given engines (no breakdown)."""
    out: dict[str, dict[str, Any]] = {m: {} for m in months}
    for engine in engines:
        name, ids = ENGINES[engine]
        for row in _records(con, name, _params(filters, months)):
            # without a breakdown every engine returns exactly one row per month (group 'all')
            out[row["month"]].update({m: _scalar(m, row[m]) for m in ids})
    return out


# -- calendar and filter choices -----------------------------------------------------------------

def _calendar(con) -> dict[str, str | None]:
    check_marts(con)
    cur = con.execute("SELECT * FROM marts.calendar")
    row = cur.fetchone()
    return dict(zip([d[0] for d in cur.description], row)) if row else {}


def default_as_of(con) -> str | None:
    """The month of the latest status report; else the latest month anything was observed
    (bookings, actual costs, benefit actuals, assessments, milestone actuals, risks); else None."""
    cal = _calendar(con)
    return cal.get("latest_report_month") or cal.get("latest_observed_month")


def available_months(con) -> list[str]:
    """Every month from the first month with data to the latest observed one, oldest first."""
    cal = _calendar(con)
    last = max(filter(None, (cal.get("latest_report_month"), cal.get("latest_observed_month"))), default=None)
    first = cal.get("first_month")
    if last is None:
        return []
    first = max(first or last, month_add(last, -(_MAX_MONTHS - 1)))
    return months_between(min(first, last), last)


def filter_options(con) -> dict[str, list[str]]:
    """The values each filter can take: portfolios, programs, business_units, objectives (ids) with
    objective_names (the same order), departments, and months. Lists are sorted."""
    check_marts(con)

    def values(sql: str) -> list[str]:
        return [r[0] for r in con.execute(sql).fetchall() if r[0] is not None]

    objectives = con.execute(
        "SELECT objective_id, any_value(objective_name) FROM ("
        " SELECT objective_id, objective_name FROM strategic_objectives"
        " UNION ALL SELECT objective_id, objective_name FROM marts.projects WHERE is_selectable"
        ") WHERE objective_id IS NOT NULL GROUP BY objective_id ORDER BY objective_id").fetchall()
    return {
        "portfolios": values("SELECT DISTINCT portfolio FROM marts.projects WHERE is_selectable ORDER BY 1"),
        "programs": values("SELECT DISTINCT program FROM marts.projects WHERE is_selectable ORDER BY 1"),
        "business_units": values(
            "SELECT business_unit FROM marts.projects WHERE is_selectable "
            "UNION SELECT business_unit FROM marts.maturity_domains ORDER BY 1"),
        "objectives": [o[0] for o in objectives],
        "objective_names": [o[1] if o[1] is not None else o[0] for o in objectives],
        "departments": values("SELECT DISTINCT department FROM resources ORDER BY 1"),
        "months": available_months(con),
    }


# -- the figures ------------------------------------------------------------------------------------

def compute_kpis(con, filters: Filters) -> dict[str, float | int | None]:
    """Every metric of the registry at filters.as_of (default: default_as_of), in registry order.

    Counts are int; everything else float; an empty figure (zero denominator, no data) is None.
    """
    as_of = _resolve_as_of(con, filters)
    if as_of is None:
        return {m: None for m in registry.METRICS}
    values = _values_by_month(con, filters, [as_of], ENGINES)[as_of]
    return {m: values[m] for m in registry.METRICS}


def compare_kpis(con, filters: Filters, previous: str | None = None) -> pd.DataFrame:
    """One row per metric (registry order): value at M, at `previous` (default M − 1), the change,
    its direction, RAG status and the formatted texts. frame.attrs holds as_of and previous."""
    as_of = _resolve_as_of(con, filters)
    columns = ["id", "label", "group", "unit", "good", "value", "previous", "change", "direction",
               "status", "previous_status", "formatted", "formatted_previous", "formatted_change",
               "definition"]
    if as_of is None:
        frame = pd.DataFrame(columns=columns)
        frame.attrs.update(as_of=None, previous=None)
        return frame
    previous = previous or previous_month(as_of)
    values = _values_by_month(con, filters, [previous, as_of] if previous != as_of else [as_of], ENGINES)
    rows = []
    for m in registry.METRICS.values():
        value, before = values[as_of][m.id], values[previous][m.id]
        change = None if value is None or before is None else value - before
        rows.append({
            "id": m.id, "label": m.label, "group": m.group, "unit": m.unit, "good": m.good,
            "value": value, "previous": before, "change": change,
            "direction": registry.direction(m.id, change),
            "status": registry.status(m.id, value), "previous_status": registry.status(m.id, before),
            "formatted": registry.format_value(m.id, value),
            "formatted_previous": registry.format_value(m.id, before),
            "formatted_change": registry.format_change(m.id, change),
            "definition": m.definition,
        })
    frame = pd.DataFrame(rows, columns=columns)
    for col in ("value", "previous", "change"):
        # keep None (not NaN) and ints as they are: the CLI prints these as JSON
        frame[col] = pd.Series([r[col] for r in rows], dtype=object)
    frame.attrs.update(as_of=as_of, previous=previous)
    return frame


def _series_months(con, filters: Filters, start: str | None, end: str | None) -> list[str]:
    end = end or _resolve_as_of(con, filters)
    if end is None:
        return []
    if start is None:
        first = _calendar(con).get("first_month")
        start = month_add(end, -(DEFAULT_SERIES_MONTHS - 1))
        if first and first > start:
            start = min(first, end)
    return months_between(start, end)[-_MAX_MONTHS * 2:]


def kpi_series(con, metric_id: str, filters: Filters, start: str | None = None,
               end: str | None = None) -> pd.DataFrame:
    """[month, value] for one metric, oldest first. Default range: the 36 months ending at
    filters.as_of (or the default month), not starting before the first month with data."""
    registry.get(metric_id)
    months = _series_months(con, filters, start, end)
    if not months:
        return pd.DataFrame({"month": pd.Series([], dtype=str), "value": pd.Series([], dtype=float)})
    values = _values_by_month(con, filters, months, [METRIC_ENGINE[metric_id]])
    return pd.DataFrame({"month": months,
                         "value": pd.Series([values[m][metric_id] for m in months], dtype=float)})


def kpi_breakdown(con, metric_id: str, filters: Filters, by: str) -> pd.DataFrame:
    """[group, label, value] for one metric at M, computed per group with the same formula.

    by: portfolio, program, business_unit, objective or project for project and benefit metrics;
    department, role or employment_type for resource metrics; business_unit or domain for maturity.
    A group with an empty key (a project without program) has group None.
    """
    registry.get(metric_id)
    engine = METRIC_ENGINE[metric_id]
    if by not in BREAKDOWNS[engine]:
        raise ValueError(f"{metric_id} can be broken down by {', '.join(BREAKDOWNS[engine])}, not {by!r}")
    as_of = _resolve_as_of(con, filters)
    if as_of is None:
        return pd.DataFrame(columns=["group", "label", "value"])
    rows = _records(con, ENGINES[engine][0], _params(filters, [as_of], group_by=by))
    labels = _group_labels(con, by)
    out = pd.DataFrame({
        "group": pd.Series([r["group_key"] for r in rows], dtype=object),
        "label": pd.Series([labels.get(r["group_key"], r["group_key"]) for r in rows], dtype=object),
        "value": pd.Series([_scalar(metric_id, r[metric_id]) for r in rows], dtype=float),
    })
    return out.sort_values("group", na_position="last", key=lambda s: s.astype(str)).reset_index(drop=True)


def _group_labels(con, by: str) -> dict[str, str]:
    """Display names of breakdown groups whose key is an id (objectives, projects)."""
    if by == "objective":
        sql = ("SELECT objective_id, any_value(objective_name) FROM marts.projects "
               "WHERE objective_name IS NOT NULL GROUP BY objective_id")
    elif by == "project":
        sql = "SELECT project_id, project_name FROM marts.projects"
    else:
        return {}
    return dict(con.execute(sql).fetchall())


def project_table(con, filters: Filters) -> pd.DataFrame:
    """One row per selected project at M (active or not; `active` says which)."""
    as_of = _resolve_as_of(con, filters)
    months = [previous_month(as_of), as_of] if as_of else []
    return _query(con, "kpis/project_table", _params(filters, months, as_of=as_of))


def evm_curve(con, filters: Filters, project_id: str | None = None, start: str | None = None,
              end: str | None = None) -> pd.DataFrame:
    """[month, pv, ev, ac], cumulative, oldest first.

    Without project_id: the planned_value, earned_value and actual_cost KPIs month by month (active
    projects of the selection at each month, so a project drops out once it finishes). With
    project_id: that project's own cumulative figures (the project table's), from its start month
    by default, whatever the other filters say.
    """
    empty = pd.DataFrame({"month": pd.Series([], dtype=str), **{c: pd.Series([], dtype=float)
                                                               for c in ("pv", "ev", "ac")}})
    if project_id is None:
        months = _series_months(con, filters, start, end)
        if not months:
            return empty
        values = _values_by_month(con, filters, months, ["projects"])
        return pd.DataFrame({
            "month": months,
            "pv": pd.Series([values[m]["planned_value"] for m in months], dtype=float),
            "ev": pd.Series([values[m]["earned_value"] for m in months], dtype=float),
            "ac": pd.Series([values[m]["actual_cost"] for m in months], dtype=float),
        })
    end = end or _resolve_as_of(con, filters)
    if end is None:
        return empty
    if start is None:
        row = con.execute("SELECT strftime(start_date, '%Y-%m') FROM marts.projects WHERE project_id = ?",
                          [project_id]).fetchone()
        start = row[0] if row and row[0] else end
        start = max(start, month_add(end, -(_MAX_MONTHS - 1)))
    months = months_between(start, end)
    if not months:
        return empty
    facts = _query(con, "kpis/project_months", _params(Filters(), months, project_id=project_id))
    # months before the project started, reported or booked anything have no facts: nothing yet
    facts = facts.set_index("month").reindex(months)
    return pd.DataFrame({"month": months,
                         "pv": facts["pv"].fillna(0.0).astype(float).to_numpy(),
                         "ev": facts["ev"].astype(float).to_numpy(),
                         "ac": facts["ac"].fillna(0.0).astype(float).to_numpy()})


def changes_since_last_month(con, filters: Filters) -> dict[str, pd.DataFrame]:
    """What moved between M − 1 and M.

    rag_moves: active projects at M whose latest overall RAG differs from the one at M − 1 (both
    present); missed_milestones: milestones with baseline_date in M not achieved by that date;
    benefits_fell_behind: benefits whose progress was ≥ 0.8 at M − 1 and is below 0.8 at M;
    new_high_risks: risks raised in M with probability × impact ≥ 15.
    """
    as_of = _resolve_as_of(con, filters)
    if as_of is None:
        empty = pd.DataFrame()
        return {k: empty for k in ("rag_moves", "missed_milestones", "benefits_fell_behind", "new_high_risks")}
    prev = previous_month(as_of)
    facts = _query(con, "kpis/project_rows", _params(filters, [prev, as_of]))
    now = facts[facts["month"] == as_of].set_index("project_id")
    before = facts[facts["month"] == prev].set_index("project_id")["overall_rag"]
    now = now.assign(from_rag=before.reindex(now.index))
    moved = now[now["is_active"] & now["overall_rag"].notna() & now["from_rag"].notna()
                & (now["overall_rag"] != now["from_rag"])]
    rag_moves = pd.DataFrame({
        "project_id": moved.index.astype(object),
        "project_name": moved["project_name"].to_numpy(),
        "portfolio": moved["portfolio"].to_numpy(),
        "from": moved["from_rag"].to_numpy(),
        "to": moved["overall_rag"].to_numpy(),
        "report_date": moved["report_date"].to_numpy(),
    }).sort_values("project_id").reset_index(drop=True)

    benefits = _query(con, "kpis/benefit_rows", _params(filters, [prev, as_of]))
    b_now = benefits[benefits["month"] == as_of].set_index("benefit_id")
    b_before = benefits[benefits["month"] == prev].set_index("benefit_id")["progress"]
    b_now = b_now.assign(previous_progress=b_before.reindex(b_now.index))
    fell = b_now[(b_now["previous_progress"] >= 0.8) & (b_now["progress"] < 0.8)]
    fell = fell.reset_index()
    fell = fell[["benefit_id", "benefit_name", "category", "project_id", "project_name", "baseline_value",
                 "planned_value", "actual_value", "previous_progress", "progress"]]
    fell = fell.sort_values("benefit_id").reset_index(drop=True)

    params = _params(filters, [as_of])
    return {
        "rag_moves": rag_moves,
        "missed_milestones": _query(con, "kpis/missed_milestones", params),
        "benefits_fell_behind": fell,
        "new_high_risks": _query(con, "kpis/new_high_risks", params),
    }


# -- traceability -----------------------------------------------------------------------------------

_PROJECT_ROW_COLUMNS = ["project_id", "project_name", "portfolio", "program", "business_unit", "stage",
                        "is_active"]


def kpi_rows(con, metric_id: str, filters: Filters) -> pd.DataFrame:
    """The rows behind a figure at M, with a boolean `counted` column marking those in the
    numerator (or, for sums and counts, those that add to the figure); counted rows come first.

    Shares: the whole denominator population (e.g. every active project, with the red ones
    counted). Sums and derived cost figures: the active projects with their BAC, PV, EV, AC, CPI and
    EAC. Resource metrics: the resources with capacity, hours and planned hours. Benefits: the
    benefits with their latest planned and actual values. Maturity: business unit × domain scores.
    """
    m = registry.get(metric_id)
    engine = METRIC_ENGINE[metric_id]
    as_of = _resolve_as_of(con, filters)
    if as_of is None:
        return pd.DataFrame(columns=["counted"])
    params = _params(filters, [as_of])
    if engine == "projects":
        frame = _project_rows(metric_id, _query(con, "kpis/project_rows", params))
    elif engine == "milestones":
        frame = _query(con, "kpis/milestone_rows", params).assign(counted=lambda f: f["on_time"])
    elif engine == "resources":
        frame = _query(con, "kpis/resource_months", params)
        if metric_id == "overallocated_resources":
            frame = frame.assign(counted=frame["is_overallocated"])
        elif metric_id == "contractor_hours_share":
            frame = frame[frame["hours"] != 0].assign(counted=lambda f: f["is_contractor"])
        else:
            frame = frame.assign(counted=(frame["hours"] != 0) | (frame["capacity_hours"] != 0)
                                 | (frame["planned_hours"] != 0))
    elif engine == "benefits":
        frame = _benefit_rows(con, metric_id, params)
    else:
        frame = _query(con, "kpis/maturity_domains", {**params, "group_by": "all"}).assign(counted=True)
    frame = frame.drop(columns=[c for c in ("month", "group_key", "group_label") if c in frame.columns])
    frame["counted"] = frame["counted"].fillna(False).astype(bool)
    frame = frame.sort_values("counted", ascending=False, kind="stable").reset_index(drop=True)
    frame.attrs.update(metric_id=m.id, as_of=as_of)
    return frame


def _project_rows(metric_id: str, facts: pd.DataFrame) -> pd.DataFrame:
    active = facts[facts["is_active"]]
    base = _PROJECT_ROW_COLUMNS
    if metric_id == "active_projects":
        return active[base + ["start_date", "actual_finish_date"]].assign(counted=True)
    if metric_id.startswith("rag_") or metric_id == "stale_status_share":
        out = active[base + ["report_date", "days_since_report", "overall_rag", "is_stale"]]
        flag = {
            "rag_green_share": out["overall_rag"] == "green",
            "rag_amber_share": out["overall_rag"] == "amber",
            "rag_red_share": out["overall_rag"] == "red",
            "rag_missing_share": out["report_date"].isna(),
            "stale_status_share": out["is_stale"],
        }[metric_id]
        return out.assign(counted=flag)
    if metric_id == "avg_finish_slip_days":
        return active[base + ["baseline_finish_date", "forecast_finish_date", "finish_slip_days"]].assign(
            counted=True)
    if metric_id == "on_time_delivery_rate":
        done = facts[facts["is_finished"]]
        return done[base + ["baseline_finish_date", "actual_finish_date", "finished_on_time"]].assign(
            counted=lambda f: f["finished_on_time"])
    if metric_id in ("budget_ytd", "actual_cost_ytd"):
        return facts[base + ["budget_ytd", "actual_cost_ytd"]].assign(
            counted=lambda f: f[metric_id] != 0)
    cols = base + ["report_date", "progress_date", "percent_complete", "bac", "pv", "ev", "ac",
                   "project_cpi", "eac"]
    return active[cols].assign(counted=True)


def _benefit_rows(con, metric_id: str, params: dict[str, Any]) -> pd.DataFrame:
    if metric_id == "benefit_cost_ratio":
        projects = _query(con, "kpis/project_rows", params)[_PROJECT_ROW_COLUMNS + ["ac"]]
        benefits = _query(con, "kpis/benefit_months", params)
        realized = (benefits[benefits["is_financial"]].groupby("project_id")["actual_value"].sum(min_count=1)
                    .rename("benefits_realized"))
        out = projects.rename(columns={"ac": "actual_cost_to_date"}).merge(
            realized, how="left", left_on="project_id", right_index=True)
        out["benefits_realized"] = out["benefits_realized"].fillna(0.0)
        return out.assign(counted=(out["actual_cost_to_date"] != 0) | (out["benefits_realized"] != 0))
    frame = _query(con, "kpis/benefit_rows", params)
    cols = ["benefit_id", "benefit_name", "category", "benefit_type", "project_id", "project_name",
            "portfolio", "baseline_value", "target_value", "planned_period", "planned_value",
            "actual_period", "actual_value", "progress", "is_at_risk"]
    frame = frame[cols + ["is_financial"]]
    if metric_id == "benefits_at_risk":
        return frame[cols].assign(counted=frame["is_at_risk"])
    financial = frame[frame["is_financial"]][cols]
    if metric_id == "benefits_realized_to_date":
        return financial.assign(counted=financial["actual_value"].notna())
    return financial.assign(counted=financial["planned_value"].notna())


# Maturity tables live in maturity.py; re-exported so callers find every figure here.
from .maturity import (  # noqa: E402
    maturity_domain_scores, maturity_history, maturity_scores, maturity_summary,
)

__all__ = [
    "ENGINES", "METRIC_ENGINE", "BREAKDOWNS", "default_as_of", "available_months", "filter_options",
    "compute_kpis", "compare_kpis", "kpi_series", "kpi_breakdown", "project_table", "evm_curve",
    "changes_since_last_month", "kpi_rows", "maturity_scores", "maturity_domain_scores",
    "maturity_history", "maturity_summary",
]
