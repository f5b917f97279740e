"""Every figure factory: builds from a small frame, has a title that names its unit, uses the house
theme, colours RAG the same way, and shows names from the data as text, never as markup."""
from __future__ import annotations

import inspect
import re

import pandas as pd
import plotly.graph_objects as go
import pytest

from pmo_metrics import charts
from pmo_metrics.theme import CHART_GROUNDS, DARK_COLOURS

EVIL = "<b>Bold</b> <a href='javascript:alert(1)'>x</a>"
MONTHS = ["2025-01", "2025-02", "2025-03"]
# The unit in the title, in brackets: "(reporting currency)", "(hours)", "(%)", "(score 1–5)", "(EUR)", …
UNIT = re.compile(r"\((reporting currency|£|%|% of capacity|% of rows|hours|dates; ◆ = stage gate|EUR|"
                  r"number of projects|number of findings|score 1–5|RAG rating per report|points on the 1–5 scale|"
                  r"Σ probability × impact|number of risks per cell|bubble size: budget at completion|score points|"
                  r"number of gates|number of reviews|number of requests)\)"
                  r"|\(.*(number of projects|number of risks)\)")


def _figures() -> dict[str, go.Figure]:
    rollup = pd.DataFrame({"key": ["P1", EVIL], "label": ["P1", EVIL], "red": [1, 0], "amber": [0, 2],
                           "green": [3, 1], "no_report": [0, 1]})
    history = pd.DataFrame({"report_date": pd.to_datetime(["2025-01-31", "2025-02-28"]),
                            "overall_rag": ["green", "red"], "schedule_rag": ["amber", None],
                            "cost_rag": ["green", "green"], "scope_rag": [None, "red"],
                            "percent_complete": [10.0, 20.0]})
    milestones = pd.DataFrame({
        "milestone_name": [EVIL, "Go-live"], "is_gate": [True, False],
        "baseline_date": pd.to_datetime(["2025-01-10", "2025-03-01"]),
        "forecast_date": pd.to_datetime(["2025-01-12", "2025-03-20"]),
        "actual_date": pd.to_datetime(["2025-01-12", None]), "state": ["achieved late", "upcoming"]})
    risks = pd.DataFrame({"title": [EVIL, "r2", "r3"], "probability": [5, 5, 1], "impact": [4, 4, 1]})
    benefit = pd.DataFrame({"benefit_id": ["B1", "B1"], "benefit_name": [EVIL, EVIL], "unit": ["EUR", "EUR"],
                            "period": ["2025-01", "2025-02"], "planned_value": [1.0, 2.0],
                            "actual_value": [1.0, None], "target_value": [5.0, 5.0], "baseline_value": [0.0, 0.0]})
    team = pd.DataFrame({"resource_id": ["R1", "R2"], "resource_name": [EVIL, None], "role": ["PM", "Dev"],
                         "planned_hours_to_date": [10.0, 5.0], "hours_to_date": [8.0, 6.0]})
    hours = pd.DataFrame({"month": MONTHS, "planned_hours": [1.0, 2.0, 3.0], "hours": [1.0, 1.5, 0.0]})
    costs = pd.DataFrame({"period": MONTHS, "planned_cost": [100.0, 200.0, 300.0], "actual_cost": [90.0, 210.0, None],
                          "forecast_cost": [None, None, 280.0], "planned_cumulative": [100.0, 300.0, 600.0],
                          "actual_cumulative": [90.0, 300.0, None]})
    groups = pd.DataFrame({"label": ["A", EVIL], "planned_to_date": [10.0, 20.0], "actual_to_date": [12.0, 15.0]})
    variances = pd.DataFrame({"project_id": ["P1", "P2"], "project_name": [EVIL, "b"], "vac": [-10.0, 5.0]})
    capacity = pd.DataFrame({"month": MONTHS, "capacity_hours": [100.0, 100.0, 90.0],
                             "planned_hours": [80.0, 90.0, 95.0], "hours": [70.0, 85.0, None]})
    util = pd.DataFrame({"key": ["Eng", EVIL], "utilization": [0.7, None], "allocation_rate": [0.8, 0.5]})
    heat = pd.DataFrame({"key": ["Eng", "Eng", EVIL], "month": ["2025-01", "2025-02", "2025-01"],
                         "value": [0.5, 1.1, None]})
    benefits = pd.DataFrame({"month": MONTHS, "planned": [0.0, 10.0, 20.0], "realized": [0.0, 8.0, 15.0]})
    by_group = pd.DataFrame({"key": ["cost_saving", EVIL], "planned_to_date": [10.0, 0.0],
                             "realized_to_date": [9.0, 1.0], "realization_rate": [0.9, None]})
    scores = pd.DataFrame({"business_unit": ["BU1", "BU1", EVIL], "domain": ["governance", "talent", "governance"],
                           "score": [2.0, 3.5, 4.0], "target": [3.0, None, 4.0]})
    wide = pd.DataFrame({"governance": [2.0, 4.0], "talent": [3.5, None]}, index=["BU1", EVIL])
    change = pd.DataFrame({"domain": ["governance", "talent"], "change": [0.5, -0.25], "business_units": [2, 1]})
    rules = pd.DataFrame({"table": ["projects", "timesheets"], "rule_id": ["PRJ-NO-PM", "TS-HOURS"],
                          "pass_rate": [0.98, 1.0], "rows_failed": [1, 0], "rows_checked": [60, 1000]})
    bubbles = pd.DataFrame({"project_id": ["P1", "P2"], "project_name": [EVIL, "b"], "overall_rag": ["red", None],
                            "priority_score": [80.0, None], "risk_exposure": [30.0, 0.0], "open_risks": [3, 0],
                            "bac": [1e6, None]})
    criteria = pd.DataFrame({"project_id": ["P1", "P1", EVIL, EVIL], "criterion": ["priority", "risk"] * 2,
                             "part": [30.0, 20.0, 10.0, 5.0], "score": [60.0, 40.0, 20.0, 10.0],
                             "weight": [1.0, 1.0, 1.0, 1.0]})
    frontier = pd.DataFrame({"budget": [0.0, 1.0, 2.0, 3.0], "total_score": [None, 40.0, 60.0, 90.0],
                             "total_bac": [None, 1.0, 2.0, 3.0], "funded_count": [None, 1, 2, 3],
                             "optimal": [None, True, True, True]})
    roadmap = pd.DataFrame({
        "project_id": ["P1", "P2"], "project_name": [EVIL, "b"], "program": [EVIL, None],
        "start_date": pd.to_datetime(["2025-01-01", "2025-02-01"]),
        "baseline_finish_date": pd.to_datetime(["2025-06-30", "2025-12-31"]),
        "current_finish_date": pd.to_datetime(["2025-08-31", None]),
        "rcf_finish_p80": pd.to_datetime(["2025-09-30", None])})
    roadmap_marks = pd.DataFrame({"project_id": ["P1", "P1"], "milestone_name": [EVIL, "Go-live"],
                                  "is_gate": [True, False], "marker_date": pd.to_datetime(["2025-03-01", "2025-05-01"])})
    trend = pd.DataFrame({
        "snapshot_month": ["2025-01", "2025-02", "2025-01", "2025-02", "2025-03"],
        "milestone_id": ["MA", "MA", "MB", "MB", "MB"], "milestone_name": [EVIL, EVIL, "Build", "Build", "Build"],
        "is_gate": [True, True, False, False, False],
        "expected_date": pd.to_datetime(["2025-02-15", "2025-02-20", "2025-05-01", "2025-05-20", "2025-06-10"]),
        "is_done": [False, True, False, False, False]})
    return {
        "milestone_trend": charts.milestone_trend(trend),
        "roadmap": charts.roadmap(roadmap, roadmap_marks, pd.Timestamp("2025-02-28")),
        "rag_mix_trend": charts.rag_mix_trend(pd.DataFrame({
            "month": MONTHS, "rag_red_share": [0.1, 0.2, None], "rag_amber_share": [0.3, 0.2, None],
            "rag_green_share": [0.6, 0.5, None], "rag_missing_share": [0.0, 0.1, None]})),
        "risk_exposure_trend": charts.risk_exposure_trend(pd.DataFrame({
            "month": MONTHS, "open_risks": [3, 4, 2], "high_risks": [1, 2, 0], "exposure": [30, 44, 12]})),
        "evm_projection": charts.evm_curve(
            pd.DataFrame({"month": MONTHS, "pv": [1.0, 2.0, 3.0], "ev": [1.0, 1.5, 2.0], "ac": [1.0, 2.0, 3.2]}),
            bac=10.0, projections=pd.DataFrame({
                "name": [EVIL, "Reference-class P80"], "date_from": pd.to_datetime(["2025-03-31"] * 2),
                "value_from": [2.0, 2.0], "date_to": pd.to_datetime(["2025-12-31", "2026-03-31"]),
                "value_to": [10.0, 10.0]})),
        "rag_mix": charts.rag_mix({"green": 3, "amber": 1, "red": 1, "none": 0}),
        "kpi_trend": charts.kpi_trend(pd.DataFrame({"month": MONTHS, "value": [0.5, None, 0.7]}), "Green", "share"),
        "spend_and_benefits": charts.spend_and_benefits(pd.DataFrame({
            "objective": [EVIL, "Grow"], "actual_to_date": [1e6, 2e6], "benefits_realized": [5e5, 0.0]})),
        "drill_bars": charts.drill_bars(rollup, "portfolio"),
        "value_risk_bubbles": charts.value_risk_bubbles(bubbles),
        "rag_history": charts.rag_history(history),
        "percent_complete": charts.percent_complete(history),
        "evm_curve": charts.evm_curve(pd.DataFrame({"month": MONTHS, "pv": [1.0, 2.0, 3.0], "ev": [1.0, None, 2.5],
                                                    "ac": [1.0, 2.0, 3.2]}), bac=10.0),
        "milestone_timeline": charts.milestone_timeline(milestones, pd.Timestamp("2025-02-28")),
        "risk_matrix": charts.risk_matrix(risks),
        "risk_matrix_clickable": charts.risk_matrix(risks, clickable=True),
        "benefit_plan_actual": charts.benefit_panels(benefit)[0],
        "team_hours": charts.team_hours(team),
        "hours_by_month": charts.hours_by_month(hours),
        "cost_by_month": charts.cost_by_month(costs, "2025-02"),
        "cost_by_group": charts.cost_by_group(groups, "portfolio"),
        "variance_bars": charts.variance_bars(variances),
        "capacity_by_month": charts.capacity_by_month(capacity, "2025-02"),
        "utilisation_by_group": charts.utilisation_by_group(util, "department", 0.75),
        "allocation_heatmap": charts.allocation_heatmap(heat, "department"),
        "benefits_cumulative": charts.benefits_cumulative(benefits),
        "benefits_by_group": charts.benefits_by_group(by_group, "benefit type"),
        "maturity_radar": charts.maturity_radar(scores),
        "maturity_heatmap": charts.maturity_heatmap(wide),
        "maturity_change": charts.maturity_change(change),
        "rule_pass_rates": charts.rule_pass_rates(rules),
        "findings_by_rule": charts.findings_by_rule(pd.DataFrame({"rule": [EVIL, "b"], "findings": [3, 1200]})),
        "score_parts": charts.score_parts(criteria),
        "selection_frontier": charts.selection_frontier(frontier, budget=2.0, score=60.0),
        # governance and the PMO's value
        "gate_status": charts.gate_status(pd.DataFrame({"group_label": [EVIL, "Core"], "gates_on_time": [3, 1],
                                                        "gates_late": [1, 0], "gates_overdue": [0, 2]}), "portfolio"),
        "counts_by": charts.counts_by(pd.DataFrame({"decision": ["approved", EVIL], "reviews": [3, 1],
                                                    "is_approval": [True, False]}), "decision", "reviews",
                                      "Gate review decisions (number of reviews)", enumeration="gate_decision",
                                      highlight="is_approval"),
        "decisions_by_level": charts.decisions_by_level(pd.DataFrame({
            "decided_at": ["project", None], "decisions": [2, 1], "median_cost_impact": [100.0, 5000.0],
            "largest_cost_impact": [200.0, 5000.0]})),
        "pmo_cost_by_month": charts.pmo_cost_by_month(pd.DataFrame({
            "month": MONTHS[:2] + MONTHS[:1], "cost_category": ["staff", "staff", "tools"],
            "actual_cost": [50_000.0, 52_000.0, 4_000.0]})),
    }


