"""Portfolio: drill from portfolios to programs to projects by clicking a bar or a table row; the
path is kept in the URL (drill_portfolio, drill_program) so the link reopens the same level."""
import streamlit as st

from pages import _widgets as ui
from pages._cache import cached
from pmo_metrics import charts, kpis
from pmo_metrics.views import projects as project_views

ctx = ui.header("Portfolio")
ui.require_data(ctx)
f = ctx.filters
rollup_of = cached(project_views.drill_rollup)

portfolio = ui.page_param("drill_portfolio", set(rollup_of(f, "portfolio")["key"]))
program = ui.page_param("drill_program", set(rollup_of(f, "program", portfolio)["key"])) if portfolio else None
ui.set_page_params(drill_portfolio=portfolio, drill_program=program)
level = "project" if program else ("program" if portfolio else "portfolio")


def go(new_portfolio=None, new_program=None):
    ui.set_page_params(drill_portfolio=new_portfolio, drill_program=new_program)


# Breadcrumb: each step is a button that goes back up to that level.
crumbs = st.columns([2, 3, 3, 4])
crumbs[0].button("All portfolios", on_click=go, type="tertiary" if level == "portfolio" else "secondary",
                 icon=":material/home:", key="crumb_all")
if portfolio:
    crumbs[1].button(ui.esc(portfolio), on_click=go, args=(portfolio,), key="crumb_portfolio",
                     type="tertiary" if level == "program" else "secondary", icon=":material/chevron_right:")
if program:
    crumbs[2].button(ui.esc(program), on_click=go, args=(portfolio, program), key="crumb_program", type="tertiary",
                     icon=":material/chevron_right:")

rollup = rollup_of(f, level, portfolio, program)
# Sums of actual costs read 0 in the roll-up when the data has none: shown as no data instead.
no_actuals = ui.lacking(ctx, "actual_costs")
if no_actuals:
    rollup = ui.unknown(rollup, "ac")
if rollup.empty:
    ui.empty(ui.no_rows_message(ctx, "active projects"))
else:
    # A key per level: a selection made at one level must not drill again at the next.
    suffix = ui.key_suffix(level, portfolio, program)
    event = ui.chart(charts.drill_bars(rollup, level), key=f"drill_chart_{suffix}", on_select="rerun")
    point = ui.selected_point(event)
    picked = None
    if point is not None:
        picked = point.get("customdata") if isinstance(point, dict) else None
        if isinstance(picked, list):
            picked = picked[0] if picked else None
    row_event = ui.table(
        rollup, f"{level.capitalize()} roll-up {ctx.as_of}", key=f"drill_table_{suffix}", selectable=True,
        columns={"label": ui.text_col(level.capitalize()), "projects": ui.count_col("Active"),
                 "red": ui.count_col("Red"), "amber": ui.count_col("Amber"),
                 "green": ui.count_col("Green"), "no_report": ui.count_col("No report"),
                 "bac": ui.money_col("Budget (BAC)"), "ev": ui.money_col("Earned value"),
                 "ac": ui.money_col("Actual cost"), "eac": ui.money_col("EAC"),
                 "spi": ui.ratio_col("SPI"), "cpi": ui.ratio_col("CPI")})
    row = ui.selected_row(row_event)
    if picked is None and row is not None and row < len(rollup):
        picked = rollup.iloc[row]["key"]
    if picked is not None and picked in set(rollup["key"]):
        if level == "portfolio":
            go(picked)
            st.rerun()
        elif level == "program":
            go(portfolio, picked)
            st.rerun()
        else:
            st.switch_page("pages/project.py", query_params={"project": picked})
    st.caption("Click a bar or pick a row to drill down; at project level it opens the project page.")

st.subheader("Projects")
in_view = project_views.drill_projects(cached(kpis.project_table)(f), portfolio, program)
if no_actuals:
    in_view = ui.unknown(in_view, "ac")
ui.table(in_view, f"Projects {ctx.as_of}", key="project_table",
         empty_message=ui.no_rows_message(ctx, "projects"),
         columns={"project_id": ui.text_col("Project"), "project_name": ui.text_col("Name"),
                  "portfolio": ui.text_col("Portfolio"), "program": ui.text_col("Program"),
                  "active": ui.check_col("Active"), "stage": ui.enum_col("Stage", "stage"),
                  "overall_rag": ui.rag_col("RAG"), "rag_trend": ui.enum_col("Trend", "rag_trend"),
                  "percent_complete": ui.percent_col("% complete"),
                  "bac": ui.money_col("BAC"), "pv": ui.money_col("PV"), "ev": ui.money_col("EV"),
                  "ac": ui.money_col("AC"), "spi": ui.ratio_col("SPI"), "cpi": ui.ratio_col("CPI"),
                  "eac": ui.money_col("EAC"), "finish_slip_days": ui.days_col("Finish slip (days)"),
                  "next_milestone": ui.text_col("Next milestone"), "next_milestone_date": ui.date_col("Due"),
                  "open_high_risks": ui.count_col("Open high risks"),
                  "project_manager": ui.text_col("Manager")})

st.subheader("Value vs risk")
bubbles = project_views.drill_projects(cached(project_views.value_vs_risk)(f), portfolio, program,
                                       ids=in_view["project_id"])
if bubbles.empty:
    ui.empty(ui.no_rows_message(ctx, "active projects"))
elif ui.lacking(ctx, "risks") or bubbles["priority_score"].isna().all():
    ui.empty("No value-vs-risk chart: " + ("the loaded data has no risks, so no project has a risk exposure."
                                           if ui.lacking(ctx, "risks") else "no project has a priority score."))
else:
    ui.chart(charts.value_risk_bubbles(bubbles, ctx.currency))
