"""Governance: the stage-gate picture and change control, for the governance page. SQL in
sql/views/governance/, on the KPI query's own rows (sql/kpis/governance_kpis.sql, gate_rows.sql,
change_rows.sql), so each table adds up to its card.
"""
from __future__ import annotations

import pandas as pd

from .. import kpis
from .. import metrics as registry
from ..filters import Filters
from ..queries import run

# Open change requests by age: 0–30 days, 31–60, 61–90, more than 90.
CHANGE_AGE_BANDS = (30, 60, 90)
# Decisions by authority level are read over the year ending M: enough decisions to compare levels.
DECISION_REVIEW_MONTHS = 12

GATE_COLUMNS = ["group_key", "group_label", "gates_due", "gates_on_time", "gates_late", "gates_overdue",
                "gate_on_time_rate"]
CHANGE_COLUMNS = ["group_key", "group_label", "open_change_requests", "approved_changes_ytd",
                  "approved_change_cost_ytd", "approved_schedule_days_ytd"]


def _as_of(con, filters: Filters) -> list[str]:
    as_of = kpis.resolve_as_of(con, filters)
    return [as_of] if as_of else []


def _by(con, filters: Filters, by: str, columns: list[str]) -> pd.DataFrame:
    months = _as_of(con, filters)
    if not months:
        return pd.DataFrame(columns=columns)
    return kpis.breakdown(con, registry.GOVERNANCE_KPIS, filters, by, months)


def gates_by_group(con, filters: Filters, by: str = "portfolio") -> pd.DataFrame:
    """Per group at M: gates due by end(M), passed on time, passed late, overdue (the gates_overdue
    KPI's own count) and the on-time rate; groups without gate milestones left out."""
    frame = _by(con, filters, by, GATE_COLUMNS)
    if frame.empty:
        return frame
    frame = frame[frame["gates_overdue"].notna()].copy()
    frame["gates_late"] = frame["gates_due"] - frame["gates_on_time"] - frame["gates_overdue"]
    return frame[GATE_COLUMNS].reset_index(drop=True)


def gate_decisions(con, filters: Filters) -> pd.DataFrame:
    """Gate reviews by decision in the window gate_approval_rate counts: decision, reviews, is_approval."""
    months = _as_of(con, filters)
    if not months:
        return pd.DataFrame(columns=["decision", "reviews", "is_approval"])
    return run(con, "views/governance/gate_decisions", kpis.params(filters, months))


def unreviewed_gates(con, filters: Filters) -> pd.DataFrame:
    """The compliance finding: gates the selected projects ran past by end(M) (passed, or past their
    baseline date) without an approving review of that gate dated ≤ end(M), longest past first, with
    the project manager to chase."""
    months = _as_of(con, filters)
    if not months:
        return pd.DataFrame(columns=["project_id", "project_name", "portfolio", "project_manager", "milestone_id",
                                     "milestone_name", "baseline_date", "actual_date", "finding", "days_past",
                                     "approved_later"])
    return run(con, "views/governance/unreviewed_gates", kpis.params(filters, months))


def band_label(band: int, cuts: tuple[int, ...] = CHANGE_AGE_BANDS) -> str:
    """'0–30 days', '31–60 days', …, 'more than 90 days' for a band index of open_changes_by_age."""
    if band >= len(cuts):
        return f"more than {cuts[-1]} days"
    low = 0 if band == 0 else cuts[band - 1] + 1
    return f"{low}–{cuts[band]} days"


def open_changes_by_age(con, filters: Filters) -> pd.DataFrame:
    """The open change requests at end(M) by age band (every band, 0 where none): band, age_band,
    open_requests, cost_impact, oldest_days. open_requests adds up to open_change_requests."""
    bands = pd.DataFrame({"band": range(len(CHANGE_AGE_BANDS) + 1)})
    bands["age_band"] = [band_label(b) for b in bands["band"]]
    months = _as_of(con, filters)
    rows = (run(con, "views/governance/open_changes_by_age", kpis.params(filters, months, age_bands=list(CHANGE_AGE_BANDS)))
            if months else pd.DataFrame(columns=["band", "open_requests", "cost_impact", "oldest_days"]))
    out = bands.merge(rows, on="band", how="left")
    out[["open_requests", "cost_impact"]] = out[["open_requests", "cost_impact"]].fillna(0)
    return out


def decisions_by_level(con, filters: Filters) -> pd.DataFrame:
    """Change decisions of the 12 months ending M by the level that took them (decided_at), with the
    cost and schedule impact they carried: decisions, approved, cost_impact (Σ |cost|),
    median_cost_impact, largest_cost_impact, median_share_of_budget, schedule_impact_days."""
    months = _as_of(con, filters)
    if not months:
        return pd.DataFrame(columns=["decided_at", "decisions", "approved", "cost_impact", "median_cost_impact",
                                     "largest_cost_impact", "median_share_of_budget", "schedule_impact_days"])
    return run(con, "views/governance/decision_levels",
               kpis.params(filters, months, decision_review_months=DECISION_REVIEW_MONTHS))


def changes_by_group(con, filters: Filters, by: str = "portfolio") -> pd.DataFrame:
    """Per group at M: open change requests, and the approved ones this year with their cost and days
    of schedule impact (the approved_change_cost_ytd KPI's own sum); groups without change requests left out."""
    frame = _by(con, filters, by, CHANGE_COLUMNS)
    if frame.empty:
        return frame
    return frame[frame["open_change_requests"].notna()][CHANGE_COLUMNS].reset_index(drop=True)


def decision_cycle_trend(con, filters: Filters) -> pd.DataFrame:
    """[month, decision_cycle_days, escalated_decision_share] over the series months."""
    return kpis.kpi_frame(con, ["decision_cycle_days", "escalated_decision_share"], filters)
