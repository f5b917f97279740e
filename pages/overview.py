"""Executive overview: what changed in one sentence, the headline KPIs with their change, what
moved, who needs attention, where the money and the benefits go."""
import streamlit as st

from pages import _notes as notes
from pages import _widgets as ui
from pages._cache import cached
from pmo_metrics import charts, kpis, metrics
from pmo_metrics import formatting as fmt
from pmo_metrics.contract import BENEFIT_ON_TRACK, HIGH_RISK_SCORE
from pmo_metrics.review import summary
from pmo_metrics.views import benefits, changes, projects

CARDS = [
    "active_projects", "rag_green_share", "rag_amber_share", "rag_red_share",
    "spi", "cpi", "eac", "vac",
    "milestone_on_time_rate", "benefit_realization_rate", "utilization", "maturity_score",
]

ctx = ui.header("Executive overview")
ui.require_data(ctx)
f = ctx.filters

frame = cached(kpis.compare_kpis)(f)
totals = cached(kpis.project_totals)(f)
moved = cached(changes.changes_since_last_month)(f)
previous = frame.attrs.get("previous")
if previous:
    ui.headline(summary.what_changed(summary.changes_since(moved, ctx.held), fmt.month_label(previous)))
st.subheader(f"Key figures, {ctx.as_of} (change vs {previous or 'previous month'})")
ui.kpi_cards(frame, CARDS, notes={
    "eac": f"Budget (Σ BAC of active projects): {ui.money(totals.get('budget_at_completion'))}",
    "utilization": "Scoped by the department filter only.",
    "maturity_score": "Scoped by the business-unit filter only.",
})

if not ctx.scope.restricted:   # a note on a portfolio figure may speak of any unit's projects
    notes.panel(ctx, f"Notes on the figures of {fmt.month_label(ctx.as_of)}",
                lambda s: [n for n in s.notes(month=ctx.as_of) if n.target_kind in ("kpi", "month")],
                targets={f"{fmt.month_label(ctx.as_of)} as a whole": ("month", ctx.as_of),
                         **{metrics.get(m).label: ("kpi", m) for m in CARDS}},
                month=ctx.as_of, key="overview")

with st.expander("Trend of a key figure", icon=":material/show_chart:"):
    picked = st.selectbox("Key figure", CARDS, format_func=lambda m: metrics.get(m).label, key="trend_metric")
    series = cached(kpis.kpi_series)(picked, f)
    if series.empty or series["value"].isna().all() or ui.lacks(ctx, picked):
        ui.empty(ui.no_rows_message(ctx, f"values of {metrics.get(picked).label.lower()}", ui.needs(picked)))
    else:
        ui.chart(charts.kpi_trend(series, metrics.get(picked).label, metrics.get(picked).unit, ctx.currency))

if totals.get("active_projects"):
    ui.chart(charts.rag_mix(cached(kpis.rag_counts)(f)))
else:
    ui.empty(ui.no_rows_message(ctx, "active projects"))

st.subheader("What changed since last month")
# One table under the other, each the page's full width: beside each other, they would scroll sideways.
st.markdown("**RAG moves**")
ui.table(moved["rag_moves"], f"RAG moves {ctx.as_of}", key="rag_moves",
         empty_message="No project changed its overall RAG this month.",
         columns={"project_id": ui.text_col("Project"), "project_name": ui.text_col("Name"),
                  "from": ui.rag_col("From"), "to": ui.rag_col("To"),
                  "report_date": ui.date_col("Report")})
st.markdown("**Missed milestones**")
ui.table(moved["missed_milestones"], f"Missed milestones {ctx.as_of}", key="missed_ms",
         empty_message=ui.nothing_message(ctx, "milestones", ("milestones",), "No milestone due this month was missed."),
         columns={"project_name": ui.text_col("Project"), "milestone_name": ui.text_col("Milestone"),
                  "baseline_date": ui.date_col("Due"), "forecast_date": ui.date_col("Forecast"),
                  "actual_date": ui.date_col("Achieved")})
st.markdown(f"**New high risks** (probability × impact ≥ {HIGH_RISK_SCORE})")
ui.table(moved["new_high_risks"], f"New high risks {ctx.as_of}", key="new_risks",
         empty_message=ui.nothing_message(ctx, "risks", ("risks",), "No high risk was raised this month."),
         columns={"project_name": ui.text_col("Project"), "title": ui.text_col("Risk"),
                  "score": ui.count_col("Score"), "owner": ui.text_col("Owner"),
                  "raised_date": ui.date_col("Raised")})
st.markdown(f"**Benefits that fell behind** (progress dropped below {fmt.share(BENEFIT_ON_TRACK, '.0f')})")
ui.table(moved["benefits_fell_behind"], f"Benefits fell behind {ctx.as_of}", key="ben_behind",
         empty_message=ui.nothing_message(ctx, "benefits", ("benefits",), "No benefit fell behind this month."),
         columns={"benefit_name": ui.text_col("Benefit"), "project_name": ui.text_col("Project"),
                  "previous_progress": ui.pct_col("Progress before"), "progress": ui.pct_col("Progress now")})

st.subheader("Red and amber projects")
attention = cached(projects.attention)(f)
ui.table(attention, f"Red and amber projects {ctx.as_of}", key="attention",
         empty_message=ui.no_rows_message(ctx, "red or amber projects"),
         columns={"project_id": ui.text_col("Project"), "project_name": ui.text_col("Name"),
                  "overall_rag": ui.rag_col("RAG"), "rag_trend": ui.enum_col("Trend", "rag_trend"),
                  "project_manager": ui.text_col("Manager"), "report_date": ui.date_col("Report"),
                  "percent_complete": ui.percent_col("% complete"),
                  "summary": ui.text_col("Latest commentary", width="large")})

st.subheader("Spend and benefits by strategic objective")
by_objective = cached(benefits.spend_and_benefits_by_objective)(f)
if ui.lacking(ctx, "actual_costs") and ui.lacking(ctx, "benefits"):
    ui.empty(ui.no_rows_message(ctx, "spend or benefits", ("actual_costs", "benefits")))
elif by_objective.empty or not (by_objective["actual_to_date"].any() or by_objective["benefits_realized"].any()):
    ui.empty(ui.no_rows_message(ctx, "costs or benefits"))
else:
    ui.chart(charts.spend_and_benefits(by_objective, ctx.currency))
    ui.table(by_objective, f"Spend and benefits by objective {ctx.as_of}", key="by_objective",
             columns={"objective": ui.text_col("Strategic objective"),
                      "actual_to_date": ui.money_col("Actual cost to date"),
                      "planned_to_date": ui.money_col("Planned cost to date"),
                      "benefits_realized": ui.money_col("Benefits realised"),
                      "benefits_planned": ui.money_col("Benefits planned")})
