"""What-if scenarios from a warehouse (CONTRACT §7): the optimum beating both rankings end to end,
capacity binding at the free capacity, forced projects, an infeasible forced set, the frontier; the
`select` command; scenarios saved, reloaded and compared in the app-state store (SQLite and
PostgreSQL), their Excel export, and what a scoped viewer may see of them."""
from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import openpyxl
import pytest

from builders import allocation, make_db, project, report, resource
from pmo_metrics import saved_scenarios, scenarios
from pmo_metrics.appstate import AppState, AppStateError
from pmo_metrics.filters import Filters
from pmo_metrics.selection import Scenario, SelectionError
from pmo_metrics.cli import main as select_main   # the product's command line, as users run it
from test_appstate import store_url  # noqa: F401 — the store on SQLite and on PostgreSQL

ROOT = Path(__file__).resolve().parents[1]
PRIORITY = "priority=1"   # scores are then the priority scores, so the board below is exact
WINDOW = ("2025-07", "2025-07")


def board_tables() -> dict[str, list[dict]]:
    """The board of tests/test_selection.py as projects: A scores 60 for 6, B 50 for 5, C 45 for 5, D 12
    for 1 (priority scores and BAC). E is in flight and books 100 h of IT's 184 in July 2025 (23 weekdays
    × 40 h / 5), leaving 84 h free; B and C would each need 80 h of IT, so at the free capacity only one
    of them fits."""
    return {
        "projects": [project("A", stage="idea", priority_score=60.0, budget_at_completion=6.0),
                     project("B", stage="initiation", priority_score=50.0, budget_at_completion=5.0),
                     project("C", stage="planning", priority_score=45.0, budget_at_completion=5.0),
                     project("D", stage="idea", priority_score=12.0, budget_at_completion=1.0,
                             business_unit="Logistics"),
                     project("E", stage="execution")],
        "status_reports": [report("E", "2025-06-20")],
        "resources": [resource("R1", department="IT"), resource("R2", department="HR")],
        "allocations": [allocation("R1", "E", "2025-07", 100.0), allocation("R1", "B", "2025-07", 80.0),
                        allocation("R1", "C", "2025-07", 80.0)],
    }


@pytest.fixture
def board():
    con = make_db(board_tables())
    yield con
    con.close()


@pytest.fixture
def board_file(tmp_path) -> Path:
    path = tmp_path / "pmo.duckdb"
    make_db(board_tables(), con=duckdb.connect(str(path))).close()
    return path


def test_the_optimum_from_the_warehouse_beats_both_rankings(board):
    outcome = scenarios.solve(board, Filters(), PRIORITY, WINDOW, 10.0)
    assert outcome.optimal.funded == ("B", "C") and outcome.optimal.total_score == 95.0
    assert outcome.by_score.funded == ("A", "D") and outcome.by_score.total_score == 72.0
    assert outcome.by_value.funded == ("B", "D") and outcome.by_value.total_score == 62.0
    adds = scenarios.what_the_optimum_adds(outcome)
    assert adds["by_score"] == "The optimum scores 23.0 more than ranking by score: it funds B, C instead of A, D, " \
                               "for 3 more."
    table = scenarios.comparison(scenarios.solve(board, Filters(), PRIORITY, WINDOW, 10.0)).set_index("method")
    assert table["score_gap"].to_dict() == {"optimal": 0.0, "by_score": 23.0, "by_value": 33.0}
    assert table["behind"].to_dict() == {"optimal": False, "by_score": True, "by_value": True}


def test_capacity_binds_at_the_free_capacity(board):
    plan = scenarios.plan(board, Filters(), PRIORITY, WINDOW)
    assert plan.default_limits == {"IT": 84.0}                # HR is not needed: no default limit there
    outcome = scenarios.run(plan, Scenario(10.0, plan.default_limits))
    assert outcome.optimal.funded == ("A", "D") and outcome.optimal.hours == {"IT": 0.0}
    use = scenarios.capacity_use(plan, outcome).set_index("department")
    assert use.loc["IT"].to_dict() == {"limit": 84.0, "optimal": 0.0, "by_score": 0.0, "by_value": 80.0}


def test_forced_in_and_out(board):
    outcome = scenarios.solve(board, Filters(), PRIORITY, WINDOW, 10.0, force_in=("A",))
    assert outcome.optimal.funded == ("A", "D")
    outcome = scenarios.solve(board, Filters(), PRIORITY, WINDOW, 10.0, force_out=("C",))
    assert outcome.optimal.funded == ("A", "D")
    table = scenarios.funded_table(scenarios.plan(board, Filters(), PRIORITY, WINDOW), outcome).set_index("project_id")
    assert table.loc["C", "forced"] == "out" and not table.loc["C", "optimal"]


