"""The monthly review's Governance section: present when the data has gates or change requests, with
the gates due and missed in M, the decisions waiting and the escalations decided in M (hand-worked);
absent when the data has none."""
from __future__ import annotations

import pytest

from builders import make_db, milestone, project, report
from pmo_metrics.filters import Filters
from pmo_metrics.review import build_review, section_figure

M = "2024-03"


def change(change_id, project_id, raised_date, decided_date=None, decision=None, decided_at=None, cost_impact=None):
    return dict(change_id=change_id, project_id=project_id, category="scope", title=f"Change {change_id}",
                raised_date=raised_date, decided_date=decided_date, decision=decision, decided_at=decided_at,
                cost_impact=cost_impact)


@pytest.fixture(scope="module")
def review():
    con = make_db({
        "projects": [project("A", portfolio="Core", project_manager="Ann", project_name="Alpha"),
                     project("B", portfolio="Edge", project_name="Beta")],
        "status_reports": [report("A", "2024-03-20"), report("B", "2024-03-20")],
        "milestones": [
            milestone("A", "2024-03-05", "2024-03-04", milestone_id="g1", is_gate=True, milestone_name="Gate 1"),
            milestone("A", "2024-03-20", None, milestone_id="g2", is_gate=True, milestone_name="Gate 2"),  # missed
            milestone("B", "2024-03-10", "2024-03-15", milestone_id="g3", is_gate=True, milestone_name="Gate 3"),
            milestone("B", "2024-04-10", None, milestone_id="g4", is_gate=True, milestone_name="Gate 4"),  # next month
            milestone("B", "2024-03-10", None, milestone_id="m1", milestone_name="Not a gate"),
        ],
        "change_requests": [
            change("c1", "A", "2024-01-02"),                                                    # waiting 89 days
            change("c2", "B", "2024-03-28", "2024-04-02", "approved", "executive", 10.0),       # waiting at end(M)
            change("c3", "B", "2024-02-01", "2024-03-12", "approved", "executive", 900.0),      # escalated in M
            change("c4", "A", "2024-02-01", "2024-03-12", "rejected", "project"),               # not escalated
            change("c5", "A", "2024-01-01", "2024-02-12", "approved", "portfolio", 5.0),        # escalated in M − 1
        ],
    })
    return build_review(con, Filters(as_of=M))


def section(review, key):
    return next(s for s in review.sections if s.key == key)


def test_the_governance_section_says_what_is_due_waiting_and_escalated(review):
    s = section(review, "governance")
    assert review.keys.index("governance") == len(review.keys) - 2          # just before data quality
    assert s.message == "3 gates due in March 2024, 1 missed; 2 change decisions waiting; 1 escalated decision this month"
    gates, waiting, escalated = s.tables
    assert gates.frame[["Project", "Gate", "State"]].values.tolist() == [
        ["Alpha", "Gate 1", "Passed on time"], ["Beta", "Gate 3", "Passed late"], ["Alpha", "Gate 2", "Missed"]]
    assert waiting.frame["Change"].tolist() == ["Change c1", "Change c2"]   # oldest first
    assert waiting.frame["Waiting"].tolist()[0] == "89 days"
    assert escalated.frame[["Change", "Decided at", "Decision"]].values.tolist() == [["Change c3", "Executive", "Approved"]]
    # gates due by end(M): g1 on time, g2 overdue, g3 late → 1/3 on time, 1 overdue
    assert "Gates passed on time: 33.3 %; gates overdue: 1" in s.points[0]
    assert section_figure(s) is not None and s.chart.kind == "gate_status"
    assert s.chart.series["Overdue"] == [1.0, 0.0] and s.chart.categories == ["Core", "Edge"]


def test_without_gates_or_change_requests_there_is_no_governance_section():
    con = make_db({"projects": [project("A")], "status_reports": [report("A", "2024-03-20")],
                   "milestones": [milestone("A", "2024-03-05")]})
    assert "governance" not in build_review(con, Filters(as_of=M)).keys


def test_change_requests_alone_give_the_section_with_a_decision_time_trend():
    con = make_db({"projects": [project("A")], "status_reports": [report("A", "2024-03-20")],
                   "change_requests": [change("c1", "A", "2024-03-01", "2024-03-11", "approved", "project", 1.0)]})
    s = section(build_review(con, Filters(as_of=M)), "governance")
    assert s.message == "0 gates due in March 2024, 0 missed; 0 change decisions waiting; 0 escalated decisions this month"
    assert s.tables[0].is_empty and s.chart.kind == "kpi_trend"
    assert "The loaded data has no gate milestones." in s.notes
