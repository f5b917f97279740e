"""The monthly review's Forecast section: where the selection is heading — earned schedule, the
reference-class P80 finish and outturn of the projects whose forecasts moved most since the
previous month, the early-warning list — with the forecasts' own backtest beside them."""
from __future__ import annotations

import pandas as pd

from .. import formatting as fmt
from .. import kpis
from ..theme import SERIES
from ..views import early_warning, forecasts
from .model import Chart, Section, table

MOVED_ROWS = 8        # projects the "moved most" table shows: a screen's room
WARNING_ROWS = 12     # early warnings a screen shows (the appendix holds them all)


def forecast_moves(con, filters, previous: str) -> pd.DataFrame:
    """The active projects of M whose P80 finish or P80 outturn changed since `previous`, the largest
    finish move first: [project_id, project_name, p80_before, p80, finish_days, cost_before, cost,
    cost_change]. A project forecast in only one of the months is left out."""
    now = forecasts.forecast_table(con, filters)
    before = forecasts.forecast_table(con, filters.with_as_of(previous))
    cols = ["project_id", "project_name", "p80_before", "p80", "finish_days", "cost_before", "cost", "cost_change"]
    if now.empty or before.empty:
        return pd.DataFrame(columns=cols)
    both = now.merge(before[["project_id", "rcf_finish_p80", "rcf_cost_p80"]], on="project_id",
                     suffixes=("", "_before"))
    both = both.dropna(subset=["rcf_finish_p80", "rcf_finish_p80_before"])
    out = pd.DataFrame({
        "project_id": both["project_id"], "project_name": both["project_name"],
        "p80_before": both["rcf_finish_p80_before"], "p80": both["rcf_finish_p80"],
        "finish_days": (pd.to_datetime(both["rcf_finish_p80"]) - pd.to_datetime(both["rcf_finish_p80_before"])).dt.days,
        "cost_before": both["rcf_cost_p80_before"], "cost": both["rcf_cost_p80"],
        "cost_change": both["rcf_cost_p80"] - both["rcf_cost_p80_before"]})
    moved = out[(out["finish_days"] != 0) | (out["cost_change"].fillna(0).abs() > 0)]
    order = moved.assign(_f=moved["finish_days"].abs(), _c=moved["cost_change"].abs().fillna(0))
    return order.sort_values(["_f", "_c", "project_id"], ascending=[False, False, True])[cols].reset_index(drop=True)


def forecast_section(ctx) -> Section:
    """The Forecast section of the review (ctx: review.sections.Context)."""
    backtest = forecasts.backtest(ctx.con, ctx.filters)
    moves = forecast_moves(ctx.con, ctx.filters, ctx.previous)
    warnings = early_warning.early_warnings(ctx.con, ctx.filters)
    moved_rows = [{"Project": r["project_name"], "ID": r["project_id"],
                   "P80 finish": fmt.date(r["p80"], empty=None),
                   "Since": fmt.date(r["p80_before"], empty=None),
                   "Moved": fmt.slip(r["finish_days"], empty=None),
                   "P80 outturn": ctx.money(r["cost"]), "Outturn change": ctx.signed_money(r["cost_change"])}
                  for _, r in moves.head(MOVED_ROWS).iterrows()]
    t_moved = table(f"P80 finish and outturn that moved most since {ctx.p}", moved_rows,
                    ["Project", "ID", "P80 finish", "Since", "Moved", "P80 outturn", "Outturn change"],
                    f"No active project's P80 finish or outturn moved since {ctx.p}.",
                    slide_columns=["Project", "P80 finish", "Moved", "Outturn change"])
    warning_rows = [{"Signal": r["signal"], "Project": r["project_name"], "ID": r["project_id"], "Why": r["reason"]}
                    for _, r in warnings.head(WARNING_ROWS).iterrows()]
    t_warnings = table(f"Early warnings in {ctx.m}", warning_rows, ["Signal", "Project", "ID", "Why"],
                       f"No early-warning signal fires in {ctx.m}.", slide_columns=["Signal", "Project", "Why"])
    flagged = warnings["project_id"].nunique() if len(warnings) else 0
    message = (f"{fmt.plural(len(warnings), 'early warning')} on {fmt.plural(flagged, 'active project')}; "
               f"SPI(t) {ctx.fmt('spi_t')}, reference-class P80 cost exposure {ctx.fmt('rcf_cost_exposure_p80')}")
    points = [backtest["sentence"],
              f"Earned-schedule SPI(t): {ctx.fmt('spi_t')} ({ctx.change('spi_t')} since {ctx.p}).",
              f"The projects' own finish forecasts against the reference-class P50: {ctx.fmt('forecast_optimism_days')} "
              "on average (positive: the record says later).",
              f"P80 finish or outturn moved since {ctx.p} for {fmt.plural(len(moves), 'active project')}."]
    series = kpis.kpi_series(ctx.con, "spi_t", ctx.filters, start=ctx.trend_start(), end=ctx.as_of)
    chart = Chart("kpi_trend", "SPI(t), by month (ratio)", "line", "ratio", series["month"].tolist(),
                  {"SPI(t)": [fmt.as_float(v) for v in series["value"]]}, series, options={"metric_id": "spi_t"},
                  colours={"SPI(t)": SERIES["earned"]}) if series["value"].notna().any() else None
    notes = [] if backtest["projects"] else [backtest["sentence"]]
    details = [table(f"All early warnings in {ctx.m}", [{"Signal": r["signal_id"], "ID": r["project_id"],
                                                         "Why": r["reason"]} for _, r in warnings.iterrows()],
                     ["Signal", "ID", "Why"], f"No early-warning signal fires in {ctx.m}.")] \
        if len(warnings) > WARNING_ROWS else []
    return Section("forecast", "Forecast", message, points, [t_warnings, t_moved], chart, notes, details)
