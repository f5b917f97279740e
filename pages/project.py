"""Project: one project's facts, status history, earned value, milestones (with their trend across
the monthly snapshots), risks, benefits and team.
The project is named in the URL (?project=PRJ-0001) so a link opens it directly."""
import streamlit as st

from pages import _notes as notes
from pages import _widgets as ui
from pages._cache import cached
from pmo_metrics import charts, kpis
from pmo_metrics import formatting as fmt
from pmo_metrics.views import projects

ctx = ui.header("Project")
ui.require_data(ctx)
f = ctx.filters

listed = cached(projects.project_list)(f)
if listed.empty:
    ui.empty("No project matches the filters. Clear a filter in the sidebar to see more.")
    st.stop()

ids = listed["project_id"].tolist()
names = dict(zip(listed["project_id"], listed["project_name"]))
wanted = ui.page_param("project", ids)
if st.session_state.get("project_pick") not in ids:  # first visit, or a link / the drill-down opened it
    st.session_state["project_pick"] = wanted or projects.default_project(listed)
project_id = st.selectbox("Project", ids, key="project_pick", format_func=lambda p: f"{p} · {names.get(p) or ''}")
ui.set_page_params(project=project_id)

head = cached(projects.header)(project_id, ctx.as_of)
if head is None:
    ui.empty("This project is not in the loaded data.")
    st.stop()

st.subheader(ui.esc(head["project_name"] or project_id), anchor=False)
facts = [
    ("Portfolio", head["portfolio"]), ("Program", head["program"]), ("Business unit", head["business_unit"]),
    ("Strategic objective", head["objective_name"] or head["objective_id"]), ("Sponsor", head["sponsor"]),
    ("Project manager", head["project_manager"]), ("Stage", fmt.label(head["stage"], "stage")),
    ("Delivery approach", fmt.label(head["delivery_approach"], "delivery_approach")),
    ("Priority score", fmt.count(head["priority_score"])),
    ("Start", fmt.date(head["start_date"])), ("Baseline finish", fmt.date(head["baseline_finish_date"])),
    ("Forecast finish", fmt.date(head["forecast_finish_date"])),
    ("Actual finish", fmt.date(head["actual_finish_date"])),
    ("Budget at completion", ui.money(head["budget_at_completion"])),
]
cols = st.columns(4)
for i, (label, value) in enumerate(facts):
    cols[i % 4].markdown(f"**{label}**  \n{ui.esc(value)}")

notes.panel(ctx, "Notes and decisions on this project", lambda s: s.notes("project", project_id),
            targets={project_id: ("project", project_id)}, month=ctx.as_of, key="project")

st.markdown("**Latest status**" + (f" ({fmt.date(head['report_date'])})" if head["report_date"] else ""))
if head["report_date"] is None:
    ui.empty(f"No status report for this project up to {ctx.as_of}.")
else:
    c1, c2, c3, c4, c5 = st.columns(5)
    for col, label, key in ((c1, "Overall", "overall_rag"), (c2, "Schedule", "schedule_rag"),
                            (c3, "Cost", "cost_rag"), (c4, "Scope", "scope_rag")):
        with col:
            ui.rag_badge(label, head[key])
    c5.metric("Percent complete", fmt.percent(head["percent_complete"]),
              help=None if not fmt.is_missing(head["percent_complete"]) else "The latest report gives no percent complete.")
    if head["summary"]:
        st.text(head["summary"])  # commentary from the data: plain text, never markdown

tabs = st.tabs(["Status history", "Earned value", "Milestones", "Risks", "Benefits", "Team and hours"])

with tabs[0]:
    history = cached(projects.status_history)(project_id, ctx.as_of)
    if history.empty:
        ui.empty(f"No status reports for this project up to {ctx.as_of}.")
    else:
        ui.chart(charts.rag_history(history))
        if history["percent_complete"].notna().sum() > 1:
            ui.chart(charts.percent_complete(history))
        ui.table(history.iloc[::-1], f"Status reports {project_id}", key="history",
                 columns={"report_date": ui.date_col("Report"), "overall_rag": ui.rag_col("Overall"),
                          "schedule_rag": ui.rag_col("Schedule"), "cost_rag": ui.rag_col("Cost"),
                          "scope_rag": ui.rag_col("Scope"), "percent_complete": ui.percent_col("% complete"),
                          "summary": ui.text_col("Commentary", width="large")})

