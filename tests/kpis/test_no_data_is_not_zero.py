"""CONTRACT §3 "No data is not zero" on the cost and benefit KPIs: an export without actual costs, or
without benefit measurements, shows those figures empty (with the reason), never 0. M is 2024-03."""
from __future__ import annotations

import pytest

from builders import benefit, cost, make_db, measurement, project, report
from pmo_metrics import coverage, kpis
from pmo_metrics.filters import Filters

M = Filters(as_of="2024-03")
approx = pytest.approx
COST_BUILT_ON_ACTUALS = ("actual_cost", "actual_cost_ytd", "cpi", "cost_variance", "eac", "vac", "tcpi",
                         "benefit_cost_ratio")
BENEFIT_FIGURES = ("benefits_planned_to_date", "benefits_realized_to_date", "benefit_realization_rate",
                   "benefit_cost_ratio")


def test_an_export_without_actual_costs_has_no_actual_cost_figures():
    con = make_db({
        "projects": [project("A", budget_at_completion=1000.0)],
        "status_reports": [report("A", "2024-03-10", percent_complete=50.0)],
        "financials": [cost("A", "2024-02", 300.0), cost("A", "2024-03", 200.0)],   # planned only
        "benefits": [benefit("B1", "A")], "benefit_measurements": [measurement("B1", "2024-03", 100.0, 40.0)],
    })
    got = kpis.compute_kpis(con, M)
    assert {k: got[k] for k in COST_BUILT_ON_ACTUALS} == {k: None for k in COST_BUILT_ON_ACTUALS}
    # what does not need actuals stays: PV = 500, EV = 1000 × 50 % = 500, SPI = 1, budget this year 500
    assert (got["planned_value"], got["earned_value"], got["spi"], got["budget_ytd"]) == (500.0, 500.0, 1.0, 500.0)
    assert got["benefits_realized_to_date"] == 40.0
    assert coverage.reason(coverage.held(con), "actual_cost") == "The loaded data has no actual costs."


def test_actual_costs_after_m_or_of_an_unselected_project_do_not_count():
    con = make_db({
        "projects": [project("A", portfolio="Core"), project("B", portfolio="Edge")],
        "financials": [cost("A", "2024-04", 10.0, 10.0), cost("B", "2024-02", 10.0, 30.0)],
    })
    core = kpis.compute_kpis(con, Filters(as_of="2024-03", portfolios=("Core",)))
    assert core["actual_cost"] is None and core["actual_cost_ytd"] is None
    edge = kpis.compute_kpis(con, Filters(as_of="2024-03", portfolios=("Edge",)))
    assert (edge["actual_cost"], edge["actual_cost_ytd"]) == (30.0, 30.0)


def test_one_actual_cost_makes_the_others_facts():
    # A booked 0 last year: the actual cost to date is 0 and this year's is 0 — facts, not gaps
    con = make_db({"projects": [project("A", start_date="2023-01-01")],
                   "financials": [cost("A", "2023-11", 100.0, 0.0), cost("A", "2024-02", 100.0)]})
    got = kpis.compute_kpis(con, M)
    assert (got["actual_cost"], got["actual_cost_ytd"]) == (0.0, 0.0)
    # a finished project's actuals count for actual_cost_ytd's data even though it is not active
    con = make_db({"projects": [project("A"), project("F", stage="closed", actual_finish_date="2024-01-31")],
                   "financials": [cost("A", "2024-02", 100.0), cost("F", "2024-01", 50.0, 45.0)]})
    got = kpis.compute_kpis(con, M)
    # AC is over active projects: A has no actual, so 0 (data exists for the selection); YTD over selected: 45
    assert (got["actual_cost"], got["actual_cost_ytd"]) == (0.0, 45.0)


def test_benefits_without_measurements_by_m_are_empty():
    con = make_db({
        "projects": [project("A")],
        "financials": [cost("A", "2024-02", 100.0, 90.0)],
        "benefits": [benefit("B1", "A"), benefit("B2", "A", category="non_financial")],
        "benefit_measurements": [measurement("B1", "2024-04", 100.0, 50.0),       # after M
                                 measurement("B2", "2024-02", 10.0, 5.0)],         # not financial
    })
    got = kpis.compute_kpis(con, M)
    assert {k: got[k] for k in BENEFIT_FIGURES} == {k: None for k in BENEFIT_FIGURES}
    april = kpis.compute_kpis(con, Filters(as_of="2024-04"))
    assert (april["benefits_planned_to_date"], april["benefits_realized_to_date"]) == (100.0, 50.0)
    assert april["benefit_cost_ratio"] == approx(50 / 90)


def test_measured_but_nothing_realised_yet_is_zero():
    con = make_db({"projects": [project("A")], "financials": [cost("A", "2024-02", 100.0, 80.0)],
                   "benefits": [benefit("B1", "A")],
                   "benefit_measurements": [measurement("B1", "2024-03", 200.0)]})
    got = kpis.compute_kpis(con, M)
    # planned 200, realised 0 (a fact), rate 0 / 200 = 0, ratio 0 / 80 = 0
    assert [got[k] for k in BENEFIT_FIGURES] == [200.0, 0.0, 0.0, 0.0]


def test_the_breakdown_applies_the_rule_per_group():
    con = make_db({"projects": [project("A", portfolio="Core"), project("B", portfolio="Edge")],
                   "financials": [cost("A", "2024-02", 100.0, 80.0), cost("B", "2024-02", 100.0)]})
    frame = kpis.kpi_breakdown(con, "actual_cost", M, "portfolio")
    values = dict(zip(frame["group"], frame["value"]))
    assert values["Core"] == 80.0 and values["Edge"] != values["Edge"]   # NaN: empty for Edge