FIGURES = _figures()


def test_every_factory_is_exercised():
    factories = {name for name, fn in inspect.getmembers(charts, inspect.isfunction)
                 if fn.__module__ == charts.__name__ and not name.startswith("_")
                 and inspect.signature(fn).return_annotation in ("go.Figure", go.Figure)}
    covered = set(FIGURES) | {"benefit_plan_actual", "themed", "retitle", "untitled"}
    assert factories <= covered, factories - covered


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_titled_with_a_unit_on_the_house_theme(name):
    fig = FIGURES[name]
    assert isinstance(fig, go.Figure)
    title = fig.layout.title.text.replace("<br>", " ")
    assert title and UNIT.search(title), f"{name}: title without a unit: {title!r}"
    assert all(len(line) <= charts.TITLE_CHARS for line in fig.layout.title.text.split("<br>")), name
    assert fig.layout.template.layout.font.size == charts.FONT_SIZE
    fig.to_json()  # serialisable, as st.plotly_chart needs


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_names_from_the_data_are_never_markup(name):
    text = FIGURES[name].to_json()
    assert "<b>Bold</b>" not in text and "<a href" not in text, name


def test_rag_colours_are_the_house_colours():
    fig = FIGURES["drill_bars"]
    colours = {t.name: t.marker.color for t in fig.data}
    assert colours == {"Red": charts.RAG_COLOURS["red"], "Amber": charts.RAG_COLOURS["amber"],
                       "Green": charts.RAG_COLOURS["green"], "No report": charts.RAG_COLOURS["none"]}
    assert charts.rag_colour("green") == charts.RAG_COLOURS["green"]
    assert charts.rag_colour(None) == charts.RAG_COLOURS["none"]


