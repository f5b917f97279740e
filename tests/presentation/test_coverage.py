"""No data is not zero (CONTRACT §3): what the loaded data holds, the reason a figure the data
cannot support gives instead of a number, and the months a KPI may be asked for — in the library and
at the command line."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from builders import make_db, project, report
from pmo_metrics import coverage, metrics
from pmo_metrics.review import summary

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def projects_only():
    """Projects and status reports, no percent complete: like a public major-projects export."""
    return make_db({"projects": [project("P1", start_date="2025-01-01", budget_at_completion=100.0)],
                    "status_reports": [report("P1", "2025-06-20", "amber", None)]})


def test_the_loaded_data_says_which_inputs_it_has(tiny_db, projects_only):
    held = coverage.held(tiny_db)
    assert set(held) == set(coverage.INPUTS) and all(held.values())
    sparse = coverage.held(projects_only)
    assert sparse["projects"] == 1 and sparse["status_reports"] == 1
    assert sparse["progress"] == 0 and sparse["resources"] == 0 and sparse["actual_costs"] == 0


def test_a_kpi_without_its_inputs_says_why_and_one_with_them_says_nothing(tiny_db, projects_only):
    sparse = coverage.held(projects_only)
    assert coverage.reason(sparse, "overallocated_resources") == \
        "The loaded data has no resources (HR data) or resource allocations."
    assert coverage.reason(sparse, "benefits_planned_to_date") == \
        "The loaded data has no benefits or benefit measurements."
    assert coverage.reason(sparse, "cpi") == \
        "The loaded data has no percent complete in the status reports or actual costs."
    assert coverage.reason(sparse, "active_projects") is None
    full = coverage.held(tiny_db)
    assert all(coverage.reason(full, m) is None for m in metrics.METRICS)
    assert coverage.reason({}, "cpi") is None   # a database built by hand: nothing is said to be missing


def test_every_input_named_is_known_and_every_metric_named_exists():
    assert set(coverage.NEEDS) <= set(metrics.METRICS)
    assert {i for needs in coverage.NEEDS.values() for i in needs} <= set(coverage.INPUTS)


def test_a_month_outside_the_data_is_refused_with_the_months_it_covers(tiny_db):
    covered = coverage.months(tiny_db)
    assert coverage.check_month(tiny_db, covered[-1]) == covered[-1]
    with pytest.raises(coverage.MonthNotCovered, match=rf"no data for 2030-01: the database covers "
                                                        rf"{covered[0]} to {covered[-1]}"):
        coverage.check_month(tiny_db, "2030-01")
    assert coverage.describe_months(["2025-01"]) == "2025-01 to 2025-01 (1 month)"
    assert coverage.describe_months([]) == "no month"


def test_the_command_line_lists_the_months_and_refuses_another_in_one_line(demo_warehouse):
    def cli(*args):
        return subprocess.run([sys.executable, "-m", "pmo_metrics", *args, "--db", str(demo_warehouse.db)],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)

    listed = cli("months")
    assert listed.returncode == 0
    months = listed.stdout.split()
    assert months == sorted(months) and months[-1] == demo_warehouse.as_of
    refused = cli("kpis", "--as-of", "2099-01")
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.strip().splitlines() == [
        f"error: no data for 2099-01: the database covers {months[0]} to {months[-1]} ({len(months)} months); "
        "`python -m pmo_metrics months` lists them"]
    assert "pmo_metrics months" in cli("kpis", "--help").stdout


def test_what_changed_counts_only_what_is_loaded():
    moves = pd.DataFrame({"from": ["green", "amber", "red"], "to": ["red", "green", "amber"]})
    moved = {"rag_moves": moves, "missed_milestones": pd.DataFrame({"m": [1, 2]}),
             "new_high_risks": pd.DataFrame(), "benefits_fell_behind": pd.DataFrame({"b": [1]})}
    everything = {name: 1 for name in coverage.INPUTS}
    changes = summary.changes_since(moved, everything)
    assert (changes.worsened, changes.improved, changes.turned_red) == (1, 2, 1)
    assert summary.what_changed(changes, "May 2025") == (
        "Since May 2025: 1 project worsened and 2 improved; 1 project turned red; 2 milestones were missed; "
        "no new high risk; 1 benefit fell behind plan.")
    no_plans = {**everything, "milestones": 0, "risks": 0, "benefits": 0}
    assert summary.what_changed(summary.changes_since({"rag_moves": moves.iloc[:0]}, no_plans), "May 2025") == \
        "Since May 2025: no project changed its RAG."
