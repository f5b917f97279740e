"""The tables the dashboard pages show beyond the KPI engine: project detail, finance, resources,
benefits, maturity and data quality.

Plain library code: every function takes an open connection (a `Warehouse.cursor()`), the user's
`Filters` where they apply, and returns a pandas DataFrame (or a dict for a single record). Values
are always bound parameters; the few names that vary (a breakdown dimension) are checked against
allow-lists and then bound as values too, mapped to columns by a CASE inside the SQL.

The queries read the contract tables (CONTRACT §1), the loader's `meta.*` tables and the public
functions of `kpis` — never the KPI engine's internal SQL, which is free to change. Projects are
selected as CONTRACT §3 says (filters passed, stage not idea or cancelled), the same rule the KPI
cards apply.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from . import contract as c
from .filters import Filters, month_add, month_end, month_start, months_between
from .findings import WARNING
from .marts import sql_params

PROJECT_DIMENSIONS = ("portfolio", "program", "business_unit", "objective")
FINANCE_DIMENSIONS = PROJECT_DIMENSIONS + ("cost_category",)
RESOURCE_DIMENSIONS = ("department", "role", "employment_type")
BENEFIT_DIMENSIONS = ("benefit_type", "objective", "owner", "category", "portfolio")
DRILL_LEVELS = ("portfolio", "program", "project")
RAG_ORDER = ("red", "amber", "green")
HIGH_RISK_SCORE = 15
NO_VALUE = "(none)"  # label for a group whose key is empty (a project without program, …)


class UnknownDimension(ValueError):
    """A breakdown that is not in the allow-list."""


def _check(value: str, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise UnknownDimension(f"{what} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def _selected(filters: Filters, group_by: str = "all") -> dict[str, Any]:
    return {"group_by": group_by, **filters.project_params()}


def _run(con, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
    """Execute with exactly the $names the statement uses (DuckDB rejects unused ones)."""
    params = params or {}
    names = sql_params(sql)
    missing = names - params.keys()
    if missing:
        raise KeyError(f"unbound parameters: {', '.join(sorted(missing))}")
    return con.execute(sql, {k: params[k] for k in names}).df()


_PROJECTS = """
objective_names as (
    select objective_id, any_value(objective_name) as objective_name
    from main.strategic_objectives group by objective_id
),
filtered_projects as (
    select p.*, p.strategic_objective_id as objective_id,
           coalesce(o.objective_name, p.strategic_objective_id) as objective_name,
           coalesce(p.stage not in ('idea', 'cancelled'), false) as is_selectable
    from main.projects as p
    left join objective_names as o on o.objective_id = p.strategic_objective_id
    where (len($portfolios::varchar[]) = 0 or list_contains($portfolios::varchar[], p.portfolio))
      and (len($programs::varchar[]) = 0 or list_contains($programs::varchar[], p.program))
      and (len($business_units::varchar[]) = 0 or list_contains($business_units::varchar[], p.business_unit))
      and (len($objectives::varchar[]) = 0 or list_contains($objectives::varchar[], p.strategic_objective_id))
),
selected_projects as (
    -- CONTRACT §3: passes the filters, stage not idea or cancelled; keyed by the breakdown asked for
    select *,
        case $group_by when 'portfolio' then portfolio when 'program' then program
                       when 'business_unit' then business_unit when 'objective' then objective_id
                       else 'all' end as group_key,
        case $group_by when 'portfolio' then portfolio when 'program' then program
                       when 'business_unit' then business_unit when 'objective' then objective_name
                       else 'all' end as group_label
    from filtered_projects
    where is_selectable
)"""


def _with_selected(body: str) -> str:
    """`body` preceded by the filtered_projects and selected_projects CTEs (needs $group_by and the
    four filter lists)."""
    return f"with {_PROJECTS.strip()},\n{body}"


def _as_of(con, filters: Filters) -> str | None:
    from .kpis import default_as_of

    return filters.as_of or default_as_of(con)


def _table_exists(con, schema: str, table: str) -> bool:
    row = con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
                      [schema, table]).fetchone()
    return bool(row and row[0])


def _label(s: pd.Series) -> pd.Series:
    return s.astype(object).where(s.notna(), NO_VALUE)


# -- provenance ------------------------------------------------------------------------------------

UPLOAD_MARK = "pmo-upload-"  # the temporary folder the Data loads page stages an upload in


def data_provenance(con) -> dict[str, Any] | None:
    """Where the data on screen comes from: the latest load (when, which batch), every file of the
    loads whose tables are still in place (a later partial load replaces only its own tables), and
    whether any of them is the demo batch (its folder is named 'demo'). None before any load."""
    if not _table_exists(con, "meta", "load_log"):
        return None
    log = con.execute("SELECT load_id, finished_at, batch, files, rows_loaded FROM meta.load_log "
                      "WHERE status = 'loaded' ORDER BY finished_at DESC").df()
    if log.empty:
        return None
    current = set(log["load_id"])
    if _table_exists(con, "meta", "table_rows"):
        supplying = con.execute("""
            SELECT t.load_id FROM meta.table_rows AS t JOIN meta.load_log AS l USING (load_id)
            QUALIFY row_number() OVER (PARTITION BY t."table" ORDER BY l.finished_at DESC) = 1
        """).df()["load_id"]
        current = set(supplying) or current
    in_place = log[log["load_id"].isin(current)]
    files: list[str] = []
    rows: dict[str, int] = {}
    for _, load in in_place.iterrows():
        try:
            files += [f.get("name") for f in json.loads(load["files"] or "[]") if f.get("name") not in files]
            for table, n in json.loads(load["rows_loaded"] or "{}").items():
                rows.setdefault(table, n)  # newest first: the load that supplies the table now
        except (TypeError, ValueError, AttributeError):
            continue
    latest = log.iloc[0]
    batches = [str(b or "") for b in in_place["batch"]]
    return {
        "load_id": latest["load_id"], "loaded_at": pd.Timestamp(latest["finished_at"]).to_pydatetime(),
        "batch": describe_batch(str(latest["batch"] or "")), "files": files, "rows": rows,
        "loads": len(in_place), "is_demo": any(Path(b).name == "demo" for b in batches),
    }


def describe_batch(path: str) -> str:
    """A batch path as a user knows it: an upload is 'an upload', not a temporary folder."""
    return "an upload on the Data loads page" if UPLOAD_MARK in path else path


def is_empty(con) -> bool:
    """True when no contract table holds a row (a database created but never given data)."""
    for name in ("projects", "status_reports", "financials", "resources", "maturity_assessments"):
        if _table_exists(con, "main", name) and con.execute(f'SELECT count(*) FROM main."{name}"').fetchone()[0]:
            return False  # name from the allow-list above
    return True


# -- projects -------------------------------------------------------------------------------------

_PROJECT_LIST = _with_selected("""
final as (
    select project_id, project_name, portfolio, program, business_unit, stage
    from filtered_projects
)
select * from final order by project_id
""")


def project_list(con, filters: Filters) -> pd.DataFrame:
    """Every project passing the filters, whatever its stage (the project page can open an idea too)."""
    return _run(con, _PROJECT_LIST, _selected(filters))


ACTIVE_STAGES = ("execution", "closing", "planning", "initiation", "on_hold")


def default_project(projects: pd.DataFrame) -> str | None:
    """The project a page opens on when none is asked for: the first one in execution, else the first
    in another active stage, else the first listed."""
    if projects.empty:
        return None
    for stage in ACTIVE_STAGES:
        hit = projects[projects["stage"] == stage]
        if not hit.empty:
            return str(hit["project_id"].iloc[0])
    return str(projects["project_id"].iloc[0])


def project_header(con, project_id: str, as_of: str | None) -> dict[str, Any] | None:
    """The facts at the top of the project page: the project row, its objective and its latest report ≤ end(M)."""
    frame = con.execute(
        "SELECT p.*, p.strategic_objective_id AS objective_id, o.objective_name FROM main.projects AS p "
        "LEFT JOIN (SELECT objective_id, any_value(objective_name) AS objective_name FROM main.strategic_objectives "
        "GROUP BY objective_id) AS o ON o.objective_id = p.strategic_objective_id WHERE p.project_id = ?",
        [project_id]).df()
    if frame.empty:
        return None
    out = frame.iloc[0].to_dict()
    out.update(report_date=None, overall_rag=None, schedule_rag=None, cost_rag=None, scope_rag=None,
               percent_complete=None, summary=None)
    if as_of:
        rep = con.execute(
            "SELECT report_date, overall_rag, schedule_rag, cost_rag, scope_rag, percent_complete, summary "
            "FROM status_reports WHERE project_id = ? AND report_date <= ? ORDER BY report_date DESC LIMIT 1",
            [project_id, month_end(as_of)]).df()
        if not rep.empty:
            out.update(rep.iloc[0].to_dict())
    return {k: (None if _missing(v) else v) for k, v in out.items() if not k.startswith("_")}


def _missing(v) -> bool:
    try:
        return v is None or bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def project_status_history(con, project_id: str, as_of: str | None) -> pd.DataFrame:
    """Every status report of the project dated ≤ end(M), oldest first."""
    end = month_end(as_of) if as_of else None
    return con.execute(
        "SELECT report_date, overall_rag, schedule_rag, cost_rag, scope_rag, percent_complete, summary "
        "FROM status_reports WHERE project_id = ? AND (?::date IS NULL OR report_date <= ?::date) "
        "ORDER BY report_date", [project_id, end, end]).df()


def project_milestones(con, project_id: str, as_of: str | None) -> pd.DataFrame:
    """Milestones with baseline, forecast and actual dates, their slip and their state at end(M)."""
    end = month_end(as_of) if as_of else pd.Timestamp.today().date()
    frame = con.execute(
        "SELECT milestone_id, milestone_name, is_gate, baseline_date, forecast_date, "
        "CASE WHEN actual_date <= ? THEN actual_date END AS actual_date, "
        "date_diff('day', baseline_date, coalesce(CASE WHEN actual_date <= ? THEN actual_date END, "
        "forecast_date, baseline_date)) AS slip_days, "
        "CASE WHEN actual_date <= ? AND actual_date <= baseline_date THEN 'achieved on time' "
        "     WHEN actual_date <= ? THEN 'achieved late' "
        "     WHEN baseline_date <= ? THEN 'overdue' "
        "     ELSE 'upcoming' END AS state "
        "FROM milestones WHERE project_id = ? ORDER BY baseline_date, milestone_id",
        [end, end, end, end, end, project_id]).df()
    return frame


def project_risks(con, project_id: str, as_of: str | None) -> pd.DataFrame:
    """The project's risks raised by end(M), with score = probability × impact and whether open at end(M)."""
    end = month_end(as_of) if as_of else None
    return con.execute(
        "SELECT risk_id, title, probability, impact, probability * impact AS score, owner, raised_date, "
        "closed_date, (closed_date IS NULL AND status = 'open') OR closed_date > coalesce(?::date, closed_date) "
        "  AS is_open "
        "FROM risks WHERE project_id = ? AND (?::date IS NULL OR raised_date <= ?::date) "
        "ORDER BY is_open DESC, score DESC, risk_id", [end, project_id, end, end]).df()


