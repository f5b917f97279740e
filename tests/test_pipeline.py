"""The pipeline read from the warehouse (CONTRACT §7): which projects are candidates, their scores
worked out by hand (percent_rank ties, one candidate, BAC 0, no objective, project_scores replacing a
built-in criterion, a configured criterion with neither), the weights setting, free capacity and needs
over the planning window, and age in stage from the snapshots."""
from __future__ import annotations

import pandas as pd
import pytest
from pytest import approx

from builders import allocation, benefit, make_db, objective, project, report, resource, risk
from pmo_metrics import pipeline
from pmo_metrics.filters import Filters
from pmo_metrics.pipeline import PipelineError

DEFAULT = "strategic_alignment=3 priority=2 benefit_ratio=3 risk=2"   # CONTRACT §7's default weights


def board_tables() -> dict[str, list[dict]]:
    """Three candidates (one per candidate stage) and two projects that are not candidates.

    strategic_alignment: the largest weight of all objectives is 8 (O3, which no candidate has), so
    C1 (O1, 4) 50, C2 (O2, 2) 25, C3 (none) 0.  priority: C1 70, C2 0 (empty), C3 40.
    benefit_ratio: C1 3000 / 1000 = 3, C2 (4000 − 1000) / 2000 = 1.5, C3 0 (BAC 0, although it has a
    benefit); percent ranks 1, 0.5, 0 → 100, 50, 0.  risk: open exposure C1 12 (the closed 25 does not
    count), C2 4 + 3 = 7, C3 0; percent ranks 1, 0.5, 0 → 0, 50, 100.
    """
    return {
        "strategic_objectives": [objective("O1", weight=4.0), objective("O2", weight=2.0), objective("O3", weight=8.0)],
        "projects": [
            project("C1", stage="idea", strategic_objective_id="O1", priority_score=70.0, budget_at_completion=1000.0),
            project("C2", stage="initiation", strategic_objective_id="O2", budget_at_completion=2000.0),
            project("C3", stage="planning", portfolio="Other", priority_score=40.0, budget_at_completion=0.0),
            project("X1", stage="execution", strategic_objective_id="O3", priority_score=100.0),
            project("X2", stage="closed", actual_finish_date="2024-12-01"),
        ],
        "benefits": [benefit("B1", "C1", target_value=3000.0),
                     benefit("B2", "C1", category="non_financial", benefit_type="customer", target_value=9e9),
                     benefit("B3", "C2", baseline_value=1000.0, target_value=4000.0),
                     benefit("B4", "C3", target_value=500.0), benefit("B5", "X1", target_value=1e6)],
        "risks": [risk("C1", 3, 4, "2025-01-01"), risk("C1", 5, 5, "2025-01-01", status="closed", closed_date="2025-02-01"),
                  risk("C2", 2, 2, "2025-01-01"), risk("C2", 1, 3, "2025-01-01"), risk("X1", 5, 5, "2025-01-01")],
        "status_reports": [report("X1", "2025-06-15")],
    }


@pytest.fixture
def board():
    con = make_db(board_tables())
    con.execute("DROP TABLE IF EXISTS main.project_scores")   # a warehouse from before the table existed
    yield con
    con.close()


def add_project_scores(con, rows) -> None:
    con.execute("DROP TABLE IF EXISTS main.project_scores")
    con.execute("CREATE TABLE main.project_scores (project_id VARCHAR, criterion VARCHAR, score DOUBLE, "
                "scored_date DATE, comment VARCHAR)")
    con.executemany("INSERT INTO main.project_scores VALUES (?, ?, ?, NULL, NULL)", rows)


def by_id(frame: pd.DataFrame, column: str = "score") -> dict:
    return dict(zip(frame["project_id"], frame[column]))


def parts(frame: pd.DataFrame) -> dict:
    return {(r.project_id, r.criterion): r.part for r in frame.itertuples()}