with tabs[1]:
    curve = cached(kpis.evm_curve)(f, project_id=project_id)
    if curve.empty or not (curve[["pv", "ev", "ac"]].fillna(0) != 0).any().any():
        ui.empty(f"No planned or actual cost for this project up to {ctx.as_of}.")
    else:
        ui.chart(charts.evm_curve(curve, head["budget_at_completion"], ctx.currency,
                                  title=f"Earned value S-curve of {project_id}"))
        ui.table(curve, f"Earned value {project_id}", key="evm",
                 columns={"month": ui.text_col("Month"), "pv": ui.money_col("Planned value"),
                          "ev": ui.money_col("Earned value"), "ac": ui.money_col("Actual cost")})

with tabs[2]:
    ms = cached(projects.milestones)(project_id, ctx.as_of)
    if ms.empty:
        ui.empty("This project has no milestones in the loaded data.")
    else:
        ui.chart(charts.milestone_timeline(ms, ui.as_of_end(ctx)))
        gap = projects.milestone_trend_gap(cached(projects.milestone_snapshot_months)(ctx.as_of), ctx.as_of)
        trend = cached(projects.milestone_trend)(project_id, ctx.as_of) if gap is None else None
        if gap is not None:
            ui.empty(gap)
        elif trend.empty:
            ui.empty(f"No milestone of this project was open in the monthly snapshots up to {ctx.as_of}: "
                     "there is no trend to draw.")
        else:
            ui.chart(charts.milestone_trend(trend))
        ui.table(ms, f"Milestones {project_id}", key="milestones",
                 columns={"milestone_name": ui.text_col("Milestone"), "is_gate": ui.check_col("Gate"),
                          "baseline_date": ui.date_col("Baseline"), "forecast_date": ui.date_col("Forecast"),
                          "actual_date": ui.date_col("Actual"), "slip_days": ui.days_col("Slip (days)"),
                          "state": ui.enum_col("State", "milestone_state")})

with tabs[3]:
    risks = cached(projects.risks)(project_id, ctx.as_of)
    open_risks = risks[risks["is_open"].astype(bool)] if not risks.empty else risks
    if open_risks.empty:
        ui.empty(f"No open risks for this project at the end of {ctx.as_of}.")
    else:
        ui.chart(charts.risk_matrix(open_risks))
    ui.table(risks, f"Risks {project_id}", key="risks",
             columns={"risk_id": ui.text_col("Risk"), "title": ui.text_col("Title"),
                      "probability": ui.count_col("Probability"), "impact": ui.count_col("Impact"),
                      "score": ui.count_col("Score"), "is_open": ui.check_col("Open"),
                      "owner": ui.text_col("Owner"), "raised_date": ui.date_col("Raised"),
                      "closed_date": ui.date_col("Closed")})

with tabs[4]:
    benefits = cached(projects.benefits)(project_id, ctx.as_of)
    if benefits.empty:
        ui.empty(f"No benefit measurements for this project up to {ctx.as_of}.")
    else:
        for fig in charts.benefit_panels(benefits):
            ui.chart(fig)
        ui.table(benefits, f"Benefit measurements {project_id}", key="benefits",
                 columns={"benefit_name": ui.text_col("Benefit"), "unit": ui.text_col("Unit"),
                          "period": ui.text_col("Month"), "planned_value": ui.num_col("Planned"),
                          "actual_value": ui.num_col("Actual"), "target_value": ui.num_col("Target")})

with tabs[5]:
    team = cached(projects.team)(project_id, ctx.as_of)
    if team.empty:
        ui.empty(f"Nobody was allocated to or booked hours on this project up to {ctx.as_of}.")
    else:
        ui.chart(charts.team_hours(team))
        monthly = cached(projects.team_by_month)(project_id, ctx.as_of)
        if not monthly.empty and (monthly[["planned_hours", "hours"]] != 0).any().any():
            ui.chart(charts.hours_by_month(monthly, f"Hours on {project_id} by month: planned vs booked (hours)"))
        ui.table(team, f"Team {project_id}", key="team",
                 columns={"resource_name": ui.text_col("Name"), "role": ui.text_col("Role"),
                          "department": ui.text_col("Department"),
                          "employment_type": ui.enum_col("Type", "employment_type"),
                          "planned_hours_month": ui.hours_col(f"Planned {ctx.as_of} (h)", 1),
                          "hours_month": ui.hours_col(f"Booked {ctx.as_of} (h)", 1),
                          "planned_hours_to_date": ui.hours_col("Planned to date (h)"),
                          "hours_to_date": ui.hours_col("Booked to date (h)")})