def project_benefits(con, project_id: str, as_of: str | None) -> pd.DataFrame:
    """Each benefit's planned and actual value per measured month ≤ M (long format, oldest first)."""
    return con.execute(
        "SELECT b.benefit_id, b.benefit_name, b.category, b.benefit_type, b.unit, b.baseline_value, "
        "b.target_value, m.period, m.planned_value, m.actual_value "
        "FROM benefits AS b JOIN benefit_measurements AS m USING (benefit_id) "
        "WHERE b.project_id = ? AND (?::varchar IS NULL OR m.period <= ?::varchar) "
        "ORDER BY b.benefit_id, m.period", [project_id, as_of, as_of]).df()


def project_team(con, project_id: str, as_of: str | None) -> pd.DataFrame:
    """Who works on the project: hours planned and booked in M and to date (to end(M))."""
    if as_of is None:
        return pd.DataFrame(columns=["resource_id", "resource_name", "role", "department", "employment_type",
                                     "planned_hours_month", "hours_month", "planned_hours_to_date",
                                     "hours_to_date"])
    start = month_start(as_of)
    return con.execute("""
        with alloc as (
            select resource_id,
                   sum(planned_hours) filter (where period = $m) as planned_hours_month,
                   sum(planned_hours) filter (where period <= $m) as planned_hours_to_date
            from allocations where project_id = $p group by all
        ),
        booked as (
            select resource_id,
                   sum(hours) filter (where work_date >= $start and work_date <= $end) as hours_month,
                   sum(hours) filter (where work_date <= $end) as hours_to_date
            from main.timesheets where project_id = $p group by all
        ),
        team as (
            select coalesce(a.resource_id, b.resource_id) as resource_id,
                   coalesce(a.planned_hours_month, 0) as planned_hours_month,
                   coalesce(b.hours_month, 0) as hours_month,
                   coalesce(a.planned_hours_to_date, 0) as planned_hours_to_date,
                   coalesce(b.hours_to_date, 0) as hours_to_date
            from alloc as a full outer join booked as b using (resource_id)
        )
        select t.resource_id, r.resource_name, r.role, r.department, r.employment_type,
               t.planned_hours_month, t.hours_month, t.planned_hours_to_date, t.hours_to_date
        from team as t left join resources as r using (resource_id)
        where t.planned_hours_to_date > 0 or t.hours_to_date > 0
        order by t.hours_to_date desc, t.resource_id
    """, {"p": project_id, "m": as_of, "start": start, "end": month_end(as_of)}).df()