def test_candidates_are_the_idea_initiation_and_planning_projects_scored_as_the_contract_says(board):
    scores = pipeline.scores(board, Filters(), DEFAULT)
    # C1 (3 × 50 + 2 × 70 + 3 × 100 + 2 × 0) / 10 = 59; C2 (3 × 25 + 0 + 3 × 50 + 2 × 50) / 10 = 32.5;
    # C3 (0 + 2 × 40 + 0 + 2 × 100) / 10 = 28
    assert by_id(scores) == approx({"C1": 59.0, "C2": 32.5, "C3": 28.0})
    assert scores["project_id"].tolist() == ["C1", "C2", "C3"]            # best first
    assert by_id(scores, "expected_benefits") == approx({"C1": 3000.0, "C2": 3000.0, "C3": 500.0})
    assert by_id(scores, "risk_exposure") == approx({"C1": 12.0, "C2": 7.0, "C3": 0.0})
    assert by_id(scores, "benefit_ratio") == approx({"C1": 3.0, "C2": 1.5, "C3": 0.0})

    crit = pipeline.criteria(board, Filters(), DEFAULT)
    assert parts(crit)[("C1", "strategic_alignment")] == approx(15.0)      # 3 × 50 / 10
    assert parts(crit)[("C1", "priority")] == approx(14.0)
    assert parts(crit)[("C1", "benefit_ratio")] == approx(30.0)
    assert parts(crit)[("C1", "risk")] == approx(0.0)
    assert crit.groupby("project_id")["part"].sum().to_dict() == approx(by_id(scores))   # the parts add up
    c3 = crit[crit["project_id"] == "C3"].set_index("criterion")
    assert c3.loc["strategic_alignment", "score"] == 0 and c3.loc["benefit_ratio", "built_in_value"] == 0
    assert set(crit["source"]) == {"built-in"}


def test_ties_take_the_lowest_rank_and_one_candidate_ranks_0():
    con = make_db({"projects": [project("T1", stage="idea", budget_at_completion=100.0),
                                project("T2", stage="idea", budget_at_completion=200.0),
                                project("T3", stage="idea", budget_at_completion=100.0)],
                   "benefits": [benefit("B1", "T1", target_value=200.0), benefit("B2", "T2", target_value=400.0),
                                benefit("B3", "T3", target_value=100.0)],
                   "risks": [risk(p, 1, 5, "2025-01-01") for p in ("T1", "T2", "T3")]})
    crit = pipeline.criteria(con, Filters(), "benefit_ratio=1 risk=1")
    # ratios 2, 2, 1: T3 ranks 1 (0), T1 and T2 share rank 2: (2 − 1) / (3 − 1) = 0.5 → 50 each
    assert {k: v for k, v in parts(crit).items() if k[1] == "benefit_ratio"} == approx(
        {("T1", "benefit_ratio"): 25.0, ("T2", "benefit_ratio"): 25.0, ("T3", "benefit_ratio"): 0.0})
    # every exposure is 5: all rank 1, percent rank 0, risk score 100
    assert set(crit[crit["criterion"] == "risk"]["score"]) == {100.0}

    one = make_db({"projects": [project("S", stage="planning", budget_at_completion=10.0)],
                   "benefits": [benefit("B1", "S", target_value=50.0)], "risks": [risk("S", 3, 3, "2025-01-01")]})
    crit = pipeline.criteria(one, Filters(), "benefit_ratio=1 risk=1").set_index("criterion")
    assert crit.loc["benefit_ratio", "score"] == 0.0 and crit.loc["risk", "score"] == 100.0     # n = 1
    assert pipeline.scores(one, Filters(), "benefit_ratio=1 risk=1")["score"].tolist() == [50.0]


def test_filters_choose_the_candidates_and_the_ranks_are_among_them(board):
    scores = pipeline.scores(board, Filters(portfolios=("Core",)), DEFAULT)
    # C1 and C2 only: benefit ratio ranks C2 0, C1 100; risk C2 (7) 100, C1 (12) 0
    # C1 (150 + 140 + 300 + 0) / 10 = 59; C2 (75 + 0 + 0 + 200) / 10 = 27.5
    assert by_id(scores) == approx({"C1": 59.0, "C2": 27.5})
    assert pipeline.scores(board, Filters(portfolios=("Nowhere",)), DEFAULT).empty


def test_project_scores_replace_a_built_in_criterion_and_the_ranks_stay_over_the_built_in_values(board):
    assert not pipeline.has_scores(board)
    add_project_scores(board, [("C1", "priority", 90.0), ("C2", "benefit_ratio", 10.0), ("C3", "innovation", 80.0),
                               ("X1", "priority", 5.0), ("C1", "not_configured", 100.0)])
    assert pipeline.has_scores(board)
    scores = pipeline.scores(board, Filters(), DEFAULT)
    # C1: priority 90 instead of 70 → (150 + 180 + 300 + 0) / 10 = 63; C2: benefit ratio 10 instead of 50 →
    # (75 + 0 + 30 + 100) / 10 = 20.5; C3 unchanged (its innovation score is not configured): 28.
    # C1's benefit ratio still ranks first among the built-in values: C2's given 10 does not move it.
    assert by_id(scores) == approx({"C1": 63.0, "C2": 20.5, "C3": 28.0})
    crit = pipeline.criteria(board, Filters(), DEFAULT).set_index(["project_id", "criterion"])
    assert crit.loc[("C1", "priority"), "source"] == "project_scores"
    assert crit.loc[("C1", "priority"), "built_in_score"] == 70.0 and crit.loc[("C1", "priority"), "score"] == 90.0
    assert crit.loc[("C1", "benefit_ratio"), "score"] == 100.0


