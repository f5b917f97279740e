"""Forecasts: where the portfolio is heading — earned-schedule and reference-class forecasts per active
project with their own track record beside them, the early-warning list with each signal's measured
value, and the roadmap."""
import streamlit as st

from pages import _widgets as ui
from pages._cache import cached
from pmo_metrics import charts, kpis
from pmo_metrics.views import early_warning, forecasts

ctx = ui.header("Forecasts", "Earned schedule and reference-class forecasts from the organisation's own record.")
ui.require_data(ctx)
f = ctx.filters
thresholds = early_warning.WarningThresholds.from_settings(ctx.settings)

frame = cached(kpis.compare_kpis)(f)
# Four to a row, as every page: five cut the values ("-68.1…") at 1280×720.
ui.kpi_cards(frame, ["spi_t", "spi", "rcf_cost_exposure_p80", "forecast_optimism_days", "rcf_p80_coverage"])
backtest = cached(forecasts.backtest)(f)
st.info(backtest["sentence"])

st.subheader("Roadmap")
bars, marks = cached(forecasts.roadmap)(f)
if bars.empty:
    ui.empty(ui.no_rows_message(ctx, "active projects"))
else:
    event = ui.chart(charts.roadmap(bars, marks, ui.as_of_end(ctx)), key="roadmap", on_select="rerun")
    point = ui.selected_point(event)
    picked = point.get("customdata") if isinstance(point, dict) else None
    if isinstance(picked, list):
        picked = picked[0] if picked else None
    if picked in set(bars["project_id"]):
        st.switch_page("pages/project.py", query_params={"project": picked})
    total = cached(forecasts.active_count)(f)
    shown = f"the first {len(bars):,} of {total:,} active projects" if total > len(bars) else "every active project"
    st.caption(f"Showing {shown}, by program. Pale bar: the baseline; solid bar: the forecast finish; tick: the "
               "reference-class P80 finish. Click a bar to open the project.")

st.subheader("Forecast per project")
table = cached(forecasts.forecast_table)(f)
st.caption(backtest["sentence"])
ui.table(table, f"Forecasts {ctx.as_of}", key="forecast_table", empty_message=ui.no_rows_message(ctx, "active projects"),
         columns={"project_id": ui.text_col("Project"), "project_name": ui.text_col("Name"),
                  "program": ui.text_col("Program"), "delivery_approach": ui.enum_col("Approach", "delivery_approach"),
                  "start_date": ui.date_col("Start"), "current_finish_date": ui.date_col("Own finish forecast"),
                  "rcf_finish_p50": ui.date_col("P50 finish"), "rcf_finish_p80": ui.date_col("P80 finish"),
                  "optimism_days": ui.days_col("P50 − own (days)"),
                  "project_spi_t": ui.ratio_col("SPI(t)"),
                  "es_duration_months": ui.num_col("ES duration (months)", "%.1f"),
                  "planned_months": ui.count_col("Planned months"),
                  "bac": ui.money_col("BAC"), "rcf_cost_p80": ui.money_col("P80 outturn"),
                  "cost_exposure_p80": ui.money_col("P80 above BAC"),
                  "class_kind": ui.text_col("Reference class"), "class_size": ui.count_col("Class size")})

st.subheader("Early warning")
warnings = cached(early_warning.early_warnings)(f, thresholds)
ui.table(warnings, f"Early warnings {ctx.as_of}", key="early_warnings",
         empty_message=f"No early-warning signal fires for the active projects of this selection in {ctx.as_of}.",
         columns={"signal_id": ui.text_col("Signal"), "project_id": ui.text_col("Project"),
                  "project_name": ui.text_col("Name"), "reason": ui.text_col("Why", width="large")})

st.markdown("**What each signal has been worth**")
value = cached(early_warning.signal_value)(f, thresholds)
st.caption(f"For each of the past months whose next {thresholds.outcome_months} months are known: of the active "
           "projects a signal flagged, the share that turned red or missed a milestone in those months "
           "(precision), against the same share among the projects it did not flag; lift = the ratio of the two.")
