"""Benefits: financial benefits planned and realised over time, by group, and the register. SQL in
sql/views/benefits/, on the benefit KPI query."""
from __future__ import annotations

import pandas as pd

from .. import kpis
from ..filters import Filters, month_add
from ..queries import run
from . import check, finance, named

# The breakdowns the benefits page offers (each one the benefit KPI query accepts).
BENEFIT_DIMENSIONS = ("benefit_type", "objective", "owner", "category", "portfolio")


def cumulative(con, filters: Filters, months: int = 24) -> pd.DataFrame:
    """[month, planned, realized] for the financial benefits of the selected projects: each month's
    benefits_planned_to_date and benefits_realized_to_date KPIs (empty in months before any
    measurement: no data, not 0)."""
    as_of = kpis.resolve_as_of(con, filters)
    if as_of is None:
        return pd.DataFrame(columns=["month", "planned", "realized"])
    frame = kpis.kpi_frame(con, ["benefits_planned_to_date", "benefits_realized_to_date"], filters,
                           start=month_add(as_of, -(months - 1)), end=as_of)
    return pd.DataFrame({"month": frame["month"],
                         "planned": frame["benefits_planned_to_date"],
                         "realized": frame["benefits_realized_to_date"]})


def by_group(con, filters: Filters, by: str) -> pd.DataFrame:
    """Benefits of the selected projects at M per benefit type, strategic objective, owner, category
    or portfolio: how many, how many at risk, and — financial benefits only — target, planned to date,
    realised to date and the realisation rate (realised / planned)."""
    check(by, BENEFIT_DIMENSIONS, "benefit breakdown")
    as_of = kpis.resolve_as_of(con, filters)
    if as_of is None:
        return pd.DataFrame(columns=["key", "benefits", "at_risk", "target", "planned_to_date", "realized_to_date",
                                     "realization_rate"])
    frame = run(con, "views/benefits/by_group", kpis.params(filters, [as_of], group_by=by))
    labels = kpis.group_labels(con, by)
    frame["key"] = named(pd.Series([labels.get(k, k) for k in frame["key"]], index=frame.index, dtype=object))
    return frame


def register(con, filters: Filters) -> pd.DataFrame:
    """Every benefit of the selected projects at M with its latest planned and actual values and progress."""
    as_of = kpis.resolve_as_of(con, filters)
    if as_of is None:
        return pd.DataFrame(columns=["benefit_id", "benefit_name", "project_id", "project_name", "category",
                                     "benefit_type", "owner", "unit", "baseline_value", "target_value",
                                     "planned_period", "planned_value", "actual_period", "actual_value",
                                     "progress", "is_at_risk"])
    return run(con, "views/benefits/register", kpis.params(filters, [as_of]))


def spend_and_benefits_by_objective(con, filters: Filters) -> pd.DataFrame:
    """Per strategic objective at M: actual cost to date and financial benefits realised to date
    (the finance and benefit tables by objective, side by side)."""
    spend = finance.by_group(con, filters, "objective")
    gained = by_group(con, filters, "objective")
    cols = ["objective", "actual_to_date", "planned_to_date", "benefits_realized", "benefits_planned"]
    if spend.empty and gained.empty:
        return pd.DataFrame(columns=cols)
    a = spend[["label", "actual_to_date", "planned_to_date"]].rename(columns={"label": "objective"})
    b = gained[["key", "realized_to_date", "planned_to_date"]].rename(
        columns={"key": "objective", "realized_to_date": "benefits_realized", "planned_to_date": "benefits_planned"})
    out = a.merge(b, on="objective", how="outer")
    for col in cols[1:]:
        out[col] = out[col].astype(float).fillna(0.0)
    return out[cols].sort_values("actual_to_date", ascending=False).reset_index(drop=True)
