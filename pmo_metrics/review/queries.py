"""What the monthly review reads beside the KPI engine and the page tables: commentary, the
milestones due next month, the projects snapshots that keep forecast history, and the findings and
loads of the month. SQL in sql/review/.

The one thing only the review reads is history the engine does not keep: `meta.project_snapshots`,
the projects extract as it was loaded each month, so forecast finish dates and budgets can be
compared between two months as they were then known — not as the latest extract states them today.
A database written before the loader kept snapshots (or built by hand) has no meta tables; the
review then says what it cannot show instead of failing.
"""
from __future__ import annotations

import duckdb
import pandas as pd

from ..filters import Filters, month_end, month_start
from ..queries import records, run
from ..views import maturity


def _month(month: str) -> dict:
    return {"month_start": month_start(month), "month_end": month_end(month)}


def latest_commentary(con, project_ids: list[str], as_of: str) -> pd.DataFrame:
    """[project_id, report_date, summary]: each project's latest status report ≤ end(M) that has a summary."""
    if not project_ids:
        return pd.DataFrame(columns=["project_id", "report_date", "summary"])
    return run(con, "review/latest_commentary", {"project_ids": list(project_ids), "month_end": month_end(as_of)})


def milestones_due(con, project_ids: list[str], month: str, known_at: str) -> pd.DataFrame:
    """Milestones of the given projects forecast (else baselined) to fall in `month` and not achieved
    by end(known_at)."""
    if not project_ids:
        return pd.DataFrame(columns=["project_id", "milestone_id", "milestone_name", "is_gate", "baseline_date",
                                     "forecast_date", "actual_date"])
    return run(con, "review/milestones_due", {"project_ids": list(project_ids), "start": month_start(month),
                                              "end": month_end(month), "known_end": month_end(known_at)})


def snapshot_month(con, month: str) -> str | None:
    """The projects snapshot that stood for `month`: the latest one taken in or before it."""
    try:
        return records(con, "review/snapshot_month", {"month": month})[0]["snapshot_month"]
    except duckdb.CatalogException:  # a database written before snapshots existed
        return None


def forecast_changes(con, project_ids: list[str], before: str, after: str) -> pd.DataFrame:
    """Per project present in both snapshots: forecast finish and budget at completion in each, and
    the changes (days, money). Only projects where something changed."""
    if not project_ids:
        return pd.DataFrame(columns=["project_id", "stage_before", "stage", "finish_before", "finish", "slip_days",
                                     "bac_before", "bac", "bac_change"])
    return run(con, "review/forecast_changes", {"project_ids": list(project_ids), "before": before, "after": after})


def findings_by_rule(con, as_of: str) -> pd.DataFrame:
    """Findings standing against the data now loaded, per rule, table and severity: how many, and how
    many came from loads dated in M."""
    try:
        return run(con, "review/findings_by_rule", _month(as_of))
    except duckdb.CatalogException:  # a database without the meta tables
        return pd.DataFrame(columns=["rule_id", "severity", "table", "findings", "from_loads_in_month"])


def loads_in_month(con, as_of: str) -> pd.DataFrame:
    """The loads dated in M."""
    try:
        return run(con, "review/loads_in_month", _month(as_of))
    except duckdb.CatalogException:
        return pd.DataFrame(columns=["load_id", "load_date", "batch", "message"])


def new_assessments(con, filters: Filters) -> pd.DataFrame:
    """Maturity assessments of the selected business units dated in M (one row per domain)."""
    hist = maturity.history(con, filters)
    if hist.empty:
        return hist
    dates = pd.to_datetime(hist["assessment_date"]).dt.date
    return hist[(dates >= month_start(filters.as_of)) & (dates <= month_end(filters.as_of))].reset_index(drop=True)