def project_team_by_month(con, project_id: str, as_of: str | None, months: int = 12) -> pd.DataFrame:
    """[month, planned_hours, hours] for the project over the months ending at M."""
    if as_of is None:
        return pd.DataFrame(columns=["month", "planned_hours", "hours"])
    span = months_between(month_add(as_of, -(months - 1)), as_of)
    frame = con.execute("""
        with months as (select unnest($months::varchar[]) as month),
        alloc as (select period as month, sum(planned_hours) as planned_hours
                  from allocations where project_id = $p group by all),
        booked as (select strftime(work_date, '%Y-%m') as month, sum(hours) as hours
                   from main.timesheets where project_id = $p group by all)
        select m.month, coalesce(a.planned_hours, 0) as planned_hours, coalesce(b.hours, 0) as hours
        from months as m left join alloc as a using (month) left join booked as b using (month)
        order by m.month
    """, {"p": project_id, "months": span}).df()
    return frame


# -- portfolio ------------------------------------------------------------------------------------

def drill_rollup(projects: pd.DataFrame, level: str, portfolio: str | None = None,
                 program: str | None = None) -> pd.DataFrame:
    """Active projects of a project table grouped for the drill-down: one row per portfolio, per
    program of a portfolio, or per project of a program; with RAG counts, budget and EV figures.

    `projects` is `kpis.project_table(...)`; an empty program is shown as NO_VALUE.
    """
    _check(level, DRILL_LEVELS, "level")
    cols = ["key", "label", "projects", "red", "amber", "green", "no_report", "bac", "pv", "ev", "ac", "eac",
            "spi", "cpi"]
    if projects.empty:
        return pd.DataFrame(columns=cols)
    df = projects[projects["active"].astype(bool)].copy()
    df["program"] = _label(df["program"])
    if portfolio is not None:
        df = df[df["portfolio"] == portfolio]
    if program is not None:
        df = df[df["program"] == program]
    if df.empty:
        return pd.DataFrame(columns=cols)
    key = {"portfolio": "portfolio", "program": "program", "project": "project_id"}[level]
    rag = df["overall_rag"].astype(object)
    df = df.assign(red=rag.eq("red"), amber=rag.eq("amber"), green=rag.eq("green"), no_report=rag.isna())
    grouped = df.groupby(key, dropna=False, sort=True)
    out = grouped.agg(projects=("project_id", "count"), red=("red", "sum"), amber=("amber", "sum"),
                      green=("green", "sum"), no_report=("no_report", "sum"), bac=("bac", "sum"),
                      pv=("pv", "sum"), ev=("ev", "sum"), ac=("ac", "sum"), eac=("eac", "sum")).reset_index()
    out = out.rename(columns={key: "key"})
    if level == "project":
        names = df.set_index("project_id")["project_name"]
        out["label"] = out["key"].map(names)
    else:
        out["label"] = out["key"]
    has_ev = grouped["percent_complete"].apply(lambda s: s.notna().any()).reindex(out["key"]).to_numpy()
    out["spi"] = (out["ev"] / out["pv"].where(out["pv"] != 0)).where(has_ev)
    out["cpi"] = (out["ev"] / out["ac"].where(out["ac"] != 0)).where(has_ev)
    return out[cols].sort_values("bac", ascending=False).reset_index(drop=True)


def drill_projects(frame: pd.DataFrame, portfolio: str | None = None, program: str | None = None,
                   ids=None) -> pd.DataFrame:
    """The rows of a project-level frame inside the drill-down path (program NO_VALUE = without program);
    or, given `ids`, the rows of those projects. Active projects come first when the frame says which."""
    if frame.empty:
        return frame
    keep = pd.Series(True, index=frame.index)
    if ids is not None:
        keep &= frame["project_id"].isin(list(ids))
    else:
        if portfolio is not None:
            keep &= frame["portfolio"] == portfolio
        if program is not None:
            keep &= _label(frame["program"]) == program
    out = frame[keep]
    if "active" in out:
        out = out.sort_values("active", ascending=False, kind="stable")
    return out.reset_index(drop=True)


