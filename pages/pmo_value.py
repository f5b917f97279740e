"""PMO value, the PMO's case to its sponsors: what the PMO cost (this year, by month and category, as a
share of the project spend it governs) beside what the portfolio delivered over the same time
(benefits, projects delivered, on-time delivery and CPI against a year earlier, maturity), with a
one-screen summary. Facts only: nothing is attributed to the PMO that the data cannot show."""
import streamlit as st

from pages import _widgets as ui
from pages._cache import cached
from pmo_metrics import charts, kpis, metrics
from pmo_metrics.views import maturity, pmo_value

ctx = ui.header("PMO value", "The PMO's own cost is organisation-wide (the filters do not apply to it); "
                "what the portfolio delivered follows the filters.")
ui.require_data(ctx)
f = ctx.filters

frame = cached(kpis.compare_kpis)(f)
ui.kpi_cards(frame, ["pmo_cost_ytd", "pmo_cost_share", "benefits_realized_to_date", "on_time_delivery_rate"])

st.subheader("In one minute")
lines = cached(pmo_value.summary)(f, ctx.currency)
if lines:
    for line in lines:
        st.markdown(f"- {ui.esc(line)}")
else:
    ui.empty(ui.no_rows_message(ctx, "figures to summarise"))

st.subheader("What the PMO cost")
monthly = cached(pmo_value.cost_by_month)(f)
if monthly.empty or monthly["actual_cost"].isna().all():
    ui.empty(ui.no_rows_message(ctx, "PMO costs", ("pmo_costs",)))
else:
    ui.chart(charts.pmo_cost_by_month(monthly, ctx.currency))
    ui.table(cached(pmo_value.cost_by_category)(f), f"PMO cost by category {ctx.as_of}", key="pmo_categories",
             columns={"group_key": ui.enum_col("Category", "pmo_cost_category"),
                      "pmo_planned_ytd": ui.money_col("Planned this year"),
                      "pmo_cost_ytd": ui.money_col("Actual this year"),
                      "pmo_cost_share": ui.pct_col("Share of project spend")})

st.subheader("What the portfolio delivered")
yoy = cached(pmo_value.year_on_year)(f)
ui.table(yoy, f"This year and a year earlier {ctx.as_of}", key="pmo_yoy",
         columns={"label": ui.text_col("Figure"), "formatted": ui.text_col(f"At {ctx.as_of}"),
                  "formatted_previous": ui.text_col("A year earlier"), "formatted_change": ui.text_col("Change")})
done = cached(pmo_value.delivered)(f)
ui.table(done, f"Projects delivered January to month {ctx.as_of}", key="pmo_delivered",
         columns={"month": ui.text_col("Up to"), "projects_delivered": ui.count_col("Projects delivered"),
                  "delivered_on_time": ui.count_col("By their baseline date"),
                  "budget_delivered": ui.money_col("Their budget (BAC)")})
trends = cached(pmo_value.trends)(f)
left, right = st.columns(2)
for column, mid in ((left, "on_time_delivery_rate"), (right, "cpi")):
    with column:
        m = metrics.get(mid)
        if trends[mid].notna().any():
            ui.chart(charts.kpi_trend(trends[["month", mid]].rename(columns={mid: "value"}), m.label, m.unit))
        else:
            ui.empty(ui.no_rows_message(ctx, m.label.lower(), ui.needs(mid)))

st.subheader("Maturity progression")
changes = cached(maturity.changes)(f)
if changes.empty:
    ui.empty(ui.nothing_message(ctx, "maturity assessments", ("maturity",),
                                f"Each business unit has been assessed only once up to {ctx.as_of}."))
else:
    by_domain = cached(maturity.domain_changes)(f)
    if not by_domain.empty:
        ui.chart(charts.maturity_change(by_domain))
    ui.table(changes, f"Maturity progression {ctx.as_of}", key="pmo_maturity",
             columns={"business_unit": ui.text_col("Business unit"),
                      "domain": ui.enum_col("Domain", "maturity_domain"),
                      "previous_score": ui.score_col("Score then"), "latest_score": ui.score_col("Score now"),
                      "change": ui.Column("Change", "signed")})
