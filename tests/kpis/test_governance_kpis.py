"""The governance and PMO-cost KPIs of CONTRACT §3 against rows whose answers are worked out by hand.

M is 2024-03 unless said otherwise: end(M) = 2024-03-31; the gate-review window runs from 2023-04-01
(after end(M − 12) = 2023-03-31) to 2024-03-31; the decision window from 2024-01-01 (the first day of
M − 2) to 2024-03-31, and so does the year to date.
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import cost, make_db, milestone, project
from oracle import compare, naive_kpis, read_tables
from pmo_metrics import contract as c
from pmo_metrics import kpis
from pmo_metrics.filters import Filters

M = Filters(as_of="2024-03")
approx = pytest.approx
GOVERNANCE = ("gate_on_time_rate", "gates_overdue", "gate_approval_rate", "open_change_requests",
              "decision_cycle_days", "escalated_decision_share", "approved_change_cost_ytd")


def gate(project_id, baseline_date, actual_date=None, milestone_id=None):
    return milestone(project_id, baseline_date, actual_date, milestone_id=milestone_id, is_gate=True)


def review(review_id, project_id, review_date, decision, milestone_id=None):
    return dict(gate_review_id=review_id, project_id=project_id, milestone_id=milestone_id, review_date=review_date,
                decision=decision)


def change(change_id, project_id, raised_date, decided_date=None, decision=None, decided_at=None,
           cost_impact=None, schedule_impact_days=None):
    return dict(change_id=change_id, project_id=project_id, category="scope", title=f"Change {change_id}",
                raised_date=raised_date, decided_date=decided_date, decision=decision, decided_at=decided_at,
                cost_impact=cost_impact, schedule_impact_days=schedule_impact_days)


@pytest.fixture(scope="module")
def governance_db():
    return make_db({
        "projects": [project("A", portfolio="Core"), project("B", portfolio="Edge"),
                     project("C", portfolio="Core"),                # no gates, reviews or changes
                     project("I", portfolio="Core", stage="idea")],  # never selected
        "milestones": [
            gate("A", "2024-01-15", "2024-01-10", "g1"),     # on time
            gate("A", "2024-03-31", "2024-04-02", "g2"),     # due on end(M) exactly; passed after M: overdue at M
            gate("A", "2024-04-01", milestone_id="g3"),      # due after M
            milestone("A", "2024-02-01", milestone_id="m1"),  # not a gate
            gate("B", "2024-02-10", "2024-02-20", "g4"),     # late, but passed
            gate("I", "2024-01-01", milestone_id="g5"),      # an idea's gate
        ],
        "gate_reviews": [
            review("r1", "A", "2023-03-31", "deferred"),                  # on end(M − 12): outside
            review("r2", "A", "2023-04-01", "approved", "g1"),            # first day inside
            review("r3", "A", "2024-03-31", "approved_with_conditions"),  # last day inside
            review("r4", "B", "2024-02-01", "rejected"),
            review("r5", "B", "2024-04-01", "approved"),                  # after end(M)
            review("r6", "I", "2024-03-01", "approved"),                  # an idea's
        ],
        "change_requests": [
            change("c1", "A", "2023-11-01", "2024-01-01", "approved", "project", 100.0),     # 61 days, first day
            change("c2", "A", "2023-12-01", "2023-12-31", "approved", "program", 1000.0),    # last year
            change("c3", "A", "2024-03-01", "2024-03-31", "withdrawn"),                      # 30 days, no level
            change("c4", "A", "2024-03-15", "2024-04-02", "approved", "executive", 5000.0),  # decided after M
            change("c5", "B", "2024-02-01", "2024-02-15", "approved", "portfolio", None, 12),  # 14 days, no cost
            change("c6", "B", "2024-01-10", "2024-03-10", "rejected", "executive", 300.0),   # 60 days
            change("c7", "B", "2024-03-20"),                                                 # open
            change("c8", "B", "2024-04-05"),                                                 # raised after M
            change("c9", "I", "2024-01-01"),                                                 # an idea's
        ],
    })


def test_gate_kpis(governance_db):
    got = kpis.compute_kpis(governance_db, M)
    # due by end(M): g1, g2, g4; on time: g1 → 1/3; overdue: g2 (passed 2024-04-02, after end(M))
    assert got["gate_on_time_rate"] == approx(1 / 3)
    assert got["gates_overdue"] == 1
    # reviews 2023-04-01…2024-03-31: r2, r3, r4; approved (with conditions or not): r2, r3 → 2/3
    assert got["gate_approval_rate"] == approx(2 / 3)


def test_every_gate_due_passed_is_zero_overdue_and_none_due_is_empty(governance_db):
    feb = kpis.compute_kpis(governance_db, Filters(as_of="2024-02"))
    # due by 2024-02-29: g1 (on time), g4 (late, passed 2024-02-20) → 1/2, none overdue
    assert feb["gate_on_time_rate"] == approx(0.5) and feb["gates_overdue"] == 0
    before = kpis.compute_kpis(governance_db, Filters(as_of="2023-12"))
    # the projects have gates, none due yet: no rate, and a count of none is 0
    assert before["gate_on_time_rate"] is None and before["gates_overdue"] == 0


def test_change_kpis(governance_db):
    got = kpis.compute_kpis(governance_db, M)
    # open at end(M): c4 (decided after M), c7 (undecided); c8 was raised after M
    assert got["open_change_requests"] == 2
    # decided 2024-01-01…2024-03-31: c1 61, c3 30 (withdrawn is decided), c5 14, c6 60 → 165 / 4
    assert got["decision_cycle_days"] == approx(41.25)
    # of those four, decided at portfolio or executive level: c5, c6; c3 without a level counts below
    assert got["escalated_decision_share"] == approx(0.5)
    # approved 2024-01-01…2024-03-31: c1 100 and c5 without a cost (adds 0); c2 was last year, c4 after M
    assert got["approved_change_cost_ytd"] == approx(100.0)


def test_change_kpis_a_month_earlier(governance_db):
    got = kpis.compute_kpis(governance_db, Filters(as_of="2024-02"))
    # open at 2024-02-29: c6 (raised 2024-01-10, decided 2024-03-10)
    assert got["open_change_requests"] == 1
    # decided 2023-12-01…2024-02-29: c2 30, c1 61, c5 14 → 105 / 3; escalated: c5 → 1/3
    assert got["decision_cycle_days"] == approx(35.0)
    assert got["escalated_decision_share"] == approx(1 / 3)
    # approved in 2024 up to 2024-02-29: c1 100, c5 0
    assert got["approved_change_cost_ytd"] == approx(100.0)


def test_breakdowns_by_portfolio_and_project(governance_db):
    def by(metric, dim):
        frame = kpis.kpi_breakdown(governance_db, metric, M, dim)
        return dict(zip(frame["group"], [None if v != v else v for v in frame["value"]]))

    # Core holds A (g1 on time, g2 overdue) and C (no gates); Edge holds B (g4 late)
    assert by("gate_on_time_rate", "portfolio") == {"Core": approx(0.5), "Edge": approx(0.0)}
    assert by("gates_overdue", "portfolio") == {"Core": 1, "Edge": 0}
    assert by("open_change_requests", "portfolio") == {"Core": 1, "Edge": 1}
    # C has no gate milestones, reviews or change requests: every governance KPI is empty, not 0
    per_project = {m: by(m, "project") for m in GOVERNANCE}
    assert all(per_project[m]["C"] is None for m in GOVERNANCE), per_project
    assert per_project["approved_change_cost_ytd"] == {"A": approx(100.0), "B": approx(0.0), "C": None}


def test_the_filters_select_the_projects(governance_db):
    got = kpis.compute_kpis(governance_db, Filters(as_of="2024-03", portfolios=("Edge",)))
    # B alone: g4 late; r4 rejected; open c7; decided c5 14, c6 60; both escalated; approved c5 without cost
    assert (got["gate_on_time_rate"], got["gates_overdue"], got["gate_approval_rate"]) == (0.0, 0, 0.0)
    assert got["open_change_requests"] == 1 and got["decision_cycle_days"] == approx(37.0)
    assert got["escalated_decision_share"] == approx(1.0) and got["approved_change_cost_ytd"] == 0.0


def test_no_governance_data_at_all_is_empty_not_zero():
    con = make_db({"projects": [project("A")], "milestones": [milestone("A", "2024-01-01")]})
    got = kpis.compute_kpis(con, M)
    assert {m: got[m] for m in GOVERNANCE} == {m: None for m in GOVERNANCE}


def test_a_filter_selecting_nothing_is_empty(governance_db):
    got = kpis.compute_kpis(governance_db, Filters(as_of="2024-03", portfolios=("Nowhere",)))
    assert {m: got[m] for m in GOVERNANCE} == {m: None for m in GOVERNANCE}


def test_the_series_moves_month_by_month(governance_db):
    series = kpis.kpi_series(governance_db, "open_change_requests", M, start="2023-10", end="2024-04")
    # Oct: none raised; Nov: c1; Dec: c1 (c2 raised and decided in Dec); Jan: c6 (c1 decided 01-01);
    # Feb: c6 (c5 raised and decided); Mar: c4, c7; Apr: c7, c8 (c4 decided 04-02)
    assert series["value"].tolist() == [0, 1, 1, 1, 1, 2, 2]


# -- the PMO's own cost ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def pmo_db():
    return make_db({
        "projects": [project("A", portfolio="Core"), project("B", portfolio="Edge"),
                     project("I", portfolio="Core", stage="idea")],
        "financials": [cost("A", "2023-12", 700.0, 700.0), cost("A", "2024-02", 900.0, 1000.0),
                       cost("B", "2024-03", 50.0), cost("I", "2024-02", 5000.0, 5000.0)],
        "pmo_costs": [
            dict(period="2023-12", cost_category="staff", planned_cost=500.0, actual_cost=500.0),
            dict(period="2024-01", cost_category="staff", planned_cost=100.0, actual_cost=110.0),
            dict(period="2024-01", cost_category="tools", planned_cost=50.0),
            dict(period="2024-03", cost_category="training", planned_cost=40.0, actual_cost=40.0),
            dict(period="2024-04", cost_category="staff", planned_cost=999.0, actual_cost=999.0),
        ],
    })


def test_pmo_cost_ytd_and_share(pmo_db):
    got = kpis.compute_kpis(pmo_db, M)
    # 2024-01…2024-03: staff 110 + training 40 (tools has no actual yet) = 150; 2024-04 is after M
    assert got["pmo_cost_ytd"] == approx(150.0)
    # over the actual cost this year of every selectable project: A's 1000 (the idea's 5000 never counts)
    assert got["pmo_cost_share"] == approx(0.15)


def test_pmo_figures_ignore_the_project_filters(pmo_db):
    got = kpis.compute_kpis(pmo_db, Filters(as_of="2024-03", portfolios=("Edge",)))
    assert (got["pmo_cost_ytd"], got["pmo_cost_share"]) == (approx(150.0), approx(0.15))


def test_pmo_cost_by_category(pmo_db):
    frame = kpis.kpi_breakdown(pmo_db, "pmo_cost_ytd", M, "cost_category")
    values = dict(zip(frame["group"], [None if v != v else v for v in frame["value"]]))
    # tools has planned cost only: no actual with period ≤ M, so empty rather than 0
    assert values == {"staff": approx(110.0), "tools": None, "training": approx(40.0)}


@pytest.mark.parametrize("month, cost_ytd, share", [
    ("2023-12", 500.0, 500 / 700),   # last year's figures
    ("2024-01", 110.0, None),        # project actuals exist (2023-12), none this year yet: 0, so no share
    ("2023-11", None, None),         # no PMO actual with period ≤ M
])
def test_pmo_cost_at_the_edges(pmo_db, month, cost_ytd, share):
    got = kpis.compute_kpis(pmo_db, Filters(as_of=month))
    assert got["pmo_cost_ytd"] == (None if cost_ytd is None else approx(cost_ytd))
    assert got["pmo_cost_share"] == (None if share is None else approx(share))


def test_no_pmo_costs_or_no_project_actuals_is_empty():
    con = make_db({"projects": [project("A")], "financials": [cost("A", "2024-02", 100.0, 90.0)]})
    got = kpis.compute_kpis(con, M)
    assert (got["pmo_cost_ytd"], got["pmo_cost_share"]) == (None, None)
    con = make_db({"projects": [project("A")], "financials": [cost("A", "2024-02", 100.0)],
                   "pmo_costs": [dict(period="2024-02", cost_category="staff", planned_cost=10.0, actual_cost=0.0)]})
    got = kpis.compute_kpis(con, M)
    # a PMO actual of 0 is a fact (0), but no project has an actual cost: the share is empty
    assert (got["pmo_cost_ytd"], got["pmo_cost_share"]) == (0.0, None)


# -- the independent reading of the contract (tests/oracle.py), on random governance data -------------

_DAYS = ["2023-03-31", "2023-04-01", "2023-12-31", "2024-01-01", "2024-01-31", "2024-02-15", "2024-03-31",
         "2024-04-01"]


@st.composite
def governance_warehouses(draw):
    """A few projects with gate milestones, gate reviews, change requests and PMO costs around 2024-03."""
    day = st.sampled_from(_DAYS)
    tables = {k: [] for k in ("projects", "financials", "milestones", "gate_reviews", "change_requests", "pmo_costs")}
    for i in range(draw(st.integers(1, 4))):
        pid = f"P{i}"
        tables["projects"].append(project(pid, portfolio=draw(st.sampled_from(["X", "Y"])),
                                          stage=draw(st.sampled_from(["execution", "idea", "closed"])),
                                          actual_finish_date="2024-02-01"))
        for period in draw(st.sets(st.sampled_from(["2023-12", "2024-01", "2024-03"]), max_size=2)):
            tables["financials"].append(cost(pid, period, 10.0, draw(st.one_of(st.none(), st.just(40.0)))))
        for j in range(draw(st.integers(0, 3))):
            tables["milestones"].append(milestone(pid, draw(day), draw(st.one_of(st.none(), day)),
                                                  milestone_id=f"{pid}m{j}", is_gate=draw(st.booleans())))
        for j in range(draw(st.integers(0, 3))):
            tables["gate_reviews"].append(review(f"{pid}r{j}", pid, draw(day), draw(st.sampled_from(c.GATE_DECISIONS))))
        for j in range(draw(st.integers(0, 4))):
            raised = draw(day)
            decided = draw(st.one_of(st.none(), st.sampled_from([d for d in _DAYS if d >= raised])))
            tables["change_requests"].append(change(
                f"{pid}c{j}", pid, raised, decided,
                None if decided is None else draw(st.sampled_from(c.CHANGE_DECISIONS)),
                None if decided is None else draw(st.one_of(st.none(), st.sampled_from(c.DECISION_LEVELS))),
                draw(st.one_of(st.none(), st.sampled_from([0.0, 25.0, 100.0])))))
    for period, category in draw(st.sets(st.tuples(st.sampled_from(["2023-12", "2024-02", "2024-04"]),
                                                   st.sampled_from(c.PMO_COST_CATEGORIES)), max_size=3)):
        tables["pmo_costs"].append(dict(period=period, cost_category=category, planned_cost=5.0,
                                        actual_cost=draw(st.one_of(st.none(), st.just(7.0)))))
    return tables


@given(tables=governance_warehouses(), as_of=st.sampled_from(["2023-12", "2024-01", "2024-02", "2024-03", "2024-04"]),
       filters=st.sampled_from([Filters(), Filters(portfolios=("X",))]))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_governance_kpis_agree_with_a_literal_pandas_reading_of_the_contract(tables, as_of, filters):
    con = make_db(tables)
    f = filters.with_as_of(as_of)
    engine = kpis.compute_kpis(con, f)
    naive = naive_kpis(read_tables(con), f)
    governance = set(GOVERNANCE) | {"pmo_cost_ytd", "pmo_cost_share"}
    assert compare({k: engine[k] for k in governance}, {k: naive[k] for k in governance}) == []