def value_vs_risk(con, filters: Filters) -> pd.DataFrame:
    """Active projects with their strategic value (priority score), risk exposure (Σ probability ×
    impact of risks open at end(M)), budget and RAG — the bubble chart's points."""
    from .kpis import project_table

    as_of = _as_of(con, filters)
    cols = ["project_id", "project_name", "portfolio", "overall_rag", "priority_score", "risk_exposure",
            "open_risks", "bac"]
    if as_of is None:
        return pd.DataFrame(columns=cols)
    table = project_table(con, filters.with_as_of(as_of))
    table = table[table["active"].astype(bool)]
    if table.empty:
        return pd.DataFrame(columns=cols)
    end = month_end(as_of)
    extra = con.execute(
        "SELECT p.project_id, p.priority_score, "
        "coalesce(sum(r.probability * r.impact) FILTER (WHERE r.risk_id IS NOT NULL), 0) AS risk_exposure, "
        "count(r.risk_id) AS open_risks "
        "FROM main.projects AS p LEFT JOIN main.risks AS r ON r.project_id = p.project_id AND r.raised_date <= ? "
        " AND (r.closed_date > ? OR (r.closed_date IS NULL AND r.status = 'open')) "
        "WHERE list_contains(?::varchar[], p.project_id) GROUP BY ALL",
        [end, end, table["project_id"].tolist()]).df()
    out = table.merge(extra, on="project_id", how="left")
    return out[cols].reset_index(drop=True)


def attention_projects(con, filters: Filters) -> pd.DataFrame:
    """Active projects whose latest report ≤ end(M) is red or amber, reds first, with that report's commentary."""
    from .kpis import project_table

    as_of = _as_of(con, filters)
    cols = ["project_id", "project_name", "portfolio", "project_manager", "overall_rag", "rag_trend",
            "report_date", "percent_complete", "summary"]
    if as_of is None:
        return pd.DataFrame(columns=cols)
    table = project_table(con, filters.with_as_of(as_of))
    table = table[table["active"].astype(bool) & table["overall_rag"].isin(["red", "amber"])]
    if table.empty:
        return pd.DataFrame(columns=cols)
    notes = con.execute(
        "SELECT project_id, report_date, summary FROM status_reports "
        "WHERE list_contains(?::varchar[], project_id) AND report_date <= ? "
        "QUALIFY row_number() OVER (PARTITION BY project_id ORDER BY report_date DESC) = 1",
        [table["project_id"].tolist(), month_end(as_of)]).df()
    out = table.drop(columns=["report_date"]).merge(notes, on="project_id", how="left")
    out["_order"] = out["overall_rag"].map({"red": 0, "amber": 1})
    out = out.sort_values(["_order", "project_id"]).reset_index(drop=True)
    return out[cols]


# -- finance --------------------------------------------------------------------------------------

_FINANCE_MONTHS = _with_selected("""
costs as (
    select f.period, f.cost_category, f.planned_cost, f.actual_cost, f.forecast_cost
    from financials as f
    join selected_projects as p using (project_id)
    where f.period between $start and $end
)
select period, sum(planned_cost) as planned_cost, sum(actual_cost) as actual_cost,
       sum(forecast_cost) as forecast_cost
from costs group by period order by period
""")


def finance_by_month(con, filters: Filters, months: int = 24, ahead: int = 6) -> pd.DataFrame:
    """Planned, actual and forecast cost per month of the selected projects, from `months` before M
    to `ahead` months after it, with running totals from the first month shown."""
    as_of = _as_of(con, filters)
    cols = ["period", "planned_cost", "actual_cost", "forecast_cost", "planned_cumulative",
            "actual_cumulative", "is_future"]
    if as_of is None:
        return pd.DataFrame(columns=cols)
    start, end = month_add(as_of, -(months - 1)), month_add(as_of, ahead)
    frame = _run(con, _FINANCE_MONTHS, {**_selected(filters), "start": start, "end": end})
    if frame.empty:
        return pd.DataFrame(columns=cols)
    frame["planned_cumulative"] = frame["planned_cost"].fillna(0).cumsum()
    frame["actual_cumulative"] = frame["actual_cost"].fillna(0).cumsum().where(frame["period"] <= as_of)
    frame["is_future"] = frame["period"] > as_of
    return frame[cols]


_FINANCE_BY = _with_selected("""
costs as (
    select
        case when $by = 'cost_category' then f.cost_category else p.group_key end as key,
        case when $by = 'cost_category' then f.cost_category else p.group_label end as label,
        f.period, f.planned_cost, f.actual_cost, f.forecast_cost
    from financials as f
    join selected_projects as p using (project_id)
),
budgets as (
    select case when $by = 'cost_category' then null else group_key end as key,
           sum(budget_at_completion) as budget_at_completion
    from selected_projects group by all
),
totals as (
    select key, any_value(label) as label,
        coalesce(sum(planned_cost) filter (where period <= $m), 0) as planned_to_date,
        coalesce(sum(actual_cost) filter (where period <= $m), 0) as actual_to_date,
        coalesce(sum(planned_cost) filter (where period between $year_start and $m), 0) as planned_ytd,
        coalesce(sum(actual_cost) filter (where period between $year_start and $m), 0) as actual_ytd,
        coalesce(sum(planned_cost), 0) as planned_total,
        sum(coalesce(actual_cost, 0)) filter (where period <= $m)
          + coalesce(sum(coalesce(forecast_cost, planned_cost)) filter (where period > $m), 0) as forecast_total
    from costs group by key
)
select t.*, b.budget_at_completion
from totals as t left join budgets as b on b.key is not distinct from t.key
order by t.actual_to_date desc nulls last
""")


def finance_by(con, filters: Filters, by: str) -> pd.DataFrame:
    """Cost of the selected projects at M per portfolio, program, business unit, objective or cost
    category: planned and actual to date and year to date, total plan, forecast at completion
    (actuals to M plus forecast, else planned, after M) and budget (BAC; not split by category).
    `variance_to_date` = actual − planned to date (positive = overspent)."""
    _check(by, FINANCE_DIMENSIONS, "finance breakdown")
    as_of = _as_of(con, filters)
    cols = ["key", "label", "planned_to_date", "actual_to_date", "variance_to_date", "planned_ytd", "actual_ytd",
            "planned_total", "forecast_total", "budget_at_completion"]
    if as_of is None:
        return pd.DataFrame(columns=cols)
    group_by = "all" if by == "cost_category" else by
    frame = _run(con, _FINANCE_BY, {**_selected(filters, group_by), "by": by, "m": as_of,
                                    "year_start": f"{as_of[:4]}-01"})
    frame["label"] = _label(frame["label"])
    frame["variance_to_date"] = frame["actual_to_date"] - frame["planned_to_date"]
    return frame[cols].reset_index(drop=True)