@pytest.mark.parametrize("kwargs, message", [
    ({"force_in": ("A", "B")}, r"the projects forced in \(A, B\) cost 11 together, more than the budget of 10"),
    ({"force_in": ("B", "C"), "limits": (("IT", 84.0),)}, "need 160 hours of IT in the planning window; IT has 84"),
    ({"limits": (("IT", -5.0),)}, "IT has -5 hours free .* over-committed"),
    ({"limits": (("Legal", 5.0),)}, "Legal is not a department with resources"),
    ({"force_in": ("E",)}, "E is forced in but is not a candidate"),
])
def test_an_infeasible_scenario_names_the_constraint(board, kwargs, message):
    with pytest.raises(SelectionError, match=message):
        scenarios.solve(board, Filters(), PRIORITY, WINDOW, 10.0, **kwargs)


def test_the_frontier_and_the_limits_table(board):
    plan = scenarios.plan(board, Filters(), PRIORITY, WINDOW)
    seen = []
    front = scenarios.frontier(plan, Scenario(0.0), points=5, progress=lambda k, n: seen.append(k))
    assert front["budget"].tolist() == [0.0, 4.25, 8.5, 12.75, 17.0] and seen == [1, 2, 3, 4, 5]
    # D (12) for 1; A + D (72) for 7; A + B + D (122) for 12; everything (167) for 17
    assert front["total_score"].tolist() == [0.0, 12.0, 72.0, 122.0, 167.0]
    table = scenarios.limits_table(plan).set_index("department")
    assert table.loc["IT", ["limited", "limit_hours"]].tolist() == [True, 84.0]
    assert not table.loc["HR", "limited"]
    edited = table.reset_index().assign(limit_hours=[None, 84.0], limited=[True, True])
    with pytest.raises(SelectionError, match="the capacity limit of HR is empty"):
        scenarios.limits_from_table(edited)
    assert scenarios.limits_from_table(edited.assign(limited=[False, True])) == {"IT": 84.0}
    assert scenarios.default_budget(plan) == 8.5


def test_a_selection_not_proven_optimal_is_said_to_be(board):
    plan = scenarios.plan(board, Filters(), PRIORITY, WINDOW)
    outcome = scenarios.run(plan, Scenario(10.0))
    assert scenarios.not_proven(outcome) is None
    unproven = scenarios.Outcome(outcome.scenario, outcome.optimal.__class__(
        ("A",), 60.0, 6.0, {}, "best found", optimal=False, gap=0.25), outcome.by_score, outcome.by_value, 20.0, 20.0)
    assert scenarios.not_proven(unproven) == ("Not proven optimal in 20 s: this is the best selection found in that "
                                              "time (the best possible set may score up to 25.0 % more).")


# -- the command line ------------------------------------------------------------------------------------