def test_a_configured_criterion_with_neither_scores_0(board):
    add_project_scores(board, [("C1", "priority", 90.0), ("C3", "innovation", 80.0)])
    crit = pipeline.criteria(board, Filters(), "priority=1 innovation=1")
    # C1 (90 + 0) / 2 = 45; C2 (0 + 0) / 2 = 0; C3 (40 + 80) / 2 = 60
    assert by_id(pipeline.scores(board, Filters(), "priority=1 innovation=1")) == approx(
        {"C1": 45.0, "C2": 0.0, "C3": 60.0})
    innovation = crit[crit["criterion"] == "innovation"].set_index("project_id")
    assert innovation["source"].to_dict() == {"C1": "none", "C2": "none", "C3": "project_scores"}
    assert innovation.loc["C1", "score"] == 0.0


@pytest.mark.parametrize("text, message", [
    ("priority", "'priority' is not criterion=weight"),
    ("priority=high", r"the weight of priority \('high'\) is not a number"),
    ("priority=-1", "the weight of priority must be a number ≥ 0"),
    ("priority=1 priority=2", "priority is given twice"),
    ("", "no criterion is configured"),
    ("priority=0 risk=0", "every weight is 0"),
])
def test_malformed_weights_are_refused_in_one_line(text, message):
    with pytest.raises(PipelineError, match=message):
        pipeline.parse_weights(text)


def test_a_criterion_that_is_not_built_in_needs_project_scores_to_name_it(board):
    with pytest.raises(PipelineError, match="innovation is not a built-in criterion .* no project_scores table"):
        pipeline.scores(board, Filters(), "priority=1 innovation=1")
    add_project_scores(board, [("C1", "priority", 90.0)])
    with pytest.raises(PipelineError, match="innovation is not a built-in criterion .* names no such criterion"):
        pipeline.check_weights(board, "priority=1 innovation=1")
    assert pipeline.parse_weights("a=1, b=2.5;c=0") == {"a": 1.0, "b": 2.5, "c": 0.0}


# -- capacity and needs ----------------------------------------------------------------------------------

def capacity_tables() -> dict[str, list[dict]]:
    """Window 2025-07 to 2025-08 (the default starts after the latest report, June 2025).

    R1 (IT, 40 h a week, employed throughout): July 2025 has 23 weekdays, August 21 → 40 × 44 / 5 = 352 h.
    R2 (HR, 20 h a week, leaves on Tuesday 2025-07-15): 11 weekdays of July → 20 × 11 / 5 = 44 h.
    Committed: R1 on E (in execution) 100 h in July; the 500 h in September are outside the window.
    Candidates: C needs IT 50 (R1, August) and HR 10 (R2, July); D's June hours are outside the window.
    """
    return {
        "projects": [project("E"), project("C", stage="idea"), project("D", stage="planning")],
        "status_reports": [report("E", "2025-06-20")],
        "resources": [resource("R1", department="IT", weekly_capacity_hours=40.0),
                      resource("R2", department="HR", weekly_capacity_hours=20.0, end_date="2025-07-15")],
        "allocations": [allocation("R1", "E", "2025-07", 100.0), allocation("R1", "E", "2025-09", 500.0),
                        allocation("R1", "C", "2025-08", 50.0), allocation("R2", "C", "2025-07", 10.0),
                        allocation("R2", "D", "2025-06", 5.0)],
    }