def test_drill_bars_carry_the_group_key_for_selection():
    fig = FIGURES["drill_bars"]
    assert list(fig.data[0].customdata) == ["P1", EVIL][::-1]  # raw keys, bottom-up like the bars


def test_money_titles_name_the_currency():
    fig = charts.cost_by_group(pd.DataFrame({"label": ["A"], "planned_to_date": [1.0], "actual_to_date": [2.0]}),
                               "portfolio", currency="£")
    assert "(£)" in fig.layout.title.text
    assert list(fig.layout.xaxis.ticktext) == ["0", "£0.5", "£1.0", "£1.5", "£2.0"]


def test_money_ticks_read_as_the_cards_do():
    """'45 bn', never d3's '45G'; one scale and the same decimals on the whole axis, from zero."""
    frame = pd.DataFrame({"label": ["A", "B"], "planned_to_date": [45e9, 12e9], "actual_to_date": [30e9, None]})
    axis = charts.cost_by_group(frame, "portfolio", currency="£").layout.xaxis
    assert list(axis.ticktext) == ["0", "£20 bn", "£40 bn", "£60 bn"]
    assert list(axis.range) == [0, 60e9]
    variances = pd.DataFrame({"project_id": ["P1", "P2"], "project_name": ["a", "b"], "vac": [-7e5, 2e5]})
    assert list(charts.variance_bars(variances).layout.xaxis.ticktext) == ["-750 k", "-500 k", "-250 k", "0", "250 k"]


