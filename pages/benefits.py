"""Benefits: financial benefits planned vs realised over time, by type, objective, owner; the register
with the benefits at risk."""
import streamlit as st

from pages import _widgets as ui
from pages._cache import cached
from pmo_metrics import charts, kpis
from pmo_metrics.views import benefits

ctx = ui.header("Benefits")
ui.require_data(ctx)
f = ctx.filters

frame = cached(kpis.compare_kpis)(f)
ui.kpi_cards(frame, ["benefits_planned_to_date", "benefits_realized_to_date", "benefit_realization_rate",
                     "benefits_at_risk", "benefit_cost_ratio"], per_row=5)
if ui.lacking(ctx, "benefits"):
    # Nothing below can be drawn from a data set without a benefit register: say it once.
    ui.empty(ui.no_rows_message(ctx, "benefits to show", ("benefits",)))
    st.stop()

st.subheader("Financial benefits over time")
cumulative = cached(benefits.cumulative)(f)
if cumulative.empty or not cumulative[["planned", "realized"]].fillna(0).ne(0).any().any():
    ui.empty(ui.no_rows_message(ctx, "financial benefit measurements", ("benefit_measurements",)))
else:
    ui.chart(charts.benefits_cumulative(cumulative, ctx.currency))

st.subheader("By group")
labels = {"benefit_type": "benefit type", "objective": "strategic objective", "owner": "owner",
          "category": "category", "portfolio": "portfolio"}
coded = {"benefit_type": "benefit_type", "category": "benefit_category"}
by = st.segmented_control("Break down by", list(labels), format_func=lambda k: labels[k].capitalize(),
                          default="benefit_type", key="benefits_by", required=True) or "benefit_type"
grouped = cached(benefits.by_group)(f, by)
if grouped.empty:
    ui.empty(ui.no_rows_message(ctx, "benefits"))
else:
    if (grouped[["planned_to_date", "realized_to_date"]] != 0).any().any():
        ui.chart(charts.benefits_by_group(grouped, labels[by], ctx.currency, enumeration=coded.get(by)))
    else:
        ui.empty("No financial benefit has a planned or realised value yet in this selection.")
    ui.table(grouped, f"Benefits by {labels[by]} {ctx.as_of}", key="ben_group",
             columns={"key": ui.enum_col(labels[by].capitalize(), coded[by]) if by in coded
                      else ui.text_col(labels[by].capitalize()),
                      "benefits": ui.count_col("Benefits"),
                      "at_risk": ui.count_col("At risk"), "target": ui.money_col("Target (financial)"),
                      "planned_to_date": ui.money_col("Planned to date"),
                      "realized_to_date": ui.money_col("Realised to date"),
                      "realization_rate": ui.pct_col("Realisation rate")})

st.subheader("Benefit register")
register = cached(benefits.register)(f)
ui.table(register, f"Benefit register {ctx.as_of}", key="ben_register",
         empty_message=ui.no_rows_message(ctx, "benefits"),
         columns={"benefit_id": ui.text_col("Benefit"), "benefit_name": ui.text_col("Name"),
                  "project_name": ui.text_col("Project"), "category": ui.enum_col("Category", "benefit_category"),
                  "benefit_type": ui.enum_col("Type", "benefit_type"), "owner": ui.text_col("Owner"),
                  "unit": ui.text_col("Unit"),
                  "baseline_value": ui.num_col("Baseline"), "target_value": ui.num_col("Target"),
                  "planned_value": ui.num_col("Planned (latest)"), "actual_value": ui.num_col("Actual (latest)"),
                  "progress": ui.pct_col("Progress", help="(actual − baseline) / (planned − baseline), from the "
                                         "latest measurements; — where there is no actual yet"),
                  "is_at_risk": ui.check_col("At risk")})
