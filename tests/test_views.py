"""The page queries of pmo_metrics.views.

First on a handful of hand-made rows whose answers were worked out by hand (the comments give the
arithmetic), then on the small demo, where every table a page shows must add up to the KPI card
above it, then on a database with no rows at all.
"""
from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from kpi_fixtures import (
    allocation, assessment, benefit, cost, make_db, measurement, milestone, objective, project, report, resource,
    risk, timesheet,
)
from pmo_metrics import contract as c
from pmo_metrics import kpis, views
from pmo_metrics.db import Warehouse
from pmo_metrics.filters import Filters

M = "2025-06"
F = Filters(as_of=M)


# -- a hand-made portfolio -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def con():
    tables = {
        "strategic_objectives": [objective("OBJ-1", "Grow online")],
        "projects": [
            project("P1", portfolio="Digital", program="Online", business_unit="Retail", strategic_objective_id="OBJ-1",
                    start_date="2025-01-01", baseline_finish_date="2025-12-31", budget_at_completion=1000.0,
                    priority_score=80.0, project_manager="Ann", project_name="Web shop"),
            project("P2", portfolio="Digital", business_unit="Finance", start_date="2025-02-01",
                    baseline_finish_date="2026-06-30", budget_at_completion=2000.0, priority_score=40.0,
                    project_name="Ledger"),
            project("P3", portfolio="Back office", program="Payroll", stage="closed", start_date="2024-01-01",
                    baseline_finish_date="2024-12-31", actual_finish_date="2024-12-20", budget_at_completion=500.0),
            project("P4", portfolio="Digital", stage="idea", budget_at_completion=9999.0),
        ],
        "status_reports": [
            report("P1", "2025-05-31", "green", 40), report("P1", "2025-06-20", "red", 50, summary="Supplier late"),
            report("P2", "2025-06-15", "amber", 10, summary="Scope creep"), report("P3", "2024-12-15", "green", 100),
        ],
        "financials": [
            cost("P1", "2025-05", 100, 90), cost("P1", "2025-06", 200, 250, cost_category="opex"),
            cost("P1", "2025-07", 300, forecast_cost=350), cost("P2", "2025-06", 400, 380),
            cost("P3", "2024-06", 500, 480, cost_category="opex"), cost("P4", "2025-06", 1000, 1000),
        ],
        "milestones": [
            milestone("P1", "2025-03-01", actual_date="2025-02-28", milestone_id="MA", milestone_name="Design"),
            milestone("P1", "2025-04-01", actual_date="2025-04-10", milestone_id="MB", milestone_name="Build"),
            milestone("P1", "2025-05-15", forecast_date="2025-07-01", milestone_id="MC", milestone_name="Test"),
            milestone("P1", "2025-09-01", milestone_id="MD", milestone_name="Go-live", is_gate=True),
            milestone("P1", "2025-05-01", actual_date="2025-07-05", milestone_id="ME", milestone_name="Train"),
        ],
        "risks": [
            risk("P1", 4, 4, "2025-02-01", risk_id="K1"),
            risk("P1", 3, 2, "2025-01-15", status="closed", closed_date="2025-05-01", risk_id="K2"),
            risk("P1", 5, 5, "2025-07-10", risk_id="K3"),
            risk("P1", 2, 2, "2025-03-01", status="closed", closed_date="2025-07-20", risk_id="K4"),
        ],
        "resources": [resource("R1", department="IT", weekly_capacity_hours=40.0),
                      resource("R2", department="HR", weekly_capacity_hours=20.0, employment_type="contractor")],
        "allocations": [allocation("R1", "P1", "2025-06", 80), allocation("R1", "P1", "2025-05", 60),
                        allocation("R2", "P2", "2025-06", 100)],
        "timesheets": [timesheet("R1", "P1", "2025-06-02", 7.5), timesheet("R1", "P1", "2025-06-03", 8),
                       timesheet("R1", "P1", "2025-05-20", 6), timesheet("R1", "P2", "2025-06-04", 4),
                       timesheet("R2", "P2", "2025-06-05", 5)],
        "benefits": [benefit("B1", "P1", owner="Ann", target_value=1000.0),
                     benefit("B2", "P2", category="non_financial", benefit_type="customer", baseline_value=10.0,
                             target_value=20.0, unit="NPS")],
        "benefit_measurements": [measurement("B1", "2025-05", 100, 80), measurement("B1", "2025-06", 200),
                                 measurement("B2", "2025-06", 12, 11)],
        "maturity_assessments": [
            assessment("A1", "2025-01-10", "Retail", "governance", "g1", 2),
            assessment("A1", "2025-01-10", "Retail", "governance", "g2", 3, 4),
            assessment("A1", "2025-01-10", "Retail", "talent", "t1", 3, 3),
            assessment("A2", "2025-05-10", "Retail", "governance", "g1", 3),
            assessment("A2", "2025-05-10", "Retail", "talent", "t1", 2, 4),
            assessment("A3", "2025-03-01", "Finance", "governance", "g1", 4),
        ],
    }
    connection = make_db(tables)
    yield connection
    connection.close()


