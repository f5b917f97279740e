"""The project page's and the portfolio page's tables (pmo_metrics.views.projects) on the tiny seeded
warehouse (conftest.tiny_tables, M = 2025-06), with the arithmetic in the comments; then one
project of the demo."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from builders import records
from pmo_metrics import kpis
from pmo_metrics.db import Warehouse
from pmo_metrics.filters import Filters
from pmo_metrics.formatting import NO_GROUP
from pmo_metrics.views import UnknownDimension, projects

M = "2025-06"
F = Filters(as_of=M)


def test_milestones_as_of_the_month(tiny_db):
    rows = records(projects.milestones(tiny_db, "P1", M), "milestone_id")
    assert {k: v["state"] for k, v in rows.items()} == {
        "MA": "achieved on time", "MB": "achieved late", "MC": "overdue", "MD": "upcoming",
        "ME": "overdue"}                                   # achieved in July: not yet as of June
    assert {k: v["slip_days"] for k, v in rows.items()} == {"MA": -1, "MB": 9, "MC": 47, "MD": 0, "ME": 0}
    assert pd.isna(rows["ME"]["actual_date"])


# -- milestone trend analysis ----------------------------------------------------------------------

def milestone_history():
    """Three monthly milestone snapshots of P1 (and one of P2's, never shown for P1), as loads leave them:
    Design (a gate) slips, then is achieved in February; Build slips twice; Test is added in February;
    Kick-off was achieved before the first snapshot."""
    from builders import make_db, project
    from pmo_metrics.warehouse import META_DDL

    con = make_db({"projects": [project("P1"), project("P2")]})
    con.execute("CREATE SCHEMA meta")
    for ddl in META_DDL:
        con.execute(ddl)
    rows = [  # month, id, project, name, gate, baseline, forecast, actual
        ("2025-01", "MA", "P1", "Design", True, "2025-02-15", "2025-02-15", None),
        ("2025-01", "MB", "P1", "Build", False, "2025-05-01", None, None),
        ("2025-01", "MC", "P1", "Kick-off", False, "2024-12-01", None, "2024-12-03"),
        ("2025-01", "MX", "P2", "Other", False, "2025-03-01", "2025-04-01", None),
        ("2025-02", "MA", "P1", "Design", True, "2025-02-15", "2025-02-25", "2025-02-20"),
        ("2025-02", "MB", "P1", "Build", False, "2025-05-01", "2025-05-20", None),
        ("2025-02", "MC", "P1", "Kick-off", False, "2024-12-01", None, "2024-12-03"),
        ("2025-02", "MD", "P1", "Test", False, "2025-06-01", "2025-06-01", None),
        ("2025-03", "MA", "P1", "Design", True, "2025-02-15", None, "2025-02-20"),
        ("2025-03", "MB", "P1", "Build", False, "2025-05-01", "2025-06-10", None),
        ("2025-03", "MC", "P1", "Kick-off", False, "2024-12-01", None, "2024-12-03"),
        ("2025-03", "MD", "P1", "Test", False, "2025-06-01", "2025-06-15", None),
    ]
    con.executemany("INSERT INTO meta.milestone_snapshots VALUES (?, 'L', ?, ?, ?, ?, ?, ?, ?)", rows)
    return con


def test_milestone_trend_is_each_snapshots_expected_date_until_achieved():
    con = milestone_history()
    trend = projects.milestone_trend(con, "P1", "2025-03")
    got = [(r.snapshot_month, r.milestone_id, r.expected_date.date().isoformat(), bool(r.is_done))
           for r in trend.itertuples()]
    assert got == [
        ("2025-01", "MA", "2025-02-15", False), ("2025-02", "MA", "2025-02-20", True),   # achieved: the line ends
        ("2025-01", "MB", "2025-05-01", False),                                          # no forecast: the baseline
        ("2025-02", "MB", "2025-05-20", False), ("2025-03", "MB", "2025-06-10", False),
        ("2025-02", "MD", "2025-06-01", False), ("2025-03", "MD", "2025-06-15", False),
    ]                                                         # Kick-off (achieved before) and P2's are not there
    assert trend.loc[trend["milestone_id"] == "MA", "is_gate"].all()
    assert list(trend.columns) == projects.MILESTONE_TREND_COLUMNS
    # as of February, March's snapshot is not known yet
    feb = projects.milestone_trend(con, "P1", "2025-02")
    assert list(zip(feb["snapshot_month"], feb["milestone_id"])) == [
        ("2025-01", "MA"), ("2025-02", "MA"), ("2025-01", "MB"), ("2025-02", "MB"), ("2025-02", "MD")]
    assert projects.milestone_snapshot_months(con, "2025-03") == ["2025-01", "2025-02", "2025-03"]
    assert projects.milestone_snapshot_months(con, "2025-02") == ["2025-01", "2025-02"]


def test_without_milestone_snapshots_there_is_no_trend(tiny_db):
    assert projects.milestone_snapshot_months(tiny_db, M) is None
    assert projects.milestone_trend(tiny_db, "P1", M).empty


def test_risks_open_at_the_end_of_the_month(tiny_db):
    frame = projects.risks(tiny_db, "P1", M)
    assert frame["risk_id"].tolist() == ["K1", "K4", "K2"]    # K3 is raised after M
    assert frame["is_open"].tolist() == [True, True, False]   # K4 closes after M
    assert frame["score"].tolist() == [16, 4, 6]


def test_project_header_and_history(tiny_db):
    head = projects.header(tiny_db, "P1", M)
    assert head["objective_name"] == "Grow online" and head["overall_rag"] == "red"
    assert head["summary"] == "Supplier late"
    assert not any(k.startswith("_") for k in head)            # no lineage columns on the page
    assert projects.header(tiny_db, "P1", "2025-05")["overall_rag"] == "green"
    assert projects.header(tiny_db, "nope", M) is None
    assert projects.status_history(tiny_db, "P1", "2025-05")["overall_rag"].tolist() == ["green"]


def test_project_team_hours(tiny_db):
    team = records(projects.team(tiny_db, "P1", M), "resource_id")
    assert team == {"R1": {**team["R1"], "planned_hours_month": 80, "hours_month": 15.5,
                           "planned_hours_to_date": 140, "hours_to_date": 21.5}}
    monthly = projects.team_by_month(tiny_db, "P1", M, months=2)
    assert monthly.to_dict("list") == {"month": ["2025-05", "2025-06"], "planned_hours": [60, 80],
                                       "hours": [6, 15.5]}


def test_project_benefits_long_format(tiny_db):
    frame = projects.benefits(tiny_db, "P1", M)
    assert frame[["period", "planned_value"]].values.tolist() == [["2025-05", 100], ["2025-06", 200]]
    assert len(projects.benefits(tiny_db, "P1", "2025-05")) == 1


def test_drill_down_levels(tiny_db):
    top = records(projects.drill_rollup(tiny_db, F, "portfolio"), "key")
    assert list(top) == ["Digital"]                          # Back office has no active project
    assert (top["Digital"]["projects"], top["Digital"]["red"], top["Digital"]["amber"]) == (2, 1, 1)
    assert top["Digital"]["bac"] == 3000
    # EV = 1000 × 50 % + 2000 × 10 % = 700; PV = 100 + 200 + 400 = 700: SPI 1.0, as the card says
    assert top["Digital"]["ev"] == 700 and top["Digital"]["spi"] == pytest.approx(1.0)
    programs = projects.drill_rollup(tiny_db, F, "program", "Digital")
    assert set(programs["key"]) == {"Online", NO_GROUP}
    leaf = projects.drill_rollup(tiny_db, F, "project", "Digital", NO_GROUP)
    assert leaf[["key", "label"]].values.tolist() == [["P2", "Ledger"]]
    assert leaf["cpi"].iloc[0] == pytest.approx(200 / 380)   # P2: EV 200, AC 380
    table = kpis.project_table(tiny_db, F)
    assert projects.drill_projects(table, "Digital", "Online")["project_id"].tolist() == ["P1"]
    with pytest.raises(UnknownDimension):
        projects.drill_rollup(tiny_db, F, "business_unit")


def test_value_vs_risk(tiny_db):
    rows = records(projects.value_vs_risk(tiny_db, F), "project_id")
    assert rows["P1"]["risk_exposure"] == 16 + 4 and rows["P1"]["open_risks"] == 2
    assert rows["P2"]["risk_exposure"] == 0 and rows["P2"]["priority_score"] == 40


def test_attention_projects_reds_first_with_their_commentary(tiny_db):
    frame = projects.attention(tiny_db, F)
    assert frame[["project_id", "overall_rag", "rag_trend", "summary"]].values.tolist() == [
        ["P1", "red", "worsened", "Supplier late"], ["P2", "amber", "new", "Scope creep"]]


def test_default_project_prefers_one_in_flight(tiny_db):
    listed = projects.project_list(tiny_db, Filters())
    assert listed["project_id"].tolist() == ["P1", "P2", "P3", "P4"]   # the project page lists every stage
    assert projects.default_project(listed.iloc[2:]) == "P3"
    assert projects.default_project(listed) == "P1"
    assert projects.default_project(listed.iloc[:0]) is None


def test_demo_project_detail(demo_warehouse):
    cur = Warehouse(demo_warehouse.db).cursor()
    as_of = demo_warehouse.as_of
    pid = projects.default_project(projects.project_list(cur, Filters()))
    head = projects.header(cur, pid, as_of)
    assert head["stage"] in projects.ACTIVE_STAGES
    history = projects.status_history(cur, pid, as_of)
    assert (history["report_date"] <= pd.Timestamp(dt.date.fromisoformat(f"{as_of}-01"))
            + pd.offsets.MonthEnd(0)).all()
    assert not projects.milestones(cur, pid, as_of).empty
    assert not projects.team(cur, pid, as_of).empty