def test_counts_are_whole_and_sparse_however_many_projects():
    rollup = pd.DataFrame({"key": ["P"], "label": ["P"], "red": [40], "amber": [200], "green": [80], "no_report": [4]})
    axis = charts.drill_bars(rollup, "portfolio").layout.xaxis
    assert list(axis.tickvals) == [0, 100, 200, 300, 400] and axis.dtick is None
    assert charts.template().layout.xaxis.nticks == charts.MAX_X_TICKS


def test_a_series_without_values_is_left_out_and_said_so():
    curve = pd.DataFrame({"month": MONTHS, "pv": [1.0, 2.0, 3.0], "ev": [None] * 3, "ac": [None] * 3})
    fig = charts.evm_curve(curve)
    assert [t.name for t in fig.data] == ["Planned value (PV)"]
    assert "Earned value (EV)" in fig.layout.title.subtitle.text and "Actual cost (AC)" in fig.layout.title.subtitle.text


def test_no_business_unit_is_drawn_in_a_rag_colour():
    scores = pd.DataFrame({"business_unit": [f"BU{i}" for i in range(8)], "domain": ["governance"] * 8,
                           "score": [3.0] * 8, "target": [4.0] * 8})
    fig = charts.maturity_radar(scores)
    rag = {v.upper() for v in charts.RAG_COLOURS.values()}
    assert not {t.line.color.upper() for t in fig.data} & rag
    assert not {v.upper() for v in charts.template().layout.colorway} & rag


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_the_dark_theme_draws_every_figure_on_the_dark_ground(name):
    light = FIGURES[name]
    dark = charts.themed(light, "dark")
    assert charts.themed(light, "light") is light
    assert dark.layout.template.layout.paper_bgcolor == CHART_GROUNDS["dark"].paper
    assert dark.layout.template.layout.polar.bgcolor == CHART_GROUNDS["dark"].paper   # the radar's disc too
    light_only = {c.upper() for c in DARK_COLOURS} - {c.upper() for c in DARK_COLOURS.values()}
    used = set(re.findall(r"#[0-9A-Fa-f]{6}\b", dark.to_json().split('"template"')[0]))
    assert not {u.upper() for u in used} & light_only, name


def test_months_are_dates_on_the_axis():
    fig = FIGURES["cost_by_month"]
    assert fig.layout.xaxis.type == "date"
    assert pd.Timestamp(fig.data[0].x[0]) == pd.Timestamp("2025-01-01")