def records(frame: pd.DataFrame, key: str) -> dict:
    return frame.set_index(key).to_dict("index")


def test_finance_by_portfolio(con):
    rows = records(views.finance_by(con, F, "portfolio"), "key")
    assert set(rows) == {"Digital", "Back office"}  # P4 is an idea: never selected
    digital = rows["Digital"]
    assert digital["planned_to_date"] == 100 + 200 + 400
    assert digital["actual_to_date"] == 90 + 250 + 380
    assert digital["variance_to_date"] == 720 - 700
    assert digital["planned_ytd"] == 700 and digital["actual_ytd"] == 720
    assert digital["planned_total"] == 700 + 300
    assert digital["forecast_total"] == 720 + 350          # actuals to M, then the forecast for July
    assert digital["budget_at_completion"] == 1000 + 2000
    back = rows["Back office"]
    assert (back["planned_ytd"], back["actual_ytd"], back["forecast_total"]) == (0, 0, 480)


def test_finance_by_cost_category(con):
    rows = records(views.finance_by(con, F, "cost_category"), "key")
    assert rows["capex"]["planned_to_date"] == 500 and rows["capex"]["actual_to_date"] == 470
    assert rows["opex"]["planned_to_date"] == 700 and rows["opex"]["actual_to_date"] == 730
    assert math.isnan(rows["capex"]["budget_at_completion"])  # a budget is not split by category


def test_finance_by_objective_names_the_objective(con):
    labels = set(views.finance_by(con, F, "objective")["label"])
    assert labels == {"Grow online", views.NO_VALUE}


def test_finance_by_month(con):
    frame = views.finance_by_month(con, F, months=3, ahead=1)
    assert frame["period"].tolist() == ["2025-05", "2025-06", "2025-07"]
    assert frame["planned_cost"].tolist() == [100, 600, 300]
    assert frame["planned_cumulative"].tolist() == [100, 700, 1000]
    assert frame["actual_cumulative"].tolist()[:2] == [90, 720]
    assert math.isnan(frame["actual_cumulative"].iloc[2])  # no actuals after M
    assert frame["is_future"].tolist() == [False, False, True]


def test_milestones_as_of_the_month(con):
    rows = records(views.project_milestones(con, "P1", M), "milestone_id")
    assert {k: v["state"] for k, v in rows.items()} == {
        "MA": "achieved on time", "MB": "achieved late", "MC": "overdue", "MD": "upcoming",
        "ME": "overdue"}                                   # achieved in July: not yet as of June
    assert {k: v["slip_days"] for k, v in rows.items()} == {"MA": -1, "MB": 9, "MC": 47, "MD": 0, "ME": 0}
    assert pd.isna(rows["ME"]["actual_date"])


def test_risks_open_at_the_end_of_the_month(con):
    frame = views.project_risks(con, "P1", M)
    assert frame["risk_id"].tolist() == ["K1", "K4", "K2"]    # K3 is raised after M
    assert frame["is_open"].tolist() == [True, True, False]   # K4 closes after M
    assert frame["score"].tolist() == [16, 4, 6]


def test_project_header_and_history(con):
    head = views.project_header(con, "P1", M)
    assert head["objective_name"] == "Grow online" and head["overall_rag"] == "red"
    assert head["summary"] == "Supplier late"
    assert views.project_header(con, "P1", "2025-05")["overall_rag"] == "green"
    assert views.project_header(con, "nope", M) is None
    assert views.project_status_history(con, "P1", "2025-05")["overall_rag"].tolist() == ["green"]


