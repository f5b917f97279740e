"""The KPI engine: every figure of CONTRACT §3 and §4, as of a month, under the user's filters.

All functions take an open DuckDB connection (read-only is fine: nothing here creates tables) whose
database was loaded by the loader, so the marts of `pmo_metrics.marts` exist. Each KPI is computed
by the one query its registry entry names (`metrics.Metric.query`, a file under `sql/kpis/`); the
cards, the month-over-month comparison, the series and the breakdowns all run that query, and the
page tables (`pmo_metrics.views`) read their ratios from it too, so no two figures can disagree.
"""
from __future__ import annotations

import math
from typing import Any

import pandas as pd

from . import formatting as fmt
from . import metrics as registry
from .filters import Filters, month_add, months_between, previous_month
from .marts import check_marts
from .queries import records, run

DEFAULT_SERIES_MONTHS = 36
MAX_MONTHS = 240  # a stray date in 1900 must not make every month picker 1,500 entries long


# -- plumbing the page tables share -----------------------------------------------------------------

def params(filters: Filters, months: list[str], group_by: str = "all", project_id: str | None = None,
           **extra) -> dict[str, Any]:
    """The parameters of a KPI query (and of the page queries built on the KPI SQL)."""
    return {
        "months": list(months),
        "group_by": group_by,
        "project_id": project_id,
        "departments": list(filters.departments),
        "benefit_dimensions": list(registry.BENEFIT_DIMENSIONS),
        **filters.project_params(),
        **extra,
    }


def _scalar(metric_id: str, value):
    """A plain Python number or None (never NaN, numpy or pandas NA) for the CLI's JSON and the pages."""
    if value is None or value is pd.NA:
        return None
    try:
        if not math.isfinite(value):  # an overflowing sum or a ratio over one is no figure (never inf)
            return None
    except TypeError:
        return None
    m = registry.METRICS[metric_id]
    if m.unit == "count" or m.fmt == fmt.LEVEL:
        return int(value)
    return float(value)


def resolve_as_of(con, filters: Filters) -> str | None:
    """filters.as_of, or the default month when none is set (None when the database has no data)."""
    if filters.as_of is not None:
        check_marts(con)
        return filters.as_of
    return default_as_of(con)


def _values_by_month(con, filters: Filters, months: list[str],
                     queries: tuple[registry.Query, ...]) -> dict[str, dict[str, Any]]:
    """{month: {metric_id: value}} for the metrics of the given queries (no breakdown)."""
    out: dict[str, dict[str, Any]] = {m: {} for m in months}
    for query in queries:
        ids = registry.metrics_of(query)
        for row in records(con, query.sql, params(filters, months)):
            # without a breakdown every query returns exactly one row per month (group 'all')
            out[row["month"]].update({m: _scalar(m, row[m]) for m in ids})
    return out


# -- calendar and filter choices -----------------------------------------------------------------

def _calendar(con) -> dict[str, str | None]:
    check_marts(con)
    rows = records(con, "kpis/calendar")
    return rows[0] if rows else {}


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
    first = max(first or last, month_add(last, -(MAX_MONTHS - 1)))
    return months_between(min(first, last), last)


def filter_options(con) -> dict[str, list[str]]:
    """The values each filter can take: portfolios, programs, business_units, objectives (ids) with
    objective_names (the same order), departments, and months. Lists are sorted."""
    check_marts(con)
    out: dict[str, list[str]] = {k: [] for k in ("portfolios", "programs", "business_units", "objectives",
                                                 "objective_names", "departments")}
    for row in records(con, "kpis/filter_values"):
        out[row["filter"]].append(row["value"])
        if row["filter"] == "objectives":
            out["objective_names"].append(row["label"])
    out["months"] = available_months(con)
    return out


# -- the figures ------------------------------------------------------------------------------------

def compute_kpis(con, filters: Filters) -> dict[str, float | int | None]:
    """Every metric of the registry at filters.as_of (default: default_as_of), in registry order.

    Counts are int; everything else float; an empty figure (zero denominator, no data) is None.
    """
    as_of = resolve_as_of(con, filters)
    if as_of is None:
        return {m: None for m in registry.METRICS}
    values = _values_by_month(con, filters, [as_of], registry.queries())[as_of]
    return {m: values[m] for m in registry.METRICS}


def compare_kpis(con, filters: Filters, previous: str | None = None) -> pd.DataFrame:
    """One row per metric (registry order): value at M, at `previous` (default M − 1), the change,
    its direction, RAG status and the formatted texts. frame.attrs holds as_of and previous."""
    as_of = resolve_as_of(con, filters)
    columns = ["id", "label", "group", "unit", "good", "value", "previous", "change", "direction",
               "status", "previous_status", "formatted", "formatted_previous", "formatted_change",
               "definition"]
    if as_of is None:
        frame = pd.DataFrame(columns=columns)
        frame.attrs.update(as_of=None, previous=None)
        return frame
    previous = previous or previous_month(as_of)
    values = _values_by_month(con, filters, [previous, as_of] if previous != as_of else [as_of],
                              registry.queries())
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


def series_months(con, filters: Filters, start: str | None = None, end: str | None = None) -> list[str]:
    """The months of a series: `start` to `end` (default: the 36 months ending at filters.as_of or
    the default month, not starting before the first month with data)."""
    end = end or resolve_as_of(con, filters)
    if end is None:
        return []
    if start is None:
        first = _calendar(con).get("first_month")
        start = month_add(end, -(DEFAULT_SERIES_MONTHS - 1))
        if first and first > start:
            start = min(first, end)
    return months_between(start, end)[-MAX_MONTHS * 2:]


