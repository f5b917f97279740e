"""Finance: cost by month and by group, and the projects with the largest variances. SQL in
sql/views/finance/."""
from __future__ import annotations

import pandas as pd

from .. import kpis
from ..filters import Filters, month_add, previous_month
from ..queries import run
from . import check, named

FINANCE_DIMENSIONS = ("portfolio", "program", "business_unit", "objective", "cost_category")


def by_month(con, filters: Filters, months: int = 24, ahead: int = 6) -> pd.DataFrame:
    """Planned, actual and forecast cost per month of the selected projects, from `months` before M
    to `ahead` months after it, with running totals from the first month shown."""
    as_of = kpis.resolve_as_of(con, filters)
    if as_of is None:
        return pd.DataFrame(columns=["period", "planned_cost", "actual_cost", "forecast_cost", "planned_cumulative",
                                     "actual_cumulative", "is_future"])
    return run(con, "views/finance/by_month", kpis.params(
        filters, [], month=as_of, start=month_add(as_of, -(months - 1)), end=month_add(as_of, ahead)))


def by_group(con, filters: Filters, by: str) -> pd.DataFrame:
    """Cost of the selected projects at M per portfolio, program, business unit, objective or cost
    category: planned and actual to date and year to date, total plan, forecast at completion
    (actuals to M plus forecast, else planned, after M) and budget (BAC; not split by category).
    `variance_to_date` = actual − planned to date (positive = overspent)."""
    check(by, FINANCE_DIMENSIONS, "finance breakdown")
    as_of = kpis.resolve_as_of(con, filters)
    if as_of is None:
        return pd.DataFrame(columns=["key", "label", "planned_to_date", "actual_to_date", "variance_to_date",
                                     "planned_ytd", "actual_ytd", "planned_total", "forecast_total",
                                     "budget_at_completion"])
    frame = run(con, "views/finance/by_group", kpis.params(
        filters, [], group_by="all" if by == "cost_category" else by, by=by, month=as_of,
        year_start=f"{as_of[:4]}-01"))
    frame["label"] = named(frame["label"])
    return frame


def largest_variances(con, filters: Filters, n: int = 15) -> pd.DataFrame:
    """Active projects ranked by the size of their variance at completion (|BAC − EAC|), with their
    spend variance to date (AC − PV) — the same per-project figures as the project table."""
    as_of = kpis.resolve_as_of(con, filters)
    if as_of is None:
        return pd.DataFrame(columns=["project_id", "project_name", "portfolio", "overall_rag", "bac", "eac", "vac",
                                     "pv", "ac", "spend_variance", "cpi"])
    return run(con, "views/finance/largest_variances",
               kpis.params(filters, [previous_month(as_of), as_of], as_of=as_of, limit=n))


def earned_value_curve(con, filters: Filters, start: str | None = None, end: str | None = None) -> pd.DataFrame:
    """[month, projects, pv, ev, ac]: cumulative planned value, earned value and actual cost, month
    by month up to M, of one fixed set of projects — those active at M — so the curve never falls
    as projects finish (kpis.evm_curve sums each month's own active projects instead). `projects`
    says how many of the set had started by each month."""
    as_of = kpis.resolve_as_of(con, filters)
    months = kpis.series_months(con, filters, start, end or as_of) if as_of else []
    if not months:
        return pd.DataFrame({"month": pd.Series([], dtype=str), "projects": pd.Series([], dtype=int),
                             **{c: pd.Series([], dtype=float) for c in ("pv", "ev", "ac")}})
    frame = run(con, "views/finance/earned_value_curve", kpis.params(filters, months, as_of=months[-1]))
    return frame.astype({"pv": float, "ev": float, "ac": float})