def test_free_capacity_is_capacity_less_the_hours_of_projects_that_are_not_candidates():
    con = make_db(capacity_tables())
    assert pipeline.default_window(con) == ("2025-07", "2026-06")
    window = ("2025-07", "2025-08")
    cap = pipeline.capacity(con, Filters(), window).set_index("department")
    assert cap.loc["IT", "capacity_hours"] == approx(352.0) and cap.loc["HR", "capacity_hours"] == approx(44.0)
    assert cap.loc["IT", "committed_hours"] == 100.0 and cap.loc["HR", "committed_hours"] == 0.0
    assert cap["free_hours"].to_dict() == approx({"HR": 44.0, "IT": 252.0})
    assert cap["candidate_hours"].to_dict() == approx({"HR": 10.0, "IT": 50.0})
    needs = pipeline.needs(con, Filters(), window)
    assert sorted(map(tuple, needs[["project_id", "department", "hours"]].values.tolist())) == [
        ("C", "HR", 10.0), ("C", "IT", 50.0)]
    assert pipeline.default_limits(pipeline.capacity(con, Filters(), window)) == approx({"HR": 44.0, "IT": 252.0})
    # C filtered out is not a candidate: its 50 h then count as committed
    cap = pipeline.capacity(con, Filters(portfolios=("Nowhere",)), window).set_index("department")
    assert cap.loc["IT", "committed_hours"] == 150.0 and cap.loc["IT", "candidate_hours"] == 0.0


@pytest.mark.parametrize("window, message", [
    (("2025-08", "2025-07"), "ends .* before it starts"),
    (("2025-13", "2026-01"), "two months YYYY-MM"),
    (("2020-01", "2031-01"), "longer than 120 months"),
])
def test_a_window_that_cannot_be_used_is_refused(window, message):
    with pytest.raises(PipelineError, match=message):
        pipeline.window_months(window)


# -- age in stage ---------------------------------------------------------------------------------------

def test_age_in_stage_comes_from_the_snapshots_when_there_is_history(board):
    assert pipeline.stage_ages(board, Filters()) is None                       # no meta.project_snapshots
    board.execute("CREATE SCHEMA IF NOT EXISTS meta")
    board.execute("CREATE TABLE meta.project_snapshots (snapshot_month VARCHAR, load_id VARCHAR, project_id VARCHAR, "
                  "stage VARCHAR, budget_at_completion DOUBLE, baseline_finish_date DATE, "
                  "forecast_finish_date DATE, actual_finish_date DATE)")
    rows = [("2025-01", "C1", "idea"), ("2025-01", "C2", "idea"), ("2025-01", "C3", "planning")]
    board.executemany("INSERT INTO meta.project_snapshots (snapshot_month, project_id, stage) VALUES (?, ?, ?)", rows)
    assert pipeline.stage_ages(board, Filters()) is None                       # one snapshot month: no history
    rows = [("2025-03", "C1", "idea"), ("2025-03", "C2", "initiation"), ("2025-03", "C3", "execution"),
            ("2025-05", "C1", "idea"), ("2025-05", "C2", "initiation"), ("2025-05", "C3", "planning")]
    board.executemany("INSERT INTO meta.project_snapshots (snapshot_month, project_id, stage) VALUES (?, ?, ?)", rows)
    ages = pipeline.stage_ages(board, Filters()).set_index("project_id")
    # C1 an idea since the first snapshot: at least 4 months; C2 initiation since 2025-03: 2 months;
    # C3 back in planning in 2025-05 after execution in 2025-03: 0 months
    assert ages["stage_since"].to_dict() == {"C1": "2025-01", "C2": "2025-03", "C3": "2025-05"}
    assert ages["months_in_stage"].to_dict() == {"C1": 4, "C2": 2, "C3": 0}
    assert ages["since_start"].to_dict() == {"C1": True, "C2": False, "C3": False}
    table = pipeline.pipeline_table(board, Filters(), DEFAULT, None).set_index("project_id")
    assert table.loc["C1", "age_in_stage"].startswith("at least 4 months")
    assert table.loc["C2", "age_in_stage"] == "2 months (since 2025-03)"


def test_the_pipeline_table_without_history_says_so():
    con = make_db(capacity_tables())
    table = pipeline.pipeline_table(con, Filters(), DEFAULT, ("2025-07", "2025-08")).set_index("project_id")
    assert set(table["age_in_stage"]) == {pipeline.NO_HISTORY}
    assert table.loc["C", "hours_needed"] == 60.0 and table.loc["C", "needs"] == "IT 50 h · HR 10 h"
    assert table.loc["D", "hours_needed"] == 0.0 and table.loc["D", "needs"] == ""
    assert {"part_strategic_alignment", "part_priority", "part_benefit_ratio", "part_risk"} <= set(table.columns)
    assert pipeline.totals(table.reset_index()) == {"candidates": 2, "bac": 2000.0, "expected_benefits": 0.0,
                                                    "hours_needed": 60.0}
