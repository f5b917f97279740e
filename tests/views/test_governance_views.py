"""The governance and PMO-value page tables: hand-worked on a few rows, and adding up to their cards
for every month of the seeded demo."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from builders import cost, make_db, milestone, project
from pmo_metrics import kpis
from pmo_metrics.db import Warehouse
from pmo_metrics.filters import Filters, month_add
from pmo_metrics.views import governance, pmo_value

M = Filters(as_of="2024-03")
approx = pytest.approx


def gate(project_id, baseline_date, actual_date=None, milestone_id=None, name="Gate"):
    return milestone(project_id, baseline_date, actual_date, milestone_id=milestone_id, is_gate=True,
                     milestone_name=name)


def review(review_id, project_id, review_date, decision, milestone_id=None):
    return dict(gate_review_id=review_id, project_id=project_id, milestone_id=milestone_id, review_date=review_date,
                decision=decision)


def change(change_id, project_id, raised_date, decided_date=None, decision=None, decided_at=None, cost_impact=None,
           schedule_impact_days=None):
    return dict(change_id=change_id, project_id=project_id, category="budget", title=change_id, raised_date=raised_date,
                decided_date=decided_date, decision=decision, decided_at=decided_at, cost_impact=cost_impact,
                schedule_impact_days=schedule_impact_days)


@pytest.fixture(scope="module")
def board():
    return make_db({
        "projects": [project("A", portfolio="Core", project_manager="Ann", budget_at_completion=10_000.0),
                     project("B", portfolio="Edge", project_manager="Bo", budget_at_completion=1_000.0)],
        "milestones": [
            gate("A", "2024-01-15", "2024-01-10", "g1", "Gate 1"),   # passed, approved on 2024-01-10
            gate("A", "2024-02-15", "2024-02-20", "g2", "Gate 2"),   # passed; approved only after M
            gate("B", "2024-03-01", None, "g3", "Gate 3"),           # overdue, deferred: past its date
            gate("B", "2024-02-01", "2024-02-01", "g4", "Gate 4"),   # passed; a review naming no gate clears none
            gate("B", "2024-06-01", None, "g5", "Gate 5"),           # not due
        ],
        "gate_reviews": [
            review("r1", "A", "2024-01-10", "approved", "g1"),
            review("r2", "A", "2024-04-03", "approved_with_conditions", "g2"),
            review("r3", "B", "2024-03-05", "deferred", "g3"),
            review("r4", "B", "2024-02-01", "approved"),
        ],
        "change_requests": [
            change("c1", "A", "2024-03-25"),                                                   # open, 6 days
            change("c2", "A", "2024-01-30"),                                                   # open, 61 days
            change("c3", "B", "2023-11-01", "2024-04-01", "approved", "executive", 500.0),     # open at M, 151 days
            change("c4", "A", "2024-02-01", "2024-02-11", "approved", "project", 2_000.0, 5),  # 20 % of A's BAC
            change("c5", "B", "2024-03-01", "2024-03-03", "rejected", "portfolio", -100.0),
            change("c6", "A", "2023-01-01", "2023-02-01", "approved", "project", 300.0),       # decided > 12 months ago
        ],
    })


def test_gates_by_group_add_up(board):
    rows = governance.gates_by_group(board, M).set_index("group_key")
    # Core (A): g1 on time, g2 late; Edge (B): g4 on time, g3 overdue
    assert rows.loc["Core", ["gates_due", "gates_on_time", "gates_late", "gates_overdue"]].tolist() == [2, 1, 1, 0]
    assert rows.loc["Edge", ["gates_due", "gates_on_time", "gates_late", "gates_overdue"]].tolist() == [2, 1, 0, 1]


def test_gates_run_past_without_an_approving_review(board):
    found = governance.unreviewed_gates(board, M)
    # g2: passed 2024-02-20, approved only on 2024-04-03; g3: past its date, deferred; g4: its only approval names no gate
    assert found[["milestone_id", "finding", "project_manager"]].values.tolist() == [
        ["g4", "passed without approval", "Bo"],       # 2024-02-01 → 59 days before end(M)
        ["g2", "passed without approval", "Ann"],      # 2024-02-15 (baseline before passing) → 45 days
        ["g3", "past its date, not approved", "Bo"],   # 2024-03-01 → 30 days
    ]
    assert found["days_past"].tolist() == [59, 45, 30]
    assert str(found.loc[found["milestone_id"] == "g2", "approved_later"].iloc[0])[:10] == "2024-04-03"
    # a month later g2's approval is on record
    assert "g2" not in governance.unreviewed_gates(board, Filters(as_of="2024-04"))["milestone_id"].tolist()


def test_gate_decisions_in_the_window(board):
    got = governance.gate_decisions(board, M)
    assert dict(zip(got["decision"], got["reviews"])) == {"approved": 2, "deferred": 1}   # r2 is after M
    approved = got.loc[got["is_approval"], "reviews"].sum() / got["reviews"].sum()
    assert approved == approx(kpis.compute_kpis(board, M)["gate_approval_rate"])


def test_open_changes_by_age(board):
    got = governance.open_changes_by_age(board, M)
    assert got["age_band"].tolist() == ["0–30 days", "31–60 days", "61–90 days", "more than 90 days"]
    # c1 6 days; c2 61 days (2024-01-30 → 2024-03-31); c3 151 days
    assert got["open_requests"].tolist() == [1, 0, 1, 1]
    assert got["open_requests"].sum() == kpis.compute_kpis(board, M)["open_change_requests"]
    assert got["oldest_days"].tolist()[-1] == 151


def test_decisions_by_level_carry_their_impact(board):
    got = governance.decisions_by_level(board, M).set_index("decided_at")
    # decided 2023-04-01…2024-03-31: c4 at project level (2,000: 20 % of A's 10,000), c5 at portfolio (|−100|)
    assert got.index.tolist() == ["project", "portfolio"]
    assert got.loc["project", ["decisions", "approved", "cost_impact", "schedule_impact_days"]].tolist() == [1, 1, 2000, 5]
    assert got.loc["project", "median_share_of_budget"] == approx(0.2)
    assert got.loc["portfolio", "largest_cost_impact"] == approx(100.0)


def test_changes_by_group_add_up_to_the_card(board):
    got = governance.changes_by_group(board, M).set_index("group_key")
    assert got.loc["Core", "approved_change_cost_ytd"] == 2000 and got.loc["Edge", "approved_change_cost_ytd"] == 0
    assert got.loc["Core", "approved_schedule_days_ytd"] == 5
    assert got["approved_change_cost_ytd"].sum() == kpis.compute_kpis(board, M)["approved_change_cost_ytd"]


def test_an_empty_selection_gives_empty_tables(board):
    nothing = Filters(as_of="2024-03", portfolios=("Nowhere",))
    assert governance.gates_by_group(board, nothing).empty and governance.unreviewed_gates(board, nothing).empty
    assert governance.gate_decisions(board, nothing).empty and governance.decisions_by_level(board, nothing).empty
    assert governance.open_changes_by_age(board, nothing)["open_requests"].sum() == 0
    assert governance.changes_by_group(board, nothing).empty


def test_an_empty_database_gives_empty_tables():
    con = make_db({})
    assert governance.gates_by_group(con, Filters()).empty and governance.unreviewed_gates(con, Filters()).empty
    assert pmo_value.summary(con, Filters()) == [] and pmo_value.cost_by_month(con, Filters()).empty
    assert pmo_value.year_on_year(con, Filters()).empty and pmo_value.delivered(con, Filters()).empty


def test_an_unknown_breakdown_is_refused(board):
    with pytest.raises(ValueError, match="can be broken down by"):
        governance.gates_by_group(board, M, "colour")


# -- the PMO's value ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sponsor_db():
    return make_db({
        "projects": [project("A", start_date="2023-01-01", baseline_finish_date="2024-02-28",
                             actual_finish_date="2024-02-20", stage="closed", budget_at_completion=900.0),
                     project("B", start_date="2023-01-01", baseline_finish_date="2023-01-31",
                             actual_finish_date="2023-03-15", stage="closed", budget_at_completion=100.0),
                     project("C", start_date="2023-06-01", baseline_finish_date="2024-01-31",
                             actual_finish_date="2024-03-10", stage="closed", budget_at_completion=50.0)],
        "financials": [cost("A", "2023-03", 400.0, 400.0), cost("A", "2024-01", 500.0, 600.0)],
        "pmo_costs": [dict(period="2023-02", cost_category="staff", planned_cost=40.0, actual_cost=30.0),
                      dict(period="2024-01", cost_category="staff", planned_cost=50.0, actual_cost=45.0),
                      dict(period="2024-02", cost_category="tools", planned_cost=20.0, actual_cost=15.0)],
    })


def test_projects_delivered_this_year_and_a_year_earlier(sponsor_db):
    got = pmo_value.delivered(sponsor_db, M)
    # 2024-01-01…2024-03-31: A (on time), C (late); 2023-01-01…2023-03-31: B (late)
    assert got.values.tolist() == [["2023-03", 1, 0, 100.0], ["2024-03", 2, 1, 950.0]]


def test_cost_by_category_adds_up_to_the_card(sponsor_db):
    got = pmo_value.cost_by_category(sponsor_db, M).set_index("group_key")
    assert got["pmo_cost_ytd"].to_dict() == {"staff": 45.0, "tools": 15.0}
    card = kpis.compute_kpis(sponsor_db, M)
    assert got["pmo_cost_ytd"].sum() == card["pmo_cost_ytd"] == 60.0
    assert got["pmo_cost_share"].sum() == approx(card["pmo_cost_share"]) == approx(60 / 600)


def test_the_summary_states_facts_with_a_year_earlier(sponsor_db):
    lines = pmo_value.summary(sponsor_db, M, currency="£")
    assert lines[0] == ("The PMO cost £60 from January to March 2024, 10.0 % of the £600 spent on the projects it "
                        "governs (a year earlier: £30).")
    assert lines[1] == "Over the same months the portfolio delivered 2 projects, 1 of them by their baseline date."
    # on time, all finished by end(M): A of A, B, C → 1/3; a year earlier B of B → 0
    assert "Projects delivered on time, all time to date: 33.3 % (a year earlier: 0.0 %)." in lines
    assert not any("avoided" in line for line in lines)


def test_year_on_year_rows_are_the_cards_own(sponsor_db):
    got = pmo_value.year_on_year(sponsor_db, M).set_index("id")
    assert got.index.tolist() == list(pmo_value.YEAR_ON_YEAR)
    assert got.loc["pmo_cost_ytd", "value"] == 60.0 and got.loc["pmo_cost_ytd", "previous"] == 30.0
    assert got.loc["pmo_cost_share", "previous"] == approx(30 / 400)


# -- the demo: every month, the tables add up to the cards ----------------------------------------------

@pytest.fixture(scope="module")
def demo_cur(demo_warehouse):
    con = Warehouse(demo_warehouse.db).cursor()
    yield con
    con.close()


def test_governance_tables_add_up_to_the_cards_on_the_demo(demo_cur):
    problems = []
    months = kpis.available_months(demo_cur)
    for month in months[::3] + [months[-1]]:
        f = Filters(as_of=month)
        card = kpis.compute_kpis(demo_cur, f)
        gates = governance.gates_by_group(demo_cur, f)
        ages = governance.open_changes_by_age(demo_cur, f)
        changes = governance.changes_by_group(demo_cur, f)
        categories = pmo_value.cost_by_category(demo_cur, f)
        for what, table, shown in (
                ("gates_overdue", gates["gates_overdue"].sum() if not gates.empty else None, card["gates_overdue"]),
                ("open_change_requests", ages["open_requests"].sum(), card["open_change_requests"] or 0),
                ("approved_change_cost_ytd", changes["approved_change_cost_ytd"].sum() if not changes.empty else None,
                 card["approved_change_cost_ytd"]),
                ("pmo_cost_ytd", categories["pmo_cost_ytd"].sum(min_count=1), card["pmo_cost_ytd"])):
            same = (table is None or pd.isna(table)) and shown is None or (
                shown is not None and table is not None and math.isclose(float(table), float(shown), abs_tol=1e-6))
            if not same:
                problems.append(f"{month} {what}: table {table!r} vs card {shown!r}")
    assert problems == []
    # the demo has something in every table by its last month
    last = Filters(as_of=months[-1])
    assert not governance.unreviewed_gates(demo_cur, last).empty
    assert len(pmo_value.summary(demo_cur, last)) >= 4
    assert month_add(months[-1], -12) in pmo_value.delivered(demo_cur, last)["month"].tolist()
