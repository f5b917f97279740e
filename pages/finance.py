"""Finance: cost by month (planned, actual, forecast), by portfolio / program / business unit /
objective / cost category, earned value, and the projects with the largest variances."""
import streamlit as st

from pages import _widgets as ui
from pages._cache import cached
from pmo_metrics import charts, kpis
from pmo_metrics.views import finance

ctx = ui.header("Finance")
ui.require_data(ctx)
f = ctx.filters
# Without actual costs in the loaded data the views' sums of them read 0: shown as "no data" instead.
no_actuals = ui.lacking(ctx, "actual_costs")

frame = cached(kpis.compare_kpis)(f)
ui.kpi_cards(frame, ["budget_ytd", "actual_cost_ytd", "planned_value", "actual_cost",
                     "cpi", "spi", "eac", "tcpi"])

st.subheader("Cost by month")
monthly = cached(finance.by_month)(f)
if monthly.empty:
    ui.empty(ui.no_rows_message(ctx, "financial records", ("planned_costs",)))
else:
    if no_actuals:
        monthly = ui.unknown(monthly, "actual_cost", "actual_cumulative")
    ui.chart(charts.cost_by_month(monthly, ctx.as_of, ctx.currency))
    if no_actuals:
        st.caption(ui.no_rows_message(ctx, "actual costs are drawn", ("actual_costs",)))
    ui.table(monthly, f"Cost by month {ctx.as_of}", key="fin_month",
             columns={"period": ui.text_col("Month"), "planned_cost": ui.money_col("Planned"),
                      "actual_cost": ui.money_col("Actual"), "forecast_cost": ui.money_col("Forecast"),
                      "planned_cumulative": ui.money_col("Planned, cumulative"),
                      "actual_cumulative": ui.money_col("Actual, cumulative")})

st.subheader("Cost by group")
labels = {"portfolio": "portfolio", "program": "program", "business_unit": "business unit",
          "objective": "strategic objective", "cost_category": "cost category"}
by = st.segmented_control("Break down by", list(labels), format_func=lambda k: labels[k].capitalize(),
                          default="portfolio", key="finance_by", required=True)
by = by or "portfolio"
grouped = cached(finance.by_group)(f, by)
if grouped.empty:
    ui.empty(ui.no_rows_message(ctx, "financial records", ("planned_costs",)))
else:
    if no_actuals:
        grouped = ui.unknown(grouped, "actual_to_date", "variance_to_date", "actual_ytd")
    ui.chart(charts.cost_by_group(grouped, labels[by], ctx.currency,
                                  enumeration="cost_category" if by == "cost_category" else None))
    ui.table(grouped, f"Cost by {labels[by]} {ctx.as_of}", key="fin_group",
             columns={"label": ui.enum_col(labels[by].capitalize(), "cost_category") if by == "cost_category"
                      else ui.text_col(labels[by].capitalize()),
                      "planned_to_date": ui.money_col("Planned to date"),
                      "actual_to_date": ui.money_col("Actual to date"),
                      "variance_to_date": ui.money_col("Actual − planned"),
                      "planned_ytd": ui.money_col("Planned YTD"), "actual_ytd": ui.money_col("Actual YTD"),
                      "planned_total": ui.money_col("Planned, total"),
                      "forecast_total": ui.money_col("Forecast at completion"),
                      "budget_at_completion": ui.money_col("Budget (BAC)")})

st.subheader("Earned value")
curve = cached(finance.earned_value_curve)(f)
if curve.empty or curve["pv"].fillna(0).eq(0).all():
    ui.empty(ui.no_rows_message(ctx, "planned costs of active projects", ("planned_costs",)))
else:
    if no_actuals:
        curve = ui.unknown(curve, "ac")
    projects = int(curve["projects"].iloc[-1])
    ui.chart(charts.evm_curve(curve, currency=ctx.currency,
                              title=f"Earned value of the {projects:,} projects active in {ctx.as_of}"))
    st.caption(f"The same {projects:,} projects in every month (those active at the end of {ctx.as_of}), so the "
               "curves only rise; a month's own earned value KPI sums the projects active in that month instead.")
    for reason in {ui.no_rows_message(ctx, "earned value", ("progress",)) if ui.lacking(ctx, "progress") else None,
                   ui.no_rows_message(ctx, "actual cost", ("actual_costs",)) if no_actuals else None} - {None}:
        st.caption(reason)

st.subheader("Largest variances")
variances = cached(finance.largest_variances)(f)
if variances.empty or variances["vac"].isna().all():
    ui.empty(ui.no_rows_message(ctx, "variances at completion", ("progress", "actual_costs"))
             if ui.lacks(ctx, "vac") else ui.no_rows_message(ctx, "active projects with an estimate at completion"))
else:
    ui.chart(charts.variance_bars(variances, ctx.currency))
    ui.table(variances, f"Largest variances {ctx.as_of}", key="variances",
             columns={"project_id": ui.text_col("Project"), "project_name": ui.text_col("Name"),
                      "portfolio": ui.text_col("Portfolio"), "overall_rag": ui.rag_col("RAG"),
                      "bac": ui.money_col("BAC"), "eac": ui.money_col("EAC"), "vac": ui.money_col("VAC (BAC − EAC)"),
                      "pv": ui.money_col("PV"), "ac": ui.money_col("AC"),
                      "spend_variance": ui.money_col("AC − PV"), "cpi": ui.ratio_col("CPI")})