def kpi_frame(con, metric_ids: list[str], filters: Filters, start: str | None = None,
              end: str | None = None) -> pd.DataFrame:
    """[month, *metric_ids] oldest first over `series_months`: each query the metrics need runs once
    for all the months."""
    queries = tuple(dict.fromkeys(registry.get(m).query for m in metric_ids))
    months = series_months(con, filters, start, end)
    values = _values_by_month(con, filters, months, queries)
    return pd.DataFrame({"month": pd.Series(months, dtype=str),
                         **{m: pd.Series([values[month][m] for month in months], dtype=float)
                            for m in metric_ids}})


def kpi_series(con, metric_id: str, filters: Filters, start: str | None = None,
               end: str | None = None) -> pd.DataFrame:
    """[month, value] for one metric, oldest first (the months of `series_months`)."""
    frame = kpi_frame(con, [metric_id], filters, start, end)
    return pd.DataFrame({"month": frame["month"], "value": frame[metric_id]})


def breakdown(con, query: registry.Query, filters: Filters, by: str, months: list[str]) -> pd.DataFrame:
    """The rows of a KPI query per `by` group and month — its metrics and the counts and sums behind
    them — with `group_label` (an objective's or a project's name; else the key itself). The page
    tables take their ratios from here."""
    if by not in query.breakdowns:
        raise ValueError(f"{query.sql} can be broken down by {', '.join(query.breakdowns)}, not {by!r}")
    frame = run(con, query.sql, params(filters, months, group_by=by))
    labels = group_labels(con, by)
    frame["group_label"] = [labels.get(k, k) for k in frame["group_key"]]
    return frame


def group_labels(con, by: str) -> dict[str, str]:
    """Display names of breakdown groups whose key is an id (objectives, projects); empty otherwise."""
    return {r["group_key"]: r["group_label"] for r in records(con, "kpis/group_labels", {"group_by": by})}


def kpi_breakdown(con, metric_id: str, filters: Filters, by: str) -> pd.DataFrame:
    """[group, label, value] for one metric at M, computed per group with the same formula.

    by: any of the metric's `breakdowns` (metrics.Query): portfolio, program, business_unit,
    objective or project for project and benefit metrics (benefits also by benefit_type, category
    and owner); department, role or employment_type for resource metrics; business_unit or domain
    for maturity. A group with an empty key (a project without program) has group None.
    """
    m = registry.get(metric_id)
    if by not in m.breakdowns:
        raise ValueError(f"{metric_id} can be broken down by {', '.join(m.breakdowns)}, not {by!r}")
    as_of = resolve_as_of(con, filters)
    if as_of is None:
        return pd.DataFrame(columns=["group", "label", "value"])
    rows = breakdown(con, m.query, filters, by, [as_of])
    out = pd.DataFrame({
        "group": pd.Series(rows["group_key"].tolist(), dtype=object),
        "label": pd.Series(rows["group_label"].tolist(), dtype=object),
        "value": pd.Series([_scalar(metric_id, v) for v in rows[metric_id]], dtype=float),
    })
    return out.sort_values("group", na_position="last", key=lambda s: s.astype(str)).reset_index(drop=True)


def project_totals(con, filters: Filters) -> dict[str, Any]:
    """The counts and sums behind the project KPIs at M (all selected projects, no breakdown):
    active_projects, green_projects, amber_projects, red_projects, unreported_projects,
    stale_projects, budget_at_completion (Σ BAC of the active projects), … — empty at no month."""
    as_of = resolve_as_of(con, filters)
    if as_of is None:
        return {}
    rows = records(con, registry.PROJECT_KPIS.sql, params(filters, [as_of]))
    return rows[0]


def rag_counts(con, filters: Filters) -> dict[str, int]:
    """How many active projects at M are green, amber, red, and without a report ('none')."""
    totals = project_totals(con, filters)
    return {"green": int(totals.get("green_projects") or 0), "amber": int(totals.get("amber_projects") or 0),
            "red": int(totals.get("red_projects") or 0), "none": int(totals.get("unreported_projects") or 0)}


def project_table(con, filters: Filters) -> pd.DataFrame:
    """One row per selected project at M (active or not; `active` says which)."""
    as_of = resolve_as_of(con, filters)
    months = [previous_month(as_of), as_of] if as_of else []
    return run(con, "kpis/project_table", params(filters, months, as_of=as_of))


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
        frame = kpi_frame(con, ["planned_value", "earned_value", "actual_cost"], filters, start, end)
        if frame.empty:
            return empty
        return pd.DataFrame({"month": frame["month"], "pv": frame["planned_value"],
                             "ev": frame["earned_value"], "ac": frame["actual_cost"]})
    end = end or resolve_as_of(con, filters)
    if end is None:
        return empty
    if start is None:
        found = records(con, "kpis/project_start_month", {"project_id": project_id})
        start = found[0]["start_month"] if found and found[0]["start_month"] else end
        start = max(start, month_add(end, -(MAX_MONTHS - 1)))
    months = months_between(start, end)
    if not months:
        return empty
    facts = run(con, "kpis/project_months", params(Filters(), months, project_id=project_id))
    # months before the project started, reported or booked anything have no facts: nothing yet
    facts = facts.set_index("month").reindex(months)
    return pd.DataFrame({"month": months,
                         "pv": facts["pv"].fillna(0.0).astype(float).to_numpy(),
                         "ev": facts["ev"].astype(float).to_numpy(),
                         "ac": facts["ac"].fillna(0.0).astype(float).to_numpy()})