def test_long_labels_wrap():
    lines = charts._wrap("Strengthen regulatory compliance across the group", 26).split("<br>")
    assert len(lines) == 3 and all(len(line) <= 26 for line in lines)
    assert charts._wrap("Short", 26) == "Short"
    assert charts.safe("<script>") == "&lt;script&gt;"


def test_roadmap_bars_run_from_start_to_forecast_finish_and_open_their_project():
    fig = FIGURES["roadmap"]
    baseline, forecast = fig.data[0], fig.data[1]
    assert (baseline.name, forecast.name) == ("Baseline", "Forecast")
    # rows are drawn bottom-up: P2 first; P1's forecast runs 2025-01-01 → 2025-08-31 = 242 days
    assert list(forecast.customdata) == ["P2", "P1"]
    assert forecast.x[1] == 242 * 86_400_000 and forecast.x[0] is None       # P2 has no forecast finish
    assert baseline.x[1] == 180 * 86_400_000                                  # to 2025-06-30
    names = {t.name for t in fig.data}
    assert {"◆ Gate", "Milestone", "Reference-class P80 finish"} <= names
    assert any(shape.type == "line" for shape in fig.layout.shapes)            # the today line


def test_projections_run_from_the_latest_ev_to_the_budget_at_each_finish():
    fig = FIGURES["evm_projection"]
    lines = [t for t in fig.data if t.name and t.name.endswith(" finish")]
    assert [t.name for t in lines][1] == "Reference-class P80 finish"
    assert list(lines[1].y) == [2.0, 10.0] and str(lines[1].x[1])[:10] == "2026-03-31"


def test_the_rag_mix_trend_stacks_worst_first():
    fig = FIGURES["rag_mix_trend"]
    assert [t.name for t in fig.data][:3] == [charts.RAG_LABELS[r] for r in ("red", "amber", "green")]
    assert all(t.stackgroup == "rag" for t in fig.data)


def test_a_clickable_risk_matrix_has_a_marker_on_each_cell_with_risks():
    fig = FIGURES["risk_matrix_clickable"]
    marks = fig.data[1]
    # risks at (probability 5, impact 4) × 2 and (1, 1): two cells, x = impact, y = probability
    assert sorted(zip(marks.x, marks.y)) == [(1, 1), (4, 5)]
    assert len(FIGURES["risk_matrix"].data) == 1


def test_the_milestone_trend_draws_a_line_per_milestone_ending_on_the_dashed_diagonal():
    fig = FIGURES["milestone_trend"]
    lines = {t.name: t for t in fig.data}
    gate, build = lines["◆ " + charts.safe(EVIL)[:31] + "…"], lines["Build"]
    # x is the report date (the month's last day), y the date expected in that month's snapshot
    assert [str(x)[:10] for x in build.x] == ["2025-01-31", "2025-02-28", "2025-03-31"]
    assert [str(y)[:10] for y in build.y] == ["2025-05-01", "2025-05-20", "2025-06-10"]
    assert gate.marker.symbol == "diamond" and build.marker.symbol == "circle"
    assert [str(x)[:10] for x in gate.x] == ["2025-01-31", "2025-02-28"]           # achieved in February: ends
    ring = lines["Achieved"]
    assert [str(y)[:10] for y in ring.y] == ["2025-02-20"] and ring.mode == "markers"
    diagonal = lines["Milestone date = report date"]
    assert list(diagonal.x) == list(diagonal.y) and diagonal.line.dash == "dash"
    assert [str(x)[:10] for x in diagonal.x] == ["2025-01-31", "2025-03-31"]       # first to last report
    assert list(fig.layout.xaxis.ticktext) == ["Jan<br>2025", "Feb<br>2025", "Mar<br>2025"]
    assert fig.layout.yaxis.type == "date" and len(fig.data) == 4


def test_untitled_drops_the_title_from_a_copy_or_in_place_and_keeps_it_in_meta():
    fig = charts.rag_mix({"green": 3, "amber": 1, "red": 0, "none": 0})
    title = fig.layout.title.text
    copied = charts.untitled(fig)
    assert fig.layout.title.text == title and copied.layout.title.text is None   # a copy: the figure keeps it
    stripped = charts.untitled(fig, copy=False)
    assert stripped is fig and fig.layout.title.text is None
    assert stripped.to_plotly_json() == copied.to_plotly_json()                   # the same figure either way
    assert charts.titles(fig)[0] == charts.titles(copied)[0] == title             # still read from meta
    assert charts.untitled(fig, copy=False).to_plotly_json() == copied.to_plotly_json()   # twice: no change
