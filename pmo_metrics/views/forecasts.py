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


# -- trends and risks --------------------------------------------------------------------------------

RAG_SHARES = ("rag_red_share", "rag_amber_share", "rag_green_share", "rag_missing_share")
RISK_COLUMNS = ["risk_id", "project_id", "project_name", "title", "probability", "impact", "score", "is_high",
                "owner", "raised_date"]


def rag_mix_trend(con, filters: Filters) -> pd.DataFrame:
    """[month, rag_red_share, rag_amber_share, rag_green_share, rag_missing_share] over the series
    months: the registry's own RAG-share KPIs month by month."""
    return kpis.kpi_frame(con, list(RAG_SHARES), filters)


def open_risks(con, filters: Filters) -> pd.DataFrame:
    """The selected projects' risks open at end(M), highest score first."""
    as_of = kpis.resolve_as_of(con, filters)
    if as_of is None:
        return pd.DataFrame(columns=RISK_COLUMNS)
    return run(con, "views/forecasts/open_risks", kpis.params(filters, [as_of], as_of=as_of))


def risks_in_cell(risks: pd.DataFrame, probability: int, impact: int) -> pd.DataFrame:
    """The risks of one heatmap cell (a probability and an impact, 1–5)."""
    return risks[(risks["probability"] == probability) & (risks["impact"] == impact)].reset_index(drop=True)


def risk_exposure_trend(con, filters: Filters) -> pd.DataFrame:
    """[month, open_risks, high_risks, exposure] over the series months (exposure = Σ probability ×
    impact of the risks open at the month's end)."""
    months = kpis.series_months(con, filters)
    if not months:
        return pd.DataFrame(columns=["month", "open_risks", "high_risks", "exposure"])
    return run(con, "views/forecasts/risk_exposure_trend", kpis.params(filters, months))


# -- one project's S-curve and where it is heading ------------------------------------------------------

def projections(con, filters: Filters, project_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A project's cumulative PV, EV and AC by month (kpis.evm_curve), and the lines drawn forward from
    its latest EV to its budget at completion: at the earned-schedule forecast finish (start + N / SPI(t)
    months) and at the reference-class P50 and P80 finish. [name, date_from, value_from, date_to,
    value_to]; a projection the project has no forecast for is left out."""
    curve = kpis.evm_curve(con, filters, project_id=project_id)
    lines = pd.DataFrame(columns=["name", "date_from", "value_from", "date_to", "value_to"])
    table = forecast_table(con, filters)
    row = table[table["project_id"] == project_id]
    known = curve.dropna(subset=["ev"])
    if row.empty or known.empty:
        return curve, lines
    p = row.iloc[0]
    start = pd.Timestamp(known["month"].iloc[-1] + "-01") + pd.offsets.MonthEnd(0)
    ev = float(known["ev"].iloc[-1])
    finishes = []
    if pd.notna(p["es_duration_months"]):
        months = float(p["es_duration_months"])
        es_finish = pd.Timestamp(p["start_date"]) + pd.DateOffset(months=int(months)) \
            + pd.Timedelta(days=round((months - int(months)) * 30.4375))
        finishes.append(("Earned-schedule forecast", es_finish))
    for col, name in (("rcf_finish_p50", "Reference-class P50"), ("rcf_finish_p80", "Reference-class P80")):
        if pd.notna(p[col]):
            finishes.append((name, pd.Timestamp(p[col])))
    lines = pd.DataFrame([{"name": n, "date_from": start, "value_from": ev, "date_to": d, "value_to": float(p["bac"])}
                          for n, d in finishes], columns=lines.columns)
    return curve, lines


def risk_cells(risks: pd.DataFrame) -> pd.DataFrame:
    """The heatmap's cells that hold risks: [probability, impact, score, risks], highest score first."""
    if risks.empty:
        return pd.DataFrame(columns=["probability", "impact", "score", "risks"])
    cells = risks.groupby(["probability", "impact"]).size().rename("risks").reset_index()
    cells["score"] = cells["probability"] * cells["impact"]
    return cells.sort_values(["score", "probability"], ascending=False).reset_index(drop=True)[
        ["probability", "impact", "score", "risks"]]


def cell_position(cells: pd.DataFrame, probability, impact) -> int | None:
    """The position in `cells` (risk_cells) of the cell at this probability and impact, or None."""
    hit = cells.index[(cells["probability"] == probability) & (cells["impact"] == impact)]
    return int(hit[0]) if len(hit) else None
