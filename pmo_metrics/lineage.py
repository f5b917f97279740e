"""The rows behind a figure: for any KPI at M, the projects, milestones, resources, benefits or
assessments it is counted or summed over, read from the same per-row SQL as the KPI query (so the
rows add up to the card), with a `counted` column marking those in the numerator.
"""
from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from . import metrics as registry
from .filters import Filters
from .kpis import params, resolve_as_of
from .queries import run

_PROJECT_ROW_COLUMNS = ["project_id", "project_name", "portfolio", "program", "business_unit", "stage",
                        "is_active"]
_BENEFIT_ROW_COLUMNS = ["benefit_id", "benefit_name", "category", "benefit_type", "project_id", "project_name",
                        "portfolio", "baseline_value", "target_value", "planned_period", "planned_value",
                        "actual_period", "actual_value", "progress", "is_at_risk"]
_RAG_SHARES = {"rag_green_share": "green", "rag_amber_share": "amber", "rag_red_share": "red"}


def kpi_rows(con, metric_id: str, filters: Filters) -> pd.DataFrame:
    """The rows behind a figure at M, with a boolean `counted` column marking those in the
    numerator (or, for sums and counts, those that add to the figure); counted rows come first.

    Shares: the whole denominator population (e.g. every active project, with the red ones
    counted). Sums and derived cost figures: the active projects with their BAC, PV, EV, AC, CPI and
    EAC. Resource metrics: the resources with capacity, hours and planned hours. Benefits: the
    benefits with their latest planned and actual values. Maturity: business unit × domain scores.
    """
    m = registry.get(metric_id)
    as_of = resolve_as_of(con, filters)
    if as_of is None:
        return pd.DataFrame(columns=["counted"])
    values = params(filters, [as_of])
    if m.query == registry.PROJECT_KPIS:
        frame = _project_rows(metric_id, run(con, "kpis/project_rows", values))
    elif m.query == registry.MILESTONE_KPIS:
        frame = run(con, "kpis/milestone_rows", values).assign(counted=lambda f: f["on_time"])
    elif m.query == registry.RESOURCE_KPIS:
        frame = _resource_rows(metric_id, run(con, "kpis/resource_months", values))
    elif m.query == registry.BENEFIT_KPIS:
        frame = _benefit_rows(con, metric_id, values)
    elif m.query == registry.FORECAST_KPIS:
        frame = _forecast_rows(con, metric_id, values)
    else:
        frame = run(con, "kpis/maturity_domains", values).assign(counted=True)
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
    if metric_id in _RAG_SHARES or metric_id in ("rag_missing_share", "stale_status_share"):
        out = active[base + ["report_date", "days_since_report", "overall_rag", "is_stale"]]
        if metric_id in _RAG_SHARES:
            flag = out["overall_rag"] == _RAG_SHARES[metric_id]
        elif metric_id == "rag_missing_share":
            flag = out["report_date"].isna()
        else:
            flag = out["is_stale"]
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


def _resource_rows(metric_id: str, frame: pd.DataFrame) -> pd.DataFrame:
    if metric_id == "overallocated_resources":
        return frame.assign(counted=frame["is_overallocated"])
    if metric_id == "contractor_hours_share":
        return frame[frame["hours"] != 0].assign(counted=lambda f: f["is_contractor"])
    return frame.assign(counted=(frame["hours"] != 0) | (frame["capacity_hours"] != 0)
                        | (frame["planned_hours"] != 0))


def _benefit_rows(con, metric_id: str, values: dict[str, Any]) -> pd.DataFrame:
    if metric_id == "benefit_cost_ratio":
        projects = run(con, "kpis/project_rows", values)[_PROJECT_ROW_COLUMNS + ["ac"]]
        benefits = run(con, "kpis/benefit_months", values)
        realized = (benefits[benefits["is_financial"]].groupby("project_id")["actual_value"].sum(min_count=1)
                    .rename("benefits_realized"))
        out = projects.rename(columns={"ac": "actual_cost_to_date"}).merge(
            realized, how="left", left_on="project_id", right_index=True)
        out["benefits_realized"] = out["benefits_realized"].fillna(0.0)
        return out.assign(counted=(out["actual_cost_to_date"] != 0) | (out["benefits_realized"] != 0))
    frame = run(con, "kpis/benefit_rows", values)
    cols = _BENEFIT_ROW_COLUMNS
    if metric_id == "benefits_at_risk":
        return frame[cols].assign(counted=frame["is_at_risk"])
    financial = frame[frame["is_financial"]][cols]
    if metric_id == "benefits_realized_to_date":
        return financial.assign(counted=financial["actual_value"].notna())
    return financial.assign(counted=financial["planned_value"].notna())


_FORECAST_ROW_COLUMNS = ["project_id", "project_name", "program", "delivery_approach", "start_date",
                         "baseline_finish_date", "current_finish_date", "bac"]


def _forecast_rows(con, metric_id: str, values: dict[str, Any]) -> pd.DataFrame:
    """The forecast KPIs' rows: the active projects with what each adds (ES and AT for spi_t, the P80
    outturn for the exposure, the P50 for the optimism), or, for the backtest, the finished projects
    it judged, those whose P80 held counted."""
    if metric_id == "rcf_p80_coverage":
        frame = run(con, "kpis/rcf_backtest", values)
        return frame.assign(counted=frame["covered"])
    frame = run(con, "kpis/project_forecasts", values)
    active = frame[frame["is_active"].astype(bool)]
    extra, counted = {
        "spi_t": (["ev", "earned_schedule", "actual_time", "planned_months", "project_spi_t"], "earned_schedule"),
        "rcf_cost_exposure_p80": (["class_kind", "class_size", "cost_class_size", "rcf_cost_p80"], "rcf_cost_p80"),
        "forecast_optimism_days": (["class_kind", "class_size", "rcf_finish_p50", "optimism_days"], "optimism_days"),
    }[metric_id]
    return active[_FORECAST_ROW_COLUMNS + extra].assign(counted=active[counted].notna())


# The key a row behind a figure is traced by, most specific first: a benefit row also names its
# project, but it came from the benefits extract.
SOURCE_KEYS = ("milestone_id", "benefit_id", "resource_id", "project_id")


def with_sources(con, rows: pd.DataFrame) -> pd.DataFrame:
    """`rows` with where each came from: source_file, source_row and load_id of its extract row (by
    its most specific key of SOURCE_KEYS). Rows without such a key (maturity's business unit ×
    domain) and databases built without lineage columns get none."""
    key = next((k for k in SOURCE_KEYS if k in rows.columns), None)
    if key is None or rows.empty:
        return rows
    try:
        found = run(con, "kpis/row_sources", {"key_column": key, "keys": rows[key].dropna().astype(str).unique().tolist()})
    except duckdb.BinderException:   # a warehouse built by hand, without the loader's lineage columns
        return rows
    found = found.drop_duplicates("key")
    out = rows.merge(found.rename(columns={"key": key}), on=key, how="left")
    out.attrs.update(rows.attrs)
    return out


def kpi_rows_with_sources(con, metric_id: str, filters: Filters) -> pd.DataFrame:
    """kpi_rows, each row with its source file, row and load (see with_sources)."""
    return with_sources(con, kpi_rows(con, metric_id, filters))
