"""Governance: the stage-gate picture (gates due, passed on time, late, overdue; decisions by kind;
gates run past without an approved review, with the project manager to chase) and change control
(open requests by age, decision time, decisions by authority level against their impact, approved
change cost and schedule impact this year)."""
import streamlit as st

from pages import _widgets as ui
from pages._cache import cached
from pmo_metrics import charts, kpis
from pmo_metrics.views import governance

ctx = ui.header("Governance", "Stage gates and change control of the selected projects.")
ui.require_data(ctx)
f = ctx.filters
labels = {"portfolio": "portfolio", "program": "program", "business_unit": "business unit",
          "objective": "strategic objective"}

frame = cached(kpis.compare_kpis)(f)
ui.kpi_cards(frame, ["gate_on_time_rate", "gates_overdue", "gate_approval_rate", "open_change_requests",
                     "decision_cycle_days", "escalated_decision_share", "approved_change_cost_ytd"])

st.subheader("Stage gates")
by = st.segmented_control("Break down by", list(labels), format_func=lambda k: labels[k].capitalize(),
                          default="portfolio", key="governance_by", required=True) or "portfolio"
gates = cached(governance.gates_by_group)(f, by)
if gates.empty:
    ui.empty(ui.no_rows_message(ctx, "gate milestones", ("gate_milestones",)))
else:
    ui.chart(charts.gate_status(gates, labels[by]))
    ui.table(gates, f"Stage gates by {labels[by]} {ctx.as_of}", key="gov_gates",
             columns={"group_label": ui.text_col(labels[by].capitalize()), "gates_due": ui.count_col("Due"),
                      "gates_on_time": ui.count_col("Passed on time"), "gates_late": ui.count_col("Passed late"),
                      "gates_overdue": ui.count_col("Overdue"), "gate_on_time_rate": ui.pct_col("On time")})

decisions = cached(governance.gate_decisions)(f)
if decisions.empty:
    ui.empty(ui.no_rows_message(ctx, "gate reviews in the last 12 months", ("gate_reviews",)))
else:
    ui.chart(charts.counts_by(decisions, "decision", "reviews", "Gate review decisions in the last 12 months "
                              "(number of reviews)", enumeration="gate_decision", highlight="is_approval"))

st.markdown("**Gates run past without an approved review**")
st.caption("A gate the project passed, or whose date has gone by, with no approving review of that gate on "
           "record by the end of the month. Reviews that name no milestone cannot clear a gate.")
ui.table(cached(governance.unreviewed_gates)(f), f"Gates without approval {ctx.as_of}", key="gov_unreviewed",
         empty_message=ui.nothing_message(ctx, "gates", ("gate_milestones",),
                                          "Every gate passed or due has an approving review on record."),
         columns={"project_id": ui.text_col("Project"), "project_name": ui.text_col("Name"),
                  "portfolio": ui.text_col("Portfolio"), "project_manager": ui.text_col("Project manager"),
                  "milestone_name": ui.text_col("Gate"), "baseline_date": ui.date_col("Baseline"),
                  "actual_date": ui.date_col("Passed"), "finding": ui.text_col("Finding"),
                  "days_past": ui.count_col("Days past"), "approved_later": ui.date_col("Approved later")})

st.subheader("Change control")
if ui.lacking(ctx, "change_requests"):
    ui.empty(ui.no_rows_message(ctx, "change requests", ("change_requests",)))
    st.stop()
ages = cached(governance.open_changes_by_age)(f)
left, right = st.columns(2)
with left:
    ui.chart(charts.counts_by(ages, "age_band", "open_requests", "Open change requests by age (number of requests)"))
with right:
    trend = cached(governance.decision_cycle_trend)(f)
    if trend["decision_cycle_days"].notna().any():
        ui.chart(charts.kpi_trend(trend.rename(columns={"decision_cycle_days": "value"}), "Change decision time",
                                  "days"))
    else:
        ui.empty(ui.no_rows_message(ctx, "change decisions", ("change_requests",)))

levels = cached(governance.decisions_by_level)(f)
st.markdown("**Decisions by authority level, against the impact they carried (last 12 months)**")
if levels.empty:
    ui.empty(ui.no_rows_message(ctx, "change decisions in the last 12 months", ("change_requests",)))
else:
    if levels["median_cost_impact"].notna().any():
        ui.chart(charts.decisions_by_level(levels, ctx.currency))
    ui.table(levels, f"Change decisions by level {ctx.as_of}", key="gov_levels",
             columns={"decided_at": ui.enum_col("Decided at", "decision_level"), "decisions": ui.count_col("Decisions"),
                      "approved": ui.count_col("Approved"), "cost_impact": ui.money_col("Cost impact"),
                      "median_cost_impact": ui.money_col("Median cost impact"),
                      "largest_cost_impact": ui.money_col("Largest"),
                      "median_share_of_budget": ui.pct_col("Median share of BAC"),
                      "schedule_impact_days": ui.count_col("Schedule impact (days)")})

st.markdown(f"**Approved changes this year, by {labels[by]}**")
ui.table(cached(governance.changes_by_group)(f, by), f"Approved changes by {labels[by]} {ctx.as_of}",
         key="gov_changes", empty_message=ui.no_rows_message(ctx, "change requests", ("change_requests",)),
         columns={"group_label": ui.text_col(labels[by].capitalize()),
                  "open_change_requests": ui.count_col("Open requests"),
                  "approved_changes_ytd": ui.count_col("Approved this year"),
                  "approved_change_cost_ytd": ui.money_col("Approved cost"),
                  "approved_schedule_days_ytd": ui.count_col("Schedule impact (days)")})