def largest_variances(con, filters: Filters, n: int = 15) -> pd.DataFrame:
    """Active projects ranked by the size of their variance at completion (|BAC − EAC|), with their
    spend variance to date (AC − PV) — the same per-project figures as the project table."""
    from .kpis import project_table

    as_of = _as_of(con, filters)
    cols = ["project_id", "project_name", "portfolio", "overall_rag", "bac", "eac", "vac", "pv", "ac",
            "spend_variance", "cpi"]
    if as_of is None:
        return pd.DataFrame(columns=cols)
    table = project_table(con, filters.with_as_of(as_of))
    table = table[table["active"].astype(bool)].copy()
    if table.empty:
        return pd.DataFrame(columns=cols)
    table["spend_variance"] = table["ac"] - table["pv"]
    order = table["vac"].abs().fillna(table["spend_variance"].abs())
    table = table.assign(_size=order).sort_values("_size", ascending=False).head(n)
    return table[cols].reset_index(drop=True)


# -- resources ------------------------------------------------------------------------------------

_RESOURCE_COLUMNS = ["month", "resource_id", "resource_name", "role", "department", "employment_type",
                     "capacity_hours", "hours", "planned_hours", "is_overallocated"]


def _resource_months(con, filters: Filters, months: list[str]) -> pd.DataFrame:
    """Per resource of the selected departments × month: capacity, booked and planned hours — the rows
    behind the utilisation KPI (kpis.kpi_rows), so these tables add up to the cards."""
    from .kpis import kpi_rows

    frames = []
    for month in months:
        rows = kpi_rows(con, "utilization", filters.with_as_of(month))
        if not rows.empty:
            frames.append(rows.assign(month=month))
    if not frames:
        return pd.DataFrame(columns=_RESOURCE_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    out["is_overallocated"] = out["is_overallocated"].fillna(False).astype(bool)
    return out[_RESOURCE_COLUMNS]


def resources_by_month(con, filters: Filters, months: int = 12, ahead: int = 3) -> pd.DataFrame:
    """Capacity, allocated (planned) and booked hours per month of the selected departments, from
    `months` before M to `ahead` months after it (allocations are planned ahead)."""
    as_of = _as_of(con, filters)
    cols = ["month", "capacity_hours", "planned_hours", "hours", "utilization", "allocation_rate", "is_future"]
    if as_of is None:
        return pd.DataFrame(columns=cols)
    span = months_between(month_add(as_of, -(months - 1)), month_add(as_of, ahead))
    rows = _resource_months(con, filters, span)
    if rows.empty:
        return pd.DataFrame(columns=cols)
    out = rows.groupby("month", as_index=False)[["capacity_hours", "planned_hours", "hours"]].sum()
    out = out.set_index("month").reindex(span, fill_value=0).rename_axis("month").reset_index()
    cap = out["capacity_hours"].where(out["capacity_hours"] != 0)
    out["utilization"] = out["hours"] / cap
    out["allocation_rate"] = out["planned_hours"] / cap
    out["is_future"] = out["month"] > as_of
    out.loc[out["is_future"], ["hours", "utilization"]] = float("nan")
    return out[cols]


def resources_by(con, filters: Filters, by: str) -> pd.DataFrame:
    """Per department, role or employment type at M: people, capacity, allocated and booked hours,
    utilisation (booked / capacity), allocation rate (planned / capacity) and over-allocated people."""
    _check(by, RESOURCE_DIMENSIONS, "resource breakdown")
    as_of = _as_of(con, filters)
    cols = ["key", "people", "capacity_hours", "planned_hours", "hours", "utilization", "allocation_rate",
            "overallocated"]
    if as_of is None:
        return pd.DataFrame(columns=cols)
    rows = _resource_months(con, filters, [as_of])
    rows = rows[rows["capacity_hours"] > 0]
    if rows.empty:
        return pd.DataFrame(columns=cols)
    rows = rows.assign(key=_label(rows[by]))
    out = rows.groupby("key", as_index=False).agg(
        people=("resource_id", "nunique"), capacity_hours=("capacity_hours", "sum"),
        planned_hours=("planned_hours", "sum"), hours=("hours", "sum"),
        overallocated=("is_overallocated", "sum"))
    cap = out["capacity_hours"].where(out["capacity_hours"] != 0)
    out["utilization"] = out["hours"] / cap
    out["allocation_rate"] = out["planned_hours"] / cap
    return out[cols].sort_values("capacity_hours", ascending=False).reset_index(drop=True)


def resource_heatmap(con, filters: Filters, by: str = "department", months: int = 6, ahead: int = 3) -> pd.DataFrame:
    """Allocation rate (planned / capacity) per group × month around M, long format [key, month, value]."""
    _check(by, RESOURCE_DIMENSIONS, "resource breakdown")
    as_of = _as_of(con, filters)
    if as_of is None:
        return pd.DataFrame(columns=["key", "month", "value"])
    span = months_between(month_add(as_of, -(months - 1)), month_add(as_of, ahead))
    rows = _resource_months(con, filters, span)
    if rows.empty:
        return pd.DataFrame(columns=["key", "month", "value"])
    rows = rows.assign(key=_label(rows[by]))
    out = rows.groupby(["key", "month"], as_index=False)[["capacity_hours", "planned_hours"]].sum()
    out["value"] = out["planned_hours"] / out["capacity_hours"].where(out["capacity_hours"] != 0)
    return out[["key", "month", "value"]]


def overallocated_people(con, filters: Filters, name_units: tuple[str, ...] = ()) -> pd.DataFrame:
    """People of the selected departments whose planned hours for M exceed their capacity, with the
    projects they are allocated to (largest first). With `name_units`, only projects of those business
    units are named; hours on any other project are summed as 'other business units', so a person
    scoped to some units never reads another unit's project names here."""
    as_of = _as_of(con, filters)
    cols = ["resource_id", "resource_name", "role", "department", "employment_type", "capacity_hours",
            "planned_hours", "over_by_hours", "hours", "projects"]
    if as_of is None:
        return pd.DataFrame(columns=cols)
    rows = _resource_months(con, filters, [as_of])
    rows = rows[rows["is_overallocated"].astype(bool)].copy()
    if rows.empty:
        return pd.DataFrame(columns=cols)
    alloc = con.execute(
        "WITH named AS ("
        "  SELECT a.resource_id, a.planned_hours, "
        "    CASE WHEN len(?::varchar[]) = 0 OR list_contains(?::varchar[], p.business_unit) "
        "         THEN coalesce(p.project_name, a.project_id) END AS project "
        "  FROM main.allocations AS a LEFT JOIN main.projects AS p USING (project_id) "
        "  WHERE a.period = ? AND list_contains(?::varchar[], a.resource_id)), "
        "parts AS ("
        "  SELECT resource_id, coalesce(project, 'other business units') AS project, "
        "    sum(planned_hours) AS planned_hours, project IS NULL AS is_other "
        "  FROM named GROUP BY ALL) "
        "SELECT resource_id, string_agg(project || ' (' || CAST(round(planned_hours) AS BIGINT) || ' h)', '; ' "
        "  ORDER BY is_other, planned_hours DESC) AS projects "
        "FROM parts GROUP BY resource_id",
        [list(name_units), list(name_units), as_of, rows["resource_id"].tolist()]).df()
    rows = rows.merge(alloc, on="resource_id", how="left")
    rows["over_by_hours"] = rows["planned_hours"] - rows["capacity_hours"]
    return rows[cols].sort_values("over_by_hours", ascending=False).reset_index(drop=True)


# -- benefits -------------------------------------------------------------------------------------

_BENEFIT_DETAILS = """
select b.benefit_id, b.owner, b.unit, p.strategic_objective_id as objective_id,
       coalesce(o.objective_name, p.strategic_objective_id) as objective
from main.benefits as b
left join main.projects as p using (project_id)
left join (select objective_id, any_value(objective_name) as objective_name
           from main.strategic_objectives group by objective_id) as o
    on o.objective_id = p.strategic_objective_id
where list_contains(?::varchar[], b.benefit_id)
"""


def _benefit_rows(con, filters: Filters) -> pd.DataFrame:
    """Every benefit of the selected projects at M (the rows behind the benefit KPIs, kpis.kpi_rows),
    with its owner, unit and strategic objective."""
    from .kpis import kpi_rows

    rows = kpi_rows(con, "benefits_at_risk", filters)
    if rows.empty or "benefit_id" not in rows:
        return pd.DataFrame()
    details = con.execute(_BENEFIT_DETAILS, [rows["benefit_id"].tolist()]).df()
    rows = rows.merge(details, on="benefit_id", how="left")
    rows["is_financial"] = rows["category"] == "financial"
    rows["is_at_risk"] = rows["is_at_risk"].fillna(False).astype(bool)
    return rows


def benefits_cumulative(con, filters: Filters, months: int = 24) -> pd.DataFrame:
    """[month, planned, realized] for the financial benefits of the selected projects: each month's
    benefits_planned_to_date and benefits_realized_to_date KPIs."""
    from .kpis import kpi_series

    as_of = _as_of(con, filters)
    if as_of is None:
        return pd.DataFrame(columns=["month", "planned", "realized"])
    start = month_add(as_of, -(months - 1))
    planned = kpi_series(con, "benefits_planned_to_date", filters, start=start, end=as_of)
    realized = kpi_series(con, "benefits_realized_to_date", filters, start=start, end=as_of)
    out = planned.rename(columns={"value": "planned"}).merge(
        realized.rename(columns={"value": "realized"}), on="month", how="outer")
    out[["planned", "realized"]] = out[["planned", "realized"]].astype(float).fillna(0.0)
    return out.sort_values("month").reset_index(drop=True)


def benefits_by(con, filters: Filters, by: str) -> pd.DataFrame:
    """Benefits of the selected projects at M per benefit type, strategic objective, owner, category
    or portfolio: how many, how many at risk, and — financial benefits only — target, planned to date,
    realised to date and the realisation rate (realised / planned)."""
    _check(by, BENEFIT_DIMENSIONS, "benefit breakdown")
    as_of = _as_of(con, filters)
    cols = ["key", "benefits", "at_risk", "target", "planned_to_date", "realized_to_date", "realization_rate"]
    if as_of is None:
        return pd.DataFrame(columns=cols)
    rows = _benefit_rows(con, filters.with_as_of(as_of))
    if rows.empty:
        return pd.DataFrame(columns=cols)
    rows = rows.assign(key=_label(rows[by]))
    fin = rows["is_financial"].astype(bool)
    rows = rows.assign(target_fin=rows["target_value"].where(fin),
                       planned_fin=rows["planned_value"].where(fin),
                       actual_fin=rows["actual_value"].where(fin))
    out = rows.groupby("key", as_index=False).agg(
        benefits=("benefit_id", "nunique"), at_risk=("is_at_risk", "sum"), target=("target_fin", "sum"),
        planned_to_date=("planned_fin", "sum"), realized_to_date=("actual_fin", "sum"))
    out["realization_rate"] = out["realized_to_date"] / out["planned_to_date"].where(out["planned_to_date"] != 0)
    return out[cols].sort_values(["planned_to_date", "benefits"], ascending=False).reset_index(drop=True)


def benefits_register(con, filters: Filters) -> pd.DataFrame:
    """Every benefit of the selected projects at M with its latest planned and actual values and progress."""
    as_of = _as_of(con, filters)
    cols = ["benefit_id", "benefit_name", "project_id", "project_name", "category", "benefit_type", "owner",
            "unit", "baseline_value", "target_value", "planned_period", "planned_value", "actual_period",
            "actual_value", "progress", "is_at_risk"]
    if as_of is None:
        return pd.DataFrame(columns=cols)
    rows = _benefit_rows(con, filters.with_as_of(as_of))
    if rows.empty:
        return pd.DataFrame(columns=cols)
    return rows[cols].sort_values(["is_at_risk", "benefit_id"], ascending=[False, True]).reset_index(drop=True)


def spend_and_benefits_by_objective(con, filters: Filters) -> pd.DataFrame:
    """Per strategic objective at M: actual cost to date and financial benefits realised to date."""
    spend = finance_by(con, filters, "objective")
    benefits = benefits_by(con, filters, "objective")
    cols = ["objective", "actual_to_date", "planned_to_date", "benefits_realized", "benefits_planned"]
    if spend.empty and benefits.empty:
        return pd.DataFrame(columns=cols)
    a = spend[["label", "actual_to_date", "planned_to_date"]].rename(columns={"label": "objective"})
    b = benefits[["key", "realized_to_date", "planned_to_date"]].rename(
        columns={"key": "objective", "realized_to_date": "benefits_realized", "planned_to_date": "benefits_planned"})
    out = a.merge(b, on="objective", how="outer")
    for col in cols[1:]:
        out[col] = out[col].astype(float).fillna(0.0)
    return out[cols].sort_values("actual_to_date", ascending=False).reset_index(drop=True)


# -- maturity -------------------------------------------------------------------------------------

def maturity_heatmap(con, filters: Filters) -> pd.DataFrame:
    """Business unit × domain scores at M as a wide table (rows: business units; columns: the nine
    domains in framework order; empty where a domain was not assessed)."""
    from .kpis import maturity_scores

    scores = maturity_scores(con, filters)
    if scores.empty:
        return pd.DataFrame(columns=list(c.MATURITY_DOMAINS))
    wide = scores.pivot_table(index="business_unit", columns="domain", values="score", aggfunc="mean")
    return wide.reindex(columns=[d for d in c.MATURITY_DOMAINS if d in wide.columns])


def maturity_changes(con, filters: Filters) -> pd.DataFrame:
    """Per business unit × domain: the score in its latest assessment ≤ end(M), in the one before,
    and the change (empty when the unit was assessed once)."""
    from .kpis import maturity_history

    cols = ["business_unit", "domain", "previous_assessment", "previous_score", "latest_assessment",
            "latest_score", "change"]
    hist = maturity_history(con, filters)
    if hist.empty:
        return pd.DataFrame(columns=cols)
    dates = (hist[["business_unit", "assessment_id", "assessment_date"]].drop_duplicates()
             .sort_values(["business_unit", "assessment_date", "assessment_id"]))
    dates["rank"] = dates.groupby("business_unit").cumcount(ascending=False)
    latest = dates[dates["rank"] == 0][["business_unit", "assessment_id"]]
    prev = dates[dates["rank"] == 1][["business_unit", "assessment_id"]]
    now = hist.merge(latest, on=["business_unit", "assessment_id"])[
        ["business_unit", "domain", "assessment_id", "score"]].rename(
        columns={"assessment_id": "latest_assessment", "score": "latest_score"})
    before = hist.merge(prev, on=["business_unit", "assessment_id"])[
        ["business_unit", "domain", "assessment_id", "score"]].rename(
        columns={"assessment_id": "previous_assessment", "score": "previous_score"})
    out = now.merge(before, on=["business_unit", "domain"], how="left")
    out["change"] = out["latest_score"] - out["previous_score"]
    out["_d"] = out["domain"].map({d: i for i, d in enumerate(c.MATURITY_DOMAINS)})
    return out.sort_values(["business_unit", "_d"])[cols].reset_index(drop=True)


def maturity_domain_changes(changes: pd.DataFrame) -> pd.DataFrame:
    """Mean change per domain across the business units assessed twice (for a bar chart)."""
    if changes.empty or changes["change"].isna().all():
        return pd.DataFrame(columns=["domain", "change", "business_units"])
    valid = changes.dropna(subset=["change"])
    out = valid.groupby("domain", as_index=False).agg(change=("change", "mean"),
                                                      business_units=("business_unit", "nunique"))
    out["_d"] = out["domain"].map({d: i for i, d in enumerate(c.MATURITY_DOMAINS)})
    return out.sort_values("_d")[["domain", "change", "business_units"]].reset_index(drop=True)


def maturity_gaps(con, filters: Filters, n: int = 15) -> pd.DataFrame:
    """The largest gaps (target − score) at M, business unit × domain, largest first."""
    from .kpis import maturity_scores

    scores = maturity_scores(con, filters)
    cols = ["business_unit", "domain", "score", "target", "gap", "assessment_id", "assessment_date"]
    if scores.empty:
        return pd.DataFrame(columns=cols)
    gaps = scores.dropna(subset=["gap"]).sort_values(["gap", "business_unit"], ascending=[False, True])
    return gaps[cols].head(n).reset_index(drop=True)


# -- data quality ---------------------------------------------------------------------------------

def _meta(con, table: str) -> bool:
    return _table_exists(con, "meta", table)


def rule_pass_rates(con) -> pd.DataFrame:
    """Per table × rule of the registry: rows checked in the table's latest load, rows failing the
    rule, and the pass rate (share of rows with no finding for it)."""
    from .schemas.rules import RULES

    cols = ["table", "rule_id", "severity", "description", "rows_checked", "rows_failed", "pass_rate"]
    pairs = [(t, r.id, r.severity, r.description) for r in RULES.values() for t in r.tables]
    base = pd.DataFrame(pairs, columns=["table", "rule_id", "severity", "description"])
    if not (_meta(con, "table_rows") and _meta(con, "findings")):
        return pd.DataFrame(columns=cols)
    rows = con.execute("""
        select t."table", t.rows_read as rows_checked
        from meta.table_rows as t
        join meta.load_log as l using (load_id)
        qualify row_number() over (partition by t."table" order by l.finished_at desc) = 1
    """).df()
    failed = con.execute("""
        select "table", rule_id,
               count(distinct coalesce(file || ':' || cast("row" as varchar), project_id, message)) as rows_failed
        from meta.findings group by all
    """).df()
    out = base.merge(rows, on="table", how="inner").merge(failed, on=["table", "rule_id"], how="left")
    out["rows_failed"] = out["rows_failed"].fillna(0).astype(int)
    checked = out["rows_checked"].where(out["rows_checked"] > 0)
    out["pass_rate"] = (1 - out["rows_failed"] / checked).clip(lower=0)
    order = {t: i for i, t in enumerate(c.LOAD_ORDER)}
    out = out.assign(_t=out["table"].map(order)).sort_values(["_t", "rule_id"])
    return out[cols].reset_index(drop=True)


def findings(con, severity: str | None = None, limit: int = 100_000) -> pd.DataFrame:
    """The findings of the loads behind the current data (warnings that loaded; errors of quarantined rows)."""
    cols = ["rule_id", "severity", "table", "file", "row", "column", "value", "project_id", "message", "load_id"]
    if not _meta(con, "findings"):
        return pd.DataFrame(columns=cols)
    return con.execute(
        'SELECT rule_id, severity, "table", file, "row", "column", value, project_id, message, load_id '
        "FROM meta.findings WHERE ?::varchar IS NULL OR severity = ?::varchar "
        'ORDER BY severity, rule_id, "table", "row" LIMIT ?', [severity, severity, limit]).df()


def warnings_by_manager(con) -> pd.DataFrame:
    """Warnings that name a project, grouped by its project manager and rule — who to ask to fix what."""
    cols = ["project_manager", "rule_id", "warnings", "projects"]
    if not _meta(con, "findings"):
        return pd.DataFrame(columns=cols)
    frame = con.execute("""
        select coalesce(p.project_manager, '(no project manager)') as project_manager, f.rule_id,
               count(*) as warnings, count(distinct f.project_id) as projects
        from meta.findings as f
        left join main.projects as p using (project_id)
        where f.severity = ? and f.project_id is not null
        group by all
        order by warnings desc, project_manager, rule_id
    """, [WARNING]).df()
    return frame[cols]


def stale_reports(con, filters: Filters) -> pd.DataFrame:
    """Active projects whose latest report is more than 35 days before end(M), or missing."""
    from .kpis import kpi_rows

    rows = kpi_rows(con, "stale_status_share", filters)
    if rows.empty or "counted" not in rows:
        return pd.DataFrame(columns=["project_id", "project_name", "portfolio", "report_date", "days_since_report"])
    rows = rows[rows["counted"]]
    return rows.drop(columns=["counted", "is_stale"], errors="ignore").reset_index(drop=True)


def quarantined_rows(con) -> pd.DataFrame:
    """Rows set aside by quarantine loads, with their rules, reasons and the record as read."""
    cols = ["load_id", "table", "file", "row", "rule_ids", "reasons", "record"]
    if not _meta(con, "quarantine"):
        return pd.DataFrame(columns=cols)
    return con.execute('SELECT load_id, "table", file, "row", rule_ids, reasons, record FROM meta.quarantine '
                       'ORDER BY load_id DESC, "table", "row"').df()[cols]


def loaded_batches(con) -> pd.DataFrame:
    """The successful loads recorded in the database, newest first, with rows loaded per table."""
    cols = ["load_id", "started_at", "finished_at", "batch", "files", "rows_loaded", "rows_rejected", "quarantine",
            "message"]
    if not _meta(con, "load_log"):
        return pd.DataFrame(columns=cols)
    frame = con.execute("SELECT load_id, started_at, finished_at, batch, files, rows_loaded, rows_rejected, "
                        "quarantine, message FROM meta.load_log ORDER BY finished_at DESC").df()
    frame["files"] = frame["files"].map(_file_names)
    frame["rows_loaded"] = frame["rows_loaded"].map(_total_rows)
    frame["rows_rejected"] = frame["rows_rejected"].map(_total_rows)
    return frame[cols]


def _file_names(text) -> str:
    try:
        return ", ".join(f.get("name", "?") for f in json.loads(text or "[]"))
    except (TypeError, ValueError, AttributeError):
        return ""


def _total_rows(text) -> int:
    try:
        value = json.loads(text or "{}")
    except (TypeError, ValueError):
        return 0
    return int(sum(value.values())) if isinstance(value, dict) else 0


def load_attempts(db_path: str | Path) -> pd.DataFrame:
    """Every load attempt from the load log beside the database — rejected and failed ones too, which
    never reach the database itself — newest first."""
    from .warehouse import load_history

    cols = ["load_id", "started_at", "finished_at", "status", "batch", "files", "rows_read", "rows_loaded",
            "message"]
    history = load_history(db_path)
    if not history:
        return pd.DataFrame(columns=cols)
    frame = pd.DataFrame(history)
    for col in cols:
        if col not in frame:
            frame[col] = None
    frame["files"] = frame["files"].map(lambda v: ", ".join(f.get("name", "?") for f in v) if isinstance(v, list) else "")
    for col in ("rows_read", "rows_loaded"):
        frame[col] = frame[col].map(lambda v: int(sum(v.values())) if isinstance(v, dict) else None)
    for col in ("started_at", "finished_at"):
        frame[col] = pd.to_datetime(frame[col], errors="coerce")
    return frame[cols]


def kpi_glossary() -> pd.DataFrame:
    """Every metric of the registry as a row: group, label, id, unit, better, thresholds, scope, parts, formula."""
    from . import metrics

    return pd.DataFrame([{
        "group": metrics.GROUP_LABELS[m.group], "label": m.label, "id": m.id, "unit": m.unit, "better": m.good,
        "thresholds": metrics._threshold_text(m), "scope": m.scope, "built_from": ", ".join(m.parts),
        "definition": m.definition} for m in metrics.METRICS.values()])


def data_months(con) -> dict[str, str | None]:
    """First and last month with data, and the months of the first and last status report (for
    empty-state messages such as "no status reports before 2025-03")."""
    from .kpis import available_months

    months = available_months(con)
    row = con.execute("SELECT strftime(min(report_date), '%Y-%m'), strftime(max(report_date), '%Y-%m') "
                      "FROM main.status_reports").fetchone()
    return {"first": months[0] if months else None, "last": months[-1] if months else None,
            "first_report": row[0] if row else None, "last_report": row[1] if row else None}