def test_project_team_hours(con):
    team = records(views.project_team(con, "P1", M), "resource_id")
    assert team == {"R1": {**team["R1"], "planned_hours_month": 80, "hours_month": 15.5,
                           "planned_hours_to_date": 140, "hours_to_date": 21.5}}
    monthly = views.project_team_by_month(con, "P1", M, months=2)
    assert monthly.to_dict("list") == {"month": ["2025-05", "2025-06"], "planned_hours": [60, 80],
                                       "hours": [6, 15.5]}


def test_project_benefits_long_format(con):
    frame = views.project_benefits(con, "P1", M)
    assert frame[["period", "planned_value"]].values.tolist() == [["2025-05", 100], ["2025-06", 200]]
    assert len(views.project_benefits(con, "P1", "2025-05")) == 1


def test_drill_down_levels(con):
    table = kpis.project_table(con, F)
    top = records(views.drill_rollup(table, "portfolio"), "key")
    assert list(top) == ["Digital"]                          # Back office has no active project
    assert (top["Digital"]["projects"], top["Digital"]["red"], top["Digital"]["amber"]) == (2, 1, 1)
    assert top["Digital"]["bac"] == 3000
    programs = views.drill_rollup(table, "program", "Digital")
    assert set(programs["key"]) == {"Online", views.NO_VALUE}
    leaf = views.drill_rollup(table, "project", "Digital", views.NO_VALUE)
    assert leaf[["key", "label"]].values.tolist() == [["P2", "Ledger"]]
    assert views.drill_projects(table, "Digital", "Online")["project_id"].tolist() == ["P1"]
    with pytest.raises(views.UnknownDimension):
        views.drill_rollup(table, "business_unit")


def test_value_vs_risk(con):
    rows = records(views.value_vs_risk(con, F), "project_id")
    assert rows["P1"]["risk_exposure"] == 16 + 4 and rows["P1"]["open_risks"] == 2
    assert rows["P2"]["risk_exposure"] == 0 and rows["P2"]["priority_score"] == 40


def test_attention_projects_reds_first_with_their_commentary(con):
    frame = views.attention_projects(con, F)
    assert frame[["project_id", "overall_rag", "summary"]].values.tolist() == [
        ["P1", "red", "Supplier late"], ["P2", "amber", "Scope creep"]]


def test_resources_by_department(con):
    rows = records(views.resources_by(con, F, "department"), "key")
    # June 2025 has 21 weekdays: capacity = weekly hours × 21 / 5
    assert rows["IT"]["capacity_hours"] == pytest.approx(40 * 21 / 5)
    assert rows["IT"]["hours"] == 7.5 + 8 + 4 and rows["IT"]["planned_hours"] == 80
    assert rows["IT"]["utilization"] == pytest.approx(19.5 / 168)
    assert rows["HR"]["overallocated"] == 1 and rows["HR"]["allocation_rate"] == pytest.approx(100 / 84)
    hr_only = views.resources_by(con, Filters(as_of=M, departments=("HR",)), "department")
    assert hr_only["key"].tolist() == ["HR"]


def test_overallocated_people(con):
    frame = views.overallocated_people(con, F)
    assert frame["resource_id"].tolist() == ["R2"]
    assert frame["over_by_hours"].iloc[0] == pytest.approx(100 - 84)
    assert frame["projects"].iloc[0] == "Ledger (100 h)"


def test_resources_by_month_stops_booked_hours_at_the_month(con):
    frame = views.resources_by_month(con, F, months=2, ahead=1)
    assert frame["month"].tolist() == ["2025-05", "2025-06", "2025-07"]
    assert frame["hours"].tolist()[:2] == [6, 24.5] and math.isnan(frame["hours"].iloc[2])


def test_benefits_by_type_owner_objective(con):
    by_type = records(views.benefits_by(con, F, "benefit_type"), "key")
    saving = by_type["cost_saving"]
    assert (saving["planned_to_date"], saving["realized_to_date"], saving["target"]) == (200, 80, 1000)
    assert saving["realization_rate"] == pytest.approx(0.4) and saving["at_risk"] == 1
    assert by_type["customer"]["planned_to_date"] == 0 and by_type["customer"]["at_risk"] == 1
    assert set(views.benefits_by(con, F, "owner")["key"]) == {"Ann", views.NO_VALUE}
    assert set(views.benefits_by(con, F, "objective")["key"]) == {"Grow online", views.NO_VALUE}
    register = views.benefits_register(con, F)
    assert register.loc[register["benefit_id"] == "B2", "unit"].item() == "NPS"


