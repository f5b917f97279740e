"""Forecasts: per active project the earned schedule and the reference-class P50/P80 finish and P80
outturn (CONTRACT §6), and the backtest that says how far to trust them. SQL in sql/views/forecasts/,
built on kpis/project_forecasts.sql and kpis/rcf_backtest.sql, the rows the forecast KPIs sum."""
from __future__ import annotations

import pandas as pd

from .. import kpis
from ..contract import BACKTEST_MONTHS, RCF_P80
from ..filters import Filters
from ..queries import run

FORECAST_COLUMNS = [
    "project_id", "project_name", "program", "delivery_approach", "start_date", "baseline_finish_date",
    "forecast_finish_date", "current_finish_date", "bac", "ev", "earned_schedule", "actual_time",
    "planned_months", "project_spi_t", "es_duration_months", "class_kind", "class_size", "cost_class_size",
    "rcf_finish_p50", "rcf_finish_p80", "optimism_days", "rcf_cost_p80", "cost_exposure_p80",
]
BACKTEST_COLUMNS = ["project_id", "start_date", "baseline_finish_date", "actual_finish_date", "class_kind",
                    "class_size", "rcf_finish_p80", "covered", "days_beyond_p80"]


def forecast_table(con, filters: Filters) -> pd.DataFrame:
    """One row per active project at M: ESₚ, ATₚ, SPI(t)ₚ, the earned-schedule duration (months), the
    reference class used ('approach' or 'all', its size), P50/P80 finish, optimism (P50 − the project's
    own finish, days) and the P80 outturn and its excess over BAC. Empty columns where a forecast has
    too little to stand on. The most optimistic first."""
    as_of = kpis.resolve_as_of(con, filters)
    if as_of is None:
        return pd.DataFrame(columns=FORECAST_COLUMNS)
    return run(con, "views/forecasts/forecast_table", kpis.params(filters, [as_of], as_of=as_of))


def backtest_rows(con, filters: Filters) -> pd.DataFrame:
    """The finished projects the backtest at M judged, misses first."""
    as_of = kpis.resolve_as_of(con, filters)
    if as_of is None:
        return pd.DataFrame(columns=BACKTEST_COLUMNS)
    return run(con, "views/forecasts/backtest_rows", kpis.params(filters, [as_of], as_of=as_of))


def backtest(con, filters: Filters) -> dict:
    """The backtest at M: coverage, projects judged, covered, and the sentence every forecast is shown
    beside ("P80 forecasts covered 78 % of the 41 projects that finished in the last 12 months")."""
    as_of = kpis.resolve_as_of(con, filters)
    rows = backtest_rows(con, filters)
    judged, covered = len(rows), int(rows["covered"].sum()) if len(rows) else 0
    return {"as_of": as_of, "projects": judged, "covered": covered,
            "coverage": covered / judged if judged else None, "sentence": backtest_sentence(judged, covered)}


def backtest_sentence(judged: int, covered: int) -> str:
    """The backtest in words; without finished projects to judge it says so rather than show 0."""
    p80 = f"P{round(RCF_P80 * 100)}"
    if judged == 0:
        return (f"No project with a reference-class forecast finished in the last {BACKTEST_MONTHS} months, "
                f"so the {p80} forecasts have no track record yet: read them with care.")
    share = f"{covered / judged * 100:.0f} %"
    noun = "project" if judged == 1 else "projects"
    return (f"{p80} forecasts covered {share} of the {judged} {noun} that finished in the last "
            f"{BACKTEST_MONTHS} months (a well-calibrated {p80} covers about {round(RCF_P80 * 100)} in 100).")


ROADMAP_ROWS = 60   # bars a roadmap draws at most: beyond that a bar is too thin to read or click


def roadmap(con, filters: Filters, limit: int = ROADMAP_ROWS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The roadmap at M: the active projects by program then start (at most `limit`; frame.attrs
    'total' says how many there were), each with start, baseline and forecast finish and the
    reference-class P80; and their milestones, at the actual date once achieved, else the forecast."""
    table = forecast_table(con, filters)
    table = table.sort_values(["program", "start_date", "project_id"], na_position="last", kind="stable")
    shown = table.head(limit).reset_index(drop=True)
    shown.attrs["total"] = len(table)
    as_of = kpis.resolve_as_of(con, filters)
    if shown.empty:
        return shown, pd.DataFrame(columns=["project_id", "milestone_name", "is_gate", "baseline_date", "marker_date",
                                            "achieved"])
    milestones = run(con, "views/forecasts/roadmap_milestones",
                     kpis.params(filters, [as_of], as_of=as_of, project_ids=shown["project_id"].tolist()))
    return shown, milestones


def active_count(con, filters: Filters) -> int:
    """How many projects the forecast table (and so the roadmap) has at M."""
    return len(forecast_table(con, filters))