def select(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = select_main(["select", *argv])
    except SystemExit as exc:   # a usage mistake, refused by the parser
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def test_select_prints_the_scores_and_the_optimal_funded_set(board_file, capsys, monkeypatch):
    monkeypatch.setenv("PMO_SELECTION_WEIGHTS", PRIORITY)
    code, out, err = select(capsys, "--db", str(board_file), "--budget", "10", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["funded"] == ["B", "C"] and doc["total_score"] == 95.0 and doc["optimal"] is True
    assert doc["by_score"]["funded"] == ["A", "D"] and doc["window"] == ["2025-07", "2026-06"]
    assert {c["project_id"]: c["parts"] for c in doc["candidates"]}["A"] == {"priority": 60.0}

    code, out, err = select(capsys, "--db", str(board_file), "--budget", "10", "--free-capacity",
                            "--window", "2025-07:2025-07")
    assert code == 0 and "Optimal selection: 2 projects, total score 72.0" in out
    assert "IT: 0 h of 84 h" in out and "Ranking by score would fund 2 projects" in out
    code, out, _ = select(capsys, "--db", str(board_file), "--budget", "10", "--capacity", "IT=free",
                          "--window", "2025-07:2025-07", "--force-in", "B", "--format", "json", "--quiet")
    assert code == 0 and json.loads(out)["funded"] == ["B", "D"] and json.loads(out)["limits"] == {"IT": 84.0}
    code, out, _ = select(capsys, "--db", str(board_file), "--budget", "10", "--capacity", "IT=1000",
                          "--force-out", "A", "D", "--format", "json", "--weights", "priority=2")
    assert json.loads(out)["funded"] == ["B", "C"] and json.loads(out)["weights"] == {"priority": 2.0}


def test_select_with_no_candidate_says_so_and_succeeds(board_file, capsys):
    code, out, err = select(capsys, "--db", str(board_file), "--budget", "10", "--portfolio", "Nowhere",
                            "--format", "json")
    assert code == 0 and json.loads(out)["funded"] == [] and "no candidate projects" in err


@pytest.mark.parametrize("argv, message", [
    (["--budget", "lots"], "argument --budget: 'lots' is not a number"),
    (["--budget", "-5"], "must be a number ≥ 0"),
    (["--budget", "10", "--capacity", "IT"], "--capacity 'IT' is not DEPT=HOURS or DEPT=free"),
    (["--budget", "10", "--capacity", "Legal=5"], "--capacity: Legal is not a department with resources"),
    (["--budget", "10", "--capacity", "IT=many"], "'many' is not a number of hours or 'free'"),
    (["--budget", "1", "--force-in", "A"], r"the projects forced in \(A\) cost 6 together, more than the budget of 1"),
    (["--budget", "10", "--force-in", "Z"], "Z is forced in but is not a candidate"),
    (["--budget", "10", "--window", "2025-09:2025-07"], "ends .* before it starts"),
    (["--budget", "10", "--weights", "innovation=1"], "innovation is not a built-in criterion"),
    (["--budget", "10", "--db", "/nonexistent/pmo.duckdb"], "no database at /nonexistent/pmo.duckdb"),
])
def test_select_refuses_bad_input_in_one_line_with_exit_code_2(board_file, capsys, argv, message):
    if "--db" not in argv:
        argv = ["--db", str(board_file), *argv]
    code, _, err = select(capsys, *argv)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: ")
    assert re.search(message, err), err


def test_select_runs_as_a_module(board_file):
    done = subprocess.run([sys.executable, "-m", "pmo_metrics.selection_cli", "select", "--db", str(board_file),
                           "--budget", "10", "--weights", PRIORITY, "--format", "json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["funded"] == ["B", "C"]


# -- saved scenarios -------------------------------------------------------------------------------------

def test_a_scenario_is_saved_reloaded_and_compared(board, store_url):  # noqa: F811
    plan = scenarios.plan(board, Filters(), PRIORITY, WINDOW)
    tight = saved_scenarios.record("Tight", plan, scenarios.run(plan, Scenario(10.0, plan.default_limits)), Filters(),
                             author="alice", data_version="load-1", description="IT at its free capacity")
    loose = saved_scenarios.record("Loose", plan, scenarios.run(plan, Scenario(11.0)), Filters(), author="bob",
                             data_version="load-1")
    store = AppState.open(store_url)
    try:
        saved_scenarios.save(store, tight)
        saved_scenarios.save(store, loose)
        with pytest.raises(AppStateError, match="exists already"):
            saved_scenarios.save(store, tight)
        saved = {r.name: r for r in saved_scenarios.records(store)}
    finally:
        store.close()
    assert saved["Tight"].funded == ["A", "D"] and saved["Tight"].author == "alice"
    assert saved["Tight"].definition["limits"] == {"IT": 84.0} and saved["Tight"].definition["window"] == list(WINDOW)
    assert saved_scenarios.scenario_of(saved["Tight"]) == Scenario(10.0, {"IT": 84.0}, (), ())
    assert saved["Loose"].funded == ["A", "B"]                 # 110 for 11 beats B + C + D (107)
    summary = saved_scenarios.summary(list(saved.values())).set_index("name")
    assert summary.loc["Loose", "total_score"] == 110.0 and summary.loc["Tight", "projects"] == 2

    cmp = saved_scenarios.compare(saved["Tight"], saved["Loose"])
    assert cmp.changes == ["Budget 10 → 11", "Capacity limits IT 84 h → none", "Funded in B only: B",
                           "Funded in A only: D"]
    assert cmp.projects.set_index("project_id")["change"].to_dict() == {
        "B": "added", "D": "dropped", "A": "funded in both", "C": "in neither"}
    rows = saved_scenarios.comparison_rows(cmp).set_index("figure")
    assert rows.loc["Total score"].tolist() == ["72.0", "110.0", "▲ 38.0"]
    assert rows.loc["Projects funded"].tolist() == ["2", "2", "±0"]
    assert rows.loc["Budget"].tolist() == ["10", "11", "▲ 1"]

    book = openpyxl.load_workbook(io.BytesIO(saved_scenarios.comparison_workbook(cmp)))
    assert book.sheetnames == ["scenario", "funded", "comparison"]
    assert [c.value for c in book["scenario"][1]] == ["item", "A", "B"]
    assert [r[0].value for r in book["comparison"].iter_rows(min_row=2)][-1] == "What changed"
    one = openpyxl.load_workbook(io.BytesIO(saved_scenarios.workbook(saved["Tight"])))
    assert one.sheetnames == ["scenario", "funded", "comparison"]
    items = {r[0].value: r[1].value for r in one["scenario"].iter_rows(min_row=2)}
    assert items["Capacity limits"] == "IT 84 h" and items["Author"] == "alice" and items["Total score"] == "72.0"


def test_scoped_viewers_see_only_the_scenarios_of_their_projects(board, tmp_path):
    plan = scenarios.plan(board, Filters(), PRIORITY, WINDOW)
    retail = scenarios.plan(board, Filters(business_units=("Retail",)), PRIORITY, WINDOW)
    store = AppState.open(f"sqlite:///{tmp_path / 'state.sqlite'}")
    try:
        saved_scenarios.save(store, saved_scenarios.record("Everyone", plan, scenarios.run(plan, Scenario(10.0)), Filters()))
        saved_scenarios.save(store, saved_scenarios.record("Retail only", retail, scenarios.run(retail, Scenario(10.0)),
                                               Filters(business_units=("Retail",))))
        assert [r.name for r in saved_scenarios.records(store)] == ["Everyone", "Retail only"]
        assert [r.name for r in saved_scenarios.records(store, ["A", "B", "C", "E"])] == ["Retail only"]   # D is Logistics
    finally:
        store.close()


def test_a_changed_setting_and_other_data_are_named_in_the_comparison(board):
    plan = scenarios.plan(board, Filters(), PRIORITY, WINDOW)
    other = scenarios.plan(board, Filters(), "priority=2", ("2025-07", "2025-08"))
    a = saved_scenarios.record("a", plan, scenarios.run(plan, Scenario(10.0, force_in=("A",))), Filters(), data_version="1")
    b = saved_scenarios.record("b", other, scenarios.run(other, Scenario(10.0, force_out=("A",))),
                         Filters(portfolios=("Core",)), data_version="2")
    changes = saved_scenarios.compare(a, b).changes
    assert "Forced in: A → none" in changes and "Forced out: none → A" in changes
    assert "Planning window 2025-07 to 2025-07 → 2025-07 to 2025-08" in changes
    assert "Weights priority=1 → priority=2" in changes
    assert any(c.startswith("Filters differ") for c in changes) and any(c.startswith("Run on different") for c in changes)


def test_what_the_solver_writes_to_standard_output_goes_to_standard_error(capfd):
    from pmo_metrics.selection_cli import _solver_chatter_to_stderr

    with _solver_chatter_to_stderr():
        __import__("os").write(1, b"solver diagnostics\n")
    print("the JSON")
    out, err = capfd.readouterr()
    assert out == "the JSON\n" and err == "solver diagnostics\n"


def test_a_scenario_is_signed_with_the_signed_in_account_else_pmo_user_else_anonymous():
    from pmo_metrics.access import author

    scoping = {"scoping": {"default_user": "dora"}}
    assert author("erin@example.org", scoping, {"PMO_USER": "carol"}) == "erin@example.org"
    assert author(None, scoping, {"PMO_USER": "carol"}) == "carol"
    assert author(None, scoping, {}) == "dora"
    assert author("  ", {}, {"PMO_USER": ""}) == "anonymous"


def test_a_frontier_says_how_many_budgets_were_not_proven_optimal():
    import pandas as pd

    front = pd.DataFrame({"budget": [0.0, 1.0, 2.0, 3.0], "total_score": [None, 10.0, 20.0, 25.0],
                          "optimal": [None, True, False, False]})
    assert scenarios.frontier_note(front, 2.0) == ("2 budgets of 4 could not be proven optimal within 2 s each: "
                                                   "their points (hollow) are the best selections found, so the "
                                                   "optimum there is at least as high.")
    assert scenarios.frontier_note(front.assign(optimal=[None, True, True, True]), 2.0) is None
    assert scenarios.frontier_time_limit(20) == 2.0 and scenarios.frontier_time_limit(5) == 1.0
    assert scenarios.frontier_time_limit(0) is None
