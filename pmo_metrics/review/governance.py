"""The monthly review's Governance section, when the data has any gate milestones, gate reviews or
change requests: the gates due in M and those missed, the change decisions waiting, the escalations
decided in M. Figures from the KPI engine; the rows from sql/review/gates_due.sql and changes_waiting.sql.
"""
from __future__ import annotations

from .. import formatting as fmt
from .. import kpis
from ..queries import run
from ..theme import RAG_COLOURS, SERIES
from ..views import governance as views
from .model import Chart, Section, table

GOVERNANCE_INPUTS = ("gate_milestones", "gate_reviews", "change_requests")


def governance_section(ctx) -> Section | None:
    """None when the loaded data has no gate milestones, gate reviews or change requests at all."""
    if all(ctx.lacking(name) for name in GOVERNANCE_INPUTS):
        return None
    params = kpis.params(ctx.filters, [ctx.as_of])
    gates = run(ctx.con, "review/gates_due", params)
    changes = run(ctx.con, "review/changes_waiting", params)
    waiting = changes[changes["is_waiting"]]
    escalated = changes[changes["escalated_in_month"]]
    missed = int((gates["state"] == "missed").sum())

    t_gates = table(f"Gates due in {ctx.m}", [{
        "Project": r["project_name"], "Gate": r["milestone_name"], "Due": fmt.date(r["baseline_date"]),
        "Passed": fmt.date(r["actual_date"], empty=None), "State": fmt.label(r["state"]),
        "Project manager": r["project_manager"],
    } for _, r in gates.iterrows()], ["Project", "Gate", "Due", "Passed", "State", "Project manager"],
        f"No gate was due in {ctx.m}.", slide_columns=["Project", "Gate", "Due", "State"])
    t_waiting = table(f"Change decisions waiting at the end of {ctx.m}", [{
        "Project": r["project_name"], "Change": r["title"], "Category": fmt.label(r["category"], "change_category"),
        "Raised": fmt.date(r["raised_date"]), "Waiting": fmt.days(r["age_days"]),
        "Cost impact": ctx.money(r["cost_impact"]),
    } for _, r in waiting.iterrows()], ["Project", "Change", "Category", "Raised", "Waiting", "Cost impact"],
        "No change request is waiting for a decision.", slide_columns=["Project", "Change", "Waiting", "Cost impact"])
    t_escalated = table(f"Escalated decisions in {ctx.m}", [{
        "Project": r["project_name"], "Change": r["title"],
        "Decided at": fmt.label(r["decided_at"], "decision_level"),
        "Decision": fmt.label(r["decision"], "change_decision"), "Cost impact": ctx.money(r["cost_impact"]),
    } for _, r in escalated.iterrows()], ["Project", "Change", "Decided at", "Decision", "Cost impact"],
        f"No change was escalated to the portfolio or the executive in {ctx.m}.")

    message = (f"{fmt.plural(len(gates), 'gate')} due in {ctx.m}, {missed} missed; "
               f"{fmt.plural(len(waiting), 'change decision')} waiting; "
               f"{fmt.plural(len(escalated), 'escalated decision')} this month")
    points = [f"Gates passed on time: {ctx.fmt('gate_on_time_rate')}; gates overdue: {ctx.fmt('gates_overdue')} "
              f"({ctx.change('gates_overdue')}).",
              f"Gate reviews approved over 12 months: {ctx.fmt('gate_approval_rate')}.",
              f"Change decisions took {ctx.fmt('decision_cycle_days')} on average over 3 months; "
              f"{ctx.fmt('escalated_decision_share')} were escalated.",
              f"Approved change cost this year: {ctx.fmt('approved_change_cost_ytd')}."]
    notes = [why for why in (ctx.lacking(name) for name in GOVERNANCE_INPUTS) if why]
    return Section("governance", "Governance", message, points, [t_gates, t_waiting, t_escalated], _chart(ctx), notes)


def _chart(ctx) -> Chart | None:
    """The gates due by portfolio (on time, late, overdue); without gate milestones, the change decision time."""
    by = views.gates_by_group(ctx.con, ctx.filters, "portfolio")
    if len(by):
        parts = {"Passed on time": ("gates_on_time", RAG_COLOURS["green"]),
                 "Passed late": ("gates_late", RAG_COLOURS["amber"]), "Overdue": ("gates_overdue", RAG_COLOURS["red"])}
        return Chart("gate_status", f"Stage gates due by portfolio, {ctx.m}: on time, late, overdue (number of gates)",
                     "stacked_bar", "count", [str(k) for k in by["group_label"]],
                     {name: [float(v) for v in by[col]] for name, (col, _) in parts.items()}, by,
                     options={"group_label": "portfolio"}, colours={name: c for name, (_, c) in parts.items()})
    series = kpis.kpi_series(ctx.con, "decision_cycle_days", ctx.filters, start=ctx.trend_start(), end=ctx.as_of)
    if not series["value"].notna().any():
        return None
    return Chart("kpi_trend", "Change decision time, by month (days)", "line", "days", series["month"].tolist(),
                 {"Change decision time": [fmt.as_float(v) for v in series["value"]]}, series,
                 options={"metric_id": "decision_cycle_days"}, colours={"Change decision time": SERIES["actual"]})