def test_spend_and_benefits_by_objective(con):
    rows = records(views.spend_and_benefits_by_objective(con, F), "objective")
    assert rows["Grow online"]["actual_to_date"] == 90 + 250 and rows["Grow online"]["benefits_realized"] == 80


def test_maturity_tables(con):
    wide = views.maturity_heatmap(con, F)
    assert wide.loc["Retail", "governance"] == 3 and wide.loc["Retail", "talent"] == 2
    assert wide.loc["Finance", "governance"] == 4 and math.isnan(wide.loc["Finance", "talent"])
    changes = records(views.maturity_changes(con, F).query("business_unit == 'Retail'"), "domain")
    assert changes["governance"]["change"] == pytest.approx(3 - 2.5)
    assert changes["talent"]["change"] == pytest.approx(-1)
    domain = records(views.maturity_domain_changes(views.maturity_changes(con, F)), "domain")
    assert domain["talent"]["change"] == pytest.approx(-1) and domain["talent"]["business_units"] == 1
    gaps = views.maturity_gaps(con, F)
    assert gaps[["business_unit", "domain", "gap"]].values.tolist() == [["Retail", "talent", 2.0]]


def test_default_project_prefers_one_in_flight(con):
    projects = views.project_list(con, Filters())
    assert projects["project_id"].tolist() == ["P1", "P2", "P3", "P4"]   # the project page lists every stage
    assert views.default_project(projects.iloc[2:]) == "P3"
    assert views.default_project(projects) == "P1"
    assert views.default_project(projects.iloc[:0]) is None


@pytest.mark.parametrize("hostile", ["x' OR 1=1 --", "Digital'; DROP TABLE projects; --", "%", ""])
def test_filter_values_are_bound_never_pasted(con, hostile):
    f = Filters(as_of=M, portfolios=(hostile,))
    assert views.finance_by(con, f, "portfolio").empty
    assert views.project_list(con, f).empty
    assert views.benefits_by(con, f, "owner").empty
    assert con.execute("SELECT count(*) FROM projects").fetchone()[0] == 4


@pytest.mark.parametrize("fn,arg", [(views.finance_by, "project_id; --"), (views.resources_by, "resource_name"),
                                    (views.benefits_by, "1=1"), (views.resource_heatmap, "salary")])
def test_breakdowns_only_from_the_allow_list(con, fn, arg):
    with pytest.raises(views.UnknownDimension):
        fn(con, F, arg)


def test_without_load_tables_the_quality_views_are_empty(con):
    assert views.data_provenance(con) is None
    for frame in (views.rule_pass_rates(con), views.findings(con), views.warnings_by_manager(con),
                  views.quarantined_rows(con), views.loaded_batches(con)):
        assert frame.empty


def test_glossary_lists_every_metric():
    from pmo_metrics.metrics import METRICS

    glossary = views.kpi_glossary()
    assert glossary["id"].tolist() == list(METRICS)
    assert glossary["definition"].str.len().min() > 20


# -- the small demo: every table adds up to its card -----------------------------------------------

@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from pmo_metrics.demo import generate_demo
    from pmo_metrics.warehouse import load_batch

    tmp = tmp_path_factory.mktemp("views_demo")
    generate_demo(tmp / "demo", scale="small", seed=42, end_month="2026-10")
    result = load_batch(tmp / "demo", tmp / "pmo.duckdb")
    assert result.ok, result.message
    wh = Warehouse(tmp / "pmo.duckdb")
    cur = wh.cursor()
    yield cur, tmp / "pmo.duckdb"
    cur.close()