ui.table(value, f"Early-warning value {ctx.as_of}", key="signal_value",
         columns={"signal_id": ui.text_col("Signal"), "flagged": ui.count_col("Flagged"),
                  "precision": ui.pct_col("Precision"), "base_rate": ui.pct_col("Unflagged in trouble"),
                  "lift": ui.ratio_col("Lift"), "months": ui.count_col("Months judged"),
                  "rule": ui.text_col("Fires when", width="medium"), "note": ui.text_col("Note", width="medium")})

st.subheader("Where one project is heading")
if table.empty:
    ui.empty(ui.no_rows_message(ctx, "active projects"))
else:
    ids = table["project_id"].tolist()
    names = dict(zip(table["project_id"], table["project_name"]))
    flagged = [p for p in warnings["project_id"] if p in names] if len(warnings) else []
    picked = st.selectbox("Project", ids, index=ids.index(flagged[0]) if flagged else 0, key="forecast_project",
                          format_func=lambda p: f"{p} · {names[p]}")
    curve, lines = cached(forecasts.projections)(f, picked)
    bac = table.loc[table["project_id"] == picked, "bac"].iloc[0]
    if curve.empty:
        ui.empty(ui.no_rows_message(ctx, "costs or progress for this project", ("planned_costs", "progress")))
    else:
        ui.chart(charts.evm_curve(curve, bac=bac, currency=ctx.currency, projections=lines,
                                  title=f"S-curve of {picked} with its forecasts"))
        if lines.empty:
            st.caption("No projection: the project has neither earned schedule nor a reference-class forecast.")
        st.caption(backtest["sentence"])

st.subheader("Trends")
mix = cached(forecasts.rag_mix_trend)(f)
if mix.empty or mix[list(forecasts.RAG_SHARES)].isna().all().all():
    ui.empty(ui.no_rows_message(ctx, "active projects"))
else:
    ui.chart(charts.rag_mix_trend(mix))

risks = cached(forecasts.open_risks)(f)
if ui.lacking(ctx, "risks") or risks.empty:
    ui.empty(ui.no_rows_message(ctx, f"open risks at the end of {ctx.as_of}", ("risks",)))
else:
    event = ui.chart(charts.risk_matrix(risks, clickable=True), key="risk_heatmap", on_select="rerun")
    point = ui.selected_point(event)
    cells = forecasts.risk_cells(risks)
    labels = [f"Probability {p} × impact {i} = {s} ({n} risk{'s' if n != 1 else ''})"
              for p, i, s, n in cells.itertuples(index=False)]
    clicked = (point.get("y"), point.get("x")) if isinstance(point, dict) else None
    # a new click picks its cell; the picker keeps what was chosen in it until the next click
    if clicked != st.session_state.get("risk_cell_click"):
        st.session_state["risk_cell_click"] = clicked
        position = forecasts.cell_position(cells, *clicked) if clicked else None
        if position is not None:
            st.session_state["risk_cell"] = position
    if st.session_state.get("risk_cell", 0) >= len(cells):
        st.session_state["risk_cell"] = 0
    chosen = st.selectbox("Risks in the cell", range(len(cells)), format_func=lambda k: labels[k], key="risk_cell")
    cell = cells.iloc[chosen]
    ui.table(forecasts.risks_in_cell(risks, int(cell["probability"]), int(cell["impact"])),
             f"Open risks P{int(cell['probability'])} I{int(cell['impact'])} {ctx.as_of}", key="risk_cell_rows",
             columns={"risk_id": ui.text_col("Risk"), "project_id": ui.text_col("Project"),
                      "project_name": ui.text_col("Name"), "title": ui.text_col("Title", width="large"),
                      "owner": ui.text_col("Owner"), "raised_date": ui.date_col("Raised")})
    st.caption("Click a cell (or pick it above) to list its risks.")
    exposure = cached(forecasts.risk_exposure_trend)(f)
    if not exposure.empty:
        ui.chart(charts.risk_exposure_trend(exposure))