def test_demo_tables_add_up_to_the_cards(demo):
    cur, _ = demo
    f = Filters(as_of=kpis.default_as_of(cur))
    k = kpis.compute_kpis(cur, f)

    portfolios = views.finance_by(cur, f, "portfolio")
    assert portfolios["planned_ytd"].sum() == pytest.approx(k["budget_ytd"])
    assert portfolios["actual_ytd"].sum() == pytest.approx(k["actual_cost_ytd"])

    rollup = views.drill_rollup(kpis.project_table(cur, f), "portfolio")
    assert rollup["projects"].sum() == k["active_projects"]
    assert rollup["red"].sum() / k["active_projects"] == pytest.approx(k["rag_red_share"])
    attention = views.attention_projects(cur, f)
    assert len(attention) == round((k["rag_red_share"] + k["rag_amber_share"]) * k["active_projects"])

    departments = views.resources_by(cur, f, "department")
    assert departments["hours"].sum() / departments["capacity_hours"].sum() == pytest.approx(k["utilization"])
    assert len(views.overallocated_people(cur, f)) == k["overallocated_resources"]
    assert departments["overallocated"].sum() == k["overallocated_resources"]

    types = views.benefits_by(cur, f, "benefit_type")
    assert types["planned_to_date"].sum() == pytest.approx(k["benefits_planned_to_date"])
    assert types["realized_to_date"].sum() == pytest.approx(k["benefits_realized_to_date"])
    assert types["at_risk"].sum() == k["benefits_at_risk"]
    cumulative = views.benefits_cumulative(cur, f)
    assert cumulative["realized"].iloc[-1] == pytest.approx(k["benefits_realized_to_date"])

    stale = views.stale_reports(cur, f)
    assert len(stale) == round(k["stale_status_share"] * k["active_projects"])

    wide = views.maturity_heatmap(cur, f)
    assert wide.mean(axis=1).mean() == pytest.approx(k["maturity_score"])


def test_demo_data_quality_views(demo):
    cur, path = demo
    rates = views.rule_pass_rates(cur)
    assert set(rates["table"]) == set(c.TABLE_NAMES)
    assert rates["pass_rate"].between(0, 1).all()
    found = views.findings(cur)
    assert (found["severity"] == "warning").all() and len(found) > 0  # the demo's deliberate warnings
    failing = rates[rates["rows_failed"] > 0]
    assert set(failing["rule_id"]) <= set(found["rule_id"])
    by_manager = views.warnings_by_manager(cur)
    assert by_manager["warnings"].sum() == found["project_id"].notna().sum()
    assert views.quarantined_rows(cur).empty

    provenance = views.data_provenance(cur)
    assert provenance["is_demo"] and len(provenance["files"]) == len(c.TABLE_NAMES)
    assert provenance["rows"]["projects"] > 0
    assert len(views.loaded_batches(cur)) == 1
    attempts = views.load_attempts(path)
    assert attempts["status"].tolist() == ["loaded"]
    assert views.data_months(cur)["last"] == kpis.default_as_of(cur)


def test_demo_project_detail(demo):
    cur, _ = demo
    as_of = kpis.default_as_of(cur)
    pid = views.default_project(views.project_list(cur, Filters()))
    head = views.project_header(cur, pid, as_of)
    assert head["stage"] in views.ACTIVE_STAGES
    history = views.project_status_history(cur, pid, as_of)
    assert (history["report_date"] <= pd.Timestamp(dt.date.fromisoformat(f"{as_of}-01"))
            + pd.offsets.MonthEnd(0)).all()
    assert not views.project_milestones(cur, pid, as_of).empty
    assert not views.project_team(cur, pid, as_of).empty


# -- a database with tables and no rows -------------------------------------------------------------

def test_every_view_on_an_empty_database():
    con = make_db({})
    f = Filters()
    frames = [
        views.project_list(con, f), views.finance_by_month(con, f), views.finance_by(con, f, "portfolio"),
        views.largest_variances(con, f), views.resources_by_month(con, f), views.resources_by(con, f, "role"),
        views.resource_heatmap(con, f), views.overallocated_people(con, f), views.benefits_cumulative(con, f),
        views.benefits_by(con, f, "owner"), views.benefits_register(con, f), views.spend_and_benefits_by_objective(con, f),
        views.maturity_heatmap(con, f), views.maturity_changes(con, f), views.maturity_gaps(con, f),
        views.value_vs_risk(con, f), views.attention_projects(con, f), views.project_team(con, "P1", None),
        views.project_milestones(con, "P1", None), views.project_risks(con, "P1", None),
    ]
    assert all(frame.empty for frame in frames)
    assert views.is_empty(con)
    assert views.project_header(con, "P1", None) is None
    assert views.data_months(con) == {"first": None, "last": None, "first_report": None, "last_report": None}
