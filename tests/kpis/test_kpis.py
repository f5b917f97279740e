"""Every KPI of CONTRACT §3 against a handful of rows whose answer is worked out by hand.

Each fixture states its rows; each test states the arithmetic in a comment. M is 2024-03 unless
said otherwise, so end(M) = 2024-03-31 and M − 1 = 2024-02 (end 2024-02-29).
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import (
    allocation, assessment, benefit, cost, make_db, measurement, milestone, objective, project, report,
    resource, risk, timesheet,
)
from oracle import compare, naive_kpis, read_tables
from pmo_metrics import contract as c
from pmo_metrics import kpis, lineage
from pmo_metrics.filters import Filters
from pmo_metrics.metrics import METRICS
from pmo_metrics.views import maturity
from pmo_metrics.views.changes import changes_since_last_month

M = Filters(as_of="2024-03")
approx = pytest.approx


# -- project selection, activity and RAG ----------------------------------------------------------

@pytest.fixture(scope="module")
def portfolio_db():
    """Projects covering every selection and activity case of CONTRACT §3."""
    return make_db({
        "projects": [
            project("P1", start_date="2024-01-01", baseline_finish_date="2024-12-31",
                    forecast_finish_date="2025-01-30"),                                   # active, slip +30
            project("P2", stage="closed", start_date="2023-01-01", baseline_finish_date="2024-03-01",
                    actual_finish_date="2024-02-15", forecast_finish_date="2025-12-31"),  # finished on time, before M
            project("P3", stage="cancelled", start_date="2023-01-01",
                    actual_finish_date="2024-01-01", baseline_finish_date="2023-06-01"),  # never selected
            project("P4", stage="idea", start_date="2024-01-01"),                         # never selected
            project("P5", stage="planning", start_date="2024-04-01",
                    baseline_finish_date="2024-12-31"),                                   # starts after M
            project("P6", stage="closed", start_date="2023-06-01", baseline_finish_date="2024-03-15",
                    actual_finish_date="2024-03-31"),                                     # finished on end(M): not active, late
            project("P7", stage="closing", start_date="2023-06-01", baseline_finish_date="2024-03-01",
                    actual_finish_date="2024-04-05"),                                     # finishes after M: active, slip 0
            project("P8", stage="on_hold", start_date="2023-06-01", baseline_finish_date="2024-06-30",
                    forecast_finish_date="2024-06-20"),                                   # active, slip −10, no report
        ],
        "status_reports": [
            report("P1", "2024-02-20", "amber"),
            report("P1", "2024-03-10", "green"),
            report("P7", "2024-02-01", "red"),
            report("P7", "2024-04-02", "amber"),   # after end(M): never counts at M
            report("P2", "2024-02-10", "red"),     # not active
            report("P3", "2024-03-01", "red"),     # cancelled
            report("P6", "2024-02-25", "amber"),
        ],
    })


def test_active_projects_excludes_finished_cancelled_idea_and_future(portfolio_db):
    # active at 2024-03: P1, P7 (finishes 04-05 > end(M)), P8 (on hold counts) = 3.
    # P2 finished 02-15; P6 finished on 03-31 = end(M) (must be *after*); P5 starts 04-01; P3/P4 unselected.
    assert kpis.compute_kpis(portfolio_db, M)["active_projects"] == 3


def test_rag_shares_use_latest_report_on_or_before_end_of_month(portfolio_db):
    k = kpis.compute_kpis(portfolio_db, M)
    # P1 latest ≤ 03-31 is green (03-10); P7 latest is red (02-01; the amber of 04-02 is after M);
    # P8 has none.  green 1/3, amber 0/3, red 1/3, missing 1/3.
    assert k["rag_green_share"] == approx(1 / 3)
    assert k["rag_amber_share"] == 0.0
    assert k["rag_red_share"] == approx(1 / 3)
    assert k["rag_missing_share"] == approx(1 / 3)
    assert k["rag_green_share"] + k["rag_amber_share"] + k["rag_red_share"] + k["rag_missing_share"] == approx(1)


def test_stale_status_share(portfolio_db):
    # end(M) − report_date: P1 03-31 − 03-10 = 21 (fresh); P7 03-31 − 02-01 = 59 > 35 (stale);
    # P8 has no report (stale).  2/3.
    assert kpis.compute_kpis(portfolio_db, M)["stale_status_share"] == approx(2 / 3)


def test_stale_boundary_is_more_than_35_days():
    con = make_db({
        "projects": [project("A"), project("B")],
        # 2024-03-31 − 2024-02-25 = 35 days: not stale; 2024-03-31 − 2024-02-24 = 36: stale.
        "status_reports": [report("A", "2024-02-25"), report("B", "2024-02-24")],
    })
    assert kpis.compute_kpis(con, M)["stale_status_share"] == 0.5


def test_avg_finish_slip_days(portfolio_db):
    # active: P1 2025-01-30 − 2024-12-31 = 30; P7 no forecast → 0; P8 2024-06-20 − 2024-06-30 = −10.
    # mean = (30 + 0 − 10) / 3 = 6.667.  (P2's big slip is not active, so ignored.)
    assert kpis.compute_kpis(portfolio_db, M)["avg_finish_slip_days"] == approx(20 / 3)


def test_on_time_delivery_rate(portfolio_db):
    # selected with actual_finish ≤ 03-31: P2 (02-15 ≤ baseline 03-01: on time), P6 (03-31 > 03-15: late).
    # P7 finishes 04-05 (after M), P3 cancelled.  1/2.
    assert kpis.compute_kpis(portfolio_db, M)["on_time_delivery_rate"] == 0.5


def test_previous_month_values(portfolio_db):
    k = kpis.compute_kpis(portfolio_db, Filters(as_of="2024-02"))
    # end(M−1) = 02-29: active P1, P6 (finishes 03-31 > 02-29), P7, P8 = 4; P2 finished 02-15.
    assert k["active_projects"] == 4
    # latest ≤ 02-29: P1 amber (02-20), P6 amber (02-25), P7 red (02-01), P8 none.
    assert k["rag_amber_share"] == 0.5
    assert k["rag_red_share"] == 0.25
    assert k["rag_green_share"] == 0.0
    assert k["rag_missing_share"] == 0.25
    # finished by 02-29: P2 only, on time.  1/1.
    assert k["on_time_delivery_rate"] == 1.0


def test_compare_kpis_uses_previous_month_by_default(portfolio_db):
    frame = kpis.compare_kpis(portfolio_db, M).set_index("id")
    assert list(frame.index) == list(METRICS)
    assert frame.attrs["previous"] == "2024-02"
    # 3 active now, 4 a month before.
    assert frame.loc["active_projects", "value"] == 3
    assert frame.loc["active_projects", "previous"] == 4
    assert frame.loc["active_projects", "change"] == -1
    # red share 1/3 now, 1/4 before: +8.3 pp; more red is worse.
    assert frame.loc["rag_red_share", "change"] == approx(1 / 3 - 1 / 4)
    assert frame.loc["rag_red_share", "formatted_change"] == "+8.3 pp"
    assert frame.loc["rag_red_share", "direction"] == "worse"
    assert frame.loc["rag_red_share", "formatted"] == "33.3 %"
    # an empty figure stays empty (None), not NaN.
    assert frame.loc["cpi", "value"] is None
    assert frame.loc["cpi", "formatted"] == "—"


def test_compare_kpis_explicit_previous(portfolio_db):
    frame = kpis.compare_kpis(portfolio_db, M, previous="2023-12").set_index("id")
    # end 2023-12-31: P2, P6, P7, P8 started by then and none finished: 4.
    assert frame.loc["active_projects", "previous"] == 4
    assert frame.attrs["previous"] == "2023-12"


def test_no_active_projects_gives_empty_shares_not_zero():
    con = make_db({"projects": [project("A", start_date="2024-06-01")]})
    k = kpis.compute_kpis(con, M)
    assert k["active_projects"] == 0
    for key in ("rag_green_share", "rag_amber_share", "rag_red_share", "rag_missing_share",
                "stale_status_share", "avg_finish_slip_days", "spi", "cpi", "tcpi", "earned_value", "eac"):
        assert k[key] is None, key
    # no financials at all: PV is a sum over none (0); AC has no actual cost to sum — no data, not 0
    assert k["planned_value"] == 0.0 and k["actual_cost"] is None


def test_project_without_reports_counts_as_missing_and_stale():
    con = make_db({"projects": [project("A")]})
    k = kpis.compute_kpis(con, M)
    assert (k["rag_missing_share"], k["stale_status_share"], k["rag_green_share"]) == (1.0, 1.0, 0.0)


def test_empty_database_gives_none_for_every_metric():
    con = make_db({})
    assert kpis.default_as_of(con) is None
    assert kpis.available_months(con) == []
    assert kpis.compute_kpis(con, Filters()) == {m: None for m in METRICS}


# -- earned value ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def evm_db():
    return make_db({
        "projects": [
            project("A", budget_at_completion=1000.0),
            project("B", budget_at_completion=2000.0),
            project("C", budget_at_completion=500.0),
            project("D", stage="closed", budget_at_completion=400.0, start_date="2023-01-01",
                    actual_finish_date="2024-02-20"),
        ],
        "status_reports": [
            report("A", "2024-02-10", percent_complete=30.0),
            report("A", "2024-03-10", percent_complete=None),   # latest has no progress: EV uses 30 %
            report("A", "2024-04-05", percent_complete=90.0),   # after end(M)
            report("B", "2024-03-20", percent_complete=50.0),
            report("D", "2024-02-15", percent_complete=100.0),  # D is not active
        ],
        "financials": [
            cost("A", "2024-01", 200, 150),
            cost("A", "2024-02", 200, 250),
            cost("A", "2024-03", 100, 50, cost_category="capex"),
            cost("A", "2024-03", 100, 100, cost_category="opex"),
            cost("A", "2024-04", 500, None),                    # after M
            cost("B", "2023-12", 300, 300),                     # before this year
            cost("B", "2024-03", 500, None),                    # no actual yet
            cost("C", "2024-03", 100, 120),
            cost("D", "2024-01", 50, 40),
        ],
    })


def test_planned_earned_actual(evm_db):
    k = kpis.compute_kpis(evm_db, M)
    # PV: A 200+200+100+100 = 600; B 300+500 = 800; C 100  → 1500 (D not active; A's April excluded)
    assert k["planned_value"] == approx(1500)
    # EV: A 1000×30 % = 300 (latest report WITH a percent); B 2000×50 % = 1000; C none → 0  → 1300
    assert k["earned_value"] == approx(1300)
    # AC: A 150+250+50+100 = 550; B 300 (2024-03 has none); C 120  → 970
    assert k["actual_cost"] == approx(970)


def test_spi_cpi_variances(evm_db):
    k = kpis.compute_kpis(evm_db, M)
    assert k["spi"] == approx(1300 / 1500)          # 0.8667
    assert k["cpi"] == approx(1300 / 970)           # 1.3402
    assert k["schedule_variance"] == approx(-200)   # 1300 − 1500
    assert k["cost_variance"] == approx(330)        # 1300 − 970


def test_cpi_is_ratio_of_sums_not_mean_of_ratios(evm_db):
    k = kpis.compute_kpis(evm_db, M)
    # per project: A 300/550 = 0.545, B 1000/300 = 3.333, C 0/120 = 0; mean 1.293 ≠ 1300/970 = 1.340
    mean_of_ratios = (300 / 550 + 1000 / 300 + 0 / 120) / 3
    assert k["cpi"] != approx(mean_of_ratios)
    assert k["cpi"] == approx(1300 / 970)


def test_eac_vac_tcpi(evm_db):
    k = kpis.compute_kpis(evm_db, M)
    # EAC_A: CPI 300/550 > 0 → 1000 / (300/550) = 1833.33
    # EAC_B: CPI 1000/300 → 2000 / 3.333 = 600
    # EAC_C: EV 0 → CPI 0, not > 0 → AC + BAC − EV = 120 + 500 − 0 = 620
    eac = 1000 / (300 / 550) + 2000 / (1000 / 300) + 620
    assert k["eac"] == approx(eac)                  # 3053.33
    assert k["vac"] == approx(3500 - eac)           # Σ BAC 3500 − EAC = 446.67
    assert k["tcpi"] == approx((3500 - 1300) / (3500 - 970))   # 2200 / 2530 = 0.8696


def test_budget_and_actual_year_to_date(evm_db):
    k = kpis.compute_kpis(evm_db, M)
    # selected projects (closed D included), periods 2024-01..2024-03:
    # planned A 600 + B 500 (2023-12 excluded) + C 100 + D 50 = 1250
    assert k["budget_ytd"] == approx(1250)
    # actual  A 550 + B 0 + C 120 + D 40 = 710
    assert k["actual_cost_ytd"] == approx(710)


def test_year_to_date_restarts_in_january():
    con = make_db({"projects": [project("A", start_date="2023-01-01")],
                   "financials": [cost("A", "2023-11", 100, 90), cost("A", "2023-12", 100, 80)]})
    k = kpis.compute_kpis(con, Filters(as_of="2024-01"))
    # nothing booked in 2024 yet: the latest period ≤ M is from 2023.
    assert (k["budget_ytd"], k["actual_cost_ytd"]) == (0.0, 0.0)
    assert k["planned_value"] == 200.0 and k["actual_cost"] == 170.0


def test_eac_when_project_has_no_actual_cost():
    con = make_db({
        "projects": [project("E", budget_at_completion=1000.0)],
        "status_reports": [report("E", "2024-03-01", percent_complete=20.0)],
        "financials": [cost("E", "2024-02", 0, 0.0), cost("E", "2024-03", 300, None)],
    })
    k = kpis.compute_kpis(con, M)
    # AC = 0 (booked as 0) → CPI_E empty → EAC = AC + BAC − EV = 0 + 1000 − 200 = 800; portfolio CPI empty.
    assert k["eac"] == approx(800)
    assert k["cpi"] is None
    assert k["vac"] == approx(200)
    assert k["tcpi"] == approx((1000 - 200) / (1000 - 0))
    # without any actual cost booked at all the export cannot support EAC: no data, not 0 spent
    con = make_db({"projects": [project("E", budget_at_completion=1000.0)],
                   "status_reports": [report("E", "2024-03-01", percent_complete=20.0)],
                   "financials": [cost("E", "2024-03", 300, None)]})
    k = kpis.compute_kpis(con, M)
    assert (k["actual_cost"], k["eac"], k["vac"], k["tcpi"]) == (None, None, None, None)


def test_earned_value_needs_progress_data():
    con = make_db({
        "projects": [project("A"), project("B")],
        "status_reports": [report("A", "2024-03-01"), report("B", "2024-04-10", percent_complete=50.0)],
        "financials": [cost("A", "2024-03", 100, 80)],
    })
    k = kpis.compute_kpis(con, M)
    # no active project has a percent_complete ≤ end(M) (B's is in April): no EV and nothing built on it.
    for key in ("earned_value", "spi", "cpi", "schedule_variance", "cost_variance", "eac", "vac", "tcpi"):
        assert k[key] is None, key
    assert k["planned_value"] == 100.0 and k["actual_cost"] == 80.0
    # in April B's progress is there: EV = 1000 × 50 % = 500 (A counts 0).
    assert kpis.compute_kpis(con, Filters(as_of="2024-04"))["earned_value"] == approx(500)


def test_zero_denominators_are_empty():
    con = make_db({
        "projects": [project("A", budget_at_completion=100.0)],
        "status_reports": [report("A", "2024-03-01", percent_complete=10.0)],
        "financials": [cost("A", "2024-03", 0, 100)],   # PV 0, AC 100 = BAC
    })
    k = kpis.compute_kpis(con, M)
    assert k["spi"] is None                        # EV 10 / PV 0
    assert k["tcpi"] is None                       # (100 − 10) / (100 − 100)
    assert k["cpi"] == approx(0.1)                 # 10 / 100
    assert k["on_time_delivery_rate"] is None      # nothing finished
    assert k["milestone_on_time_rate"] is None     # nothing due


def test_negative_actual_cost_credit_uses_else_branch():
    con = make_db({
        "projects": [project("A", budget_at_completion=100.0)],
        "status_reports": [report("A", "2024-03-01", percent_complete=50.0)],
        "financials": [cost("A", "2024-03", 10, -20)],
    })
    # CPI_A = 50 / −20 < 0 → EAC = AC + BAC − EV = −20 + 100 − 50 = 30
    assert kpis.compute_kpis(con, M)["eac"] == approx(30)


# -- milestones ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def milestone_db():
    return make_db({
        "projects": [project("P1"), project("P2", stage="closed", actual_finish_date="2024-02-28"),
                     project("P3", stage="cancelled")],
        "milestones": [
            milestone("P1", "2024-01-15", actual_date="2024-01-10", milestone_id="m1"),  # on time
            milestone("P1", "2024-02-15", actual_date="2024-02-20", milestone_id="m2"),  # late
            milestone("P1", "2024-03-20", milestone_id="m3"),                            # due, not achieved
            milestone("P1", "2024-04-10", milestone_id="m4"),                            # not due yet
            milestone("P2", "2024-02-01", actual_date="2024-02-01", milestone_id="m5"),  # on time (equal)
            milestone("P3", "2024-01-01", actual_date="2024-01-01", milestone_id="m6"),  # cancelled project
            milestone("P1", "2024-03-31", actual_date="2024-03-31", milestone_id="m7"),  # on end(M), on time
        ],
    })


def test_milestone_on_time_rate(milestone_db):
    # due by 03-31: m1 m2 m3 m5 m7 (m4 later, m6 unselected); on time m1 m5 m7 → 3/5
    assert kpis.compute_kpis(milestone_db, M)["milestone_on_time_rate"] == approx(0.6)
    # due by 02-29: m1 m2 m5; on time m1 m5 → 2/3
    assert kpis.compute_kpis(milestone_db, Filters(as_of="2024-02"))["milestone_on_time_rate"] == approx(2 / 3)


def test_milestone_rows_trace_the_rate(milestone_db):
    rows = lineage.kpi_rows(milestone_db, "milestone_on_time_rate", M)
    assert sorted(rows["milestone_id"]) == ["m1", "m2", "m3", "m5", "m7"]
    assert sorted(rows.loc[rows["counted"], "milestone_id"]) == ["m1", "m5", "m7"]


# -- resources -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def resource_db():
    # March 2024 has 21 weekdays (1st is a Friday); February 2024 has 21 (1st is a Thursday).
    return make_db({
        "projects": [project("P1", portfolio="Core"), project("P2", portfolio="Other")],
        "resources": [
            resource("R1", department="IT"),                                     # 40 h/wk all month: 168
            resource("R2", department="IT", employment_type="contractor",
                     weekly_capacity_hours=20.0, start_date="2024-03-18"),       # joins Mon 18th: 10 days → 40
            resource("R3", department="IT", end_date="2024-02-28"),              # left before M: 0
            resource("R4", department="Finance", weekly_capacity_hours=30.0),    # 30 × 21 / 5 = 126
        ],
        "timesheets": (
            [timesheet("R1", "P1", f"2024-03-{d:02d}", 8.0) for d in (4, 5, 6, 7, 8, 11, 12, 13, 14, 15)]  # 80
            + [timesheet("R1", "P1", "2024-02-29", 8.0), timesheet("R1", "P1", "2024-04-01", 8.0)]       # not M
            + [timesheet("R2", "P2", f"2024-03-{d}", 6.0) for d in (18, 19, 20, 21, 22)]                # 30
            + [timesheet("R3", "P1", "2024-03-01", 4.0)]                                                  # 4
            + [timesheet("R4", "P2", "2024-03-04", 10.0) for _ in range(5)]                              # 50
        ),
        "allocations": [
            allocation("R1", "P1", "2024-03", 100.0), allocation("R1", "P2", "2024-03", 80.0),  # 180 > 168
            allocation("R2", "P1", "2024-03", 40.0),                                             # 40 = 40
            allocation("R3", "P1", "2024-03", 10.0),                                             # 10 > 0
            allocation("R4", "P1", "2024-03", 200.0),                                            # 200 > 126
            allocation("R1", "P1", "2024-02", 50.0),
        ],
    })


def test_utilization_all_departments(resource_db):
    k = kpis.compute_kpis(resource_db, M)
    # hours in March: 80 + 30 + 4 + 50 = 164; capacity 168 + 40 + 0 + 126 = 334
    assert k["utilization"] == approx(164 / 334)
    # planned 180 + 40 + 10 + 200 = 430
    assert k["allocation_rate"] == approx(430 / 334)
    # R1 (180 > 168), R3 (10 > 0), R4 (200 > 126); R2 exactly at capacity is not over
    assert k["overallocated_resources"] == 3
    # contractor R2 logged 30 of 164
    assert k["contractor_hours_share"] == approx(30 / 164)


def test_resource_kpis_scoped_by_department_only(resource_db):
    it = Filters(as_of="2024-03", departments=("IT",))
    k = kpis.compute_kpis(resource_db, it)
    # IT: hours 80 + 30 + 4 = 114; capacity 168 + 40 + 0 = 208; planned 230; over R1, R3; contractor 30/114
    assert k["utilization"] == approx(114 / 208)
    assert k["allocation_rate"] == approx(230 / 208)
    assert k["overallocated_resources"] == 2
    assert k["contractor_hours_share"] == approx(30 / 114)
    # project filters do not touch resource KPIs (R4 books on P2 of portfolio Other, still counted)
    k2 = kpis.compute_kpis(resource_db, Filters(as_of="2024-03", portfolios=("Core",)))
    assert k2["utilization"] == approx(164 / 334)
    # and the department filter does not touch project KPIs
    assert k["active_projects"] == 2


def test_capacity_for_resource_leaving_mid_month(resource_db):
    rows = lineage.kpi_rows(resource_db, "utilization", Filters(as_of="2024-02")).set_index("resource_id")
    # R3 employed Feb 1–28: weekdays Feb 1 (Thu) … Feb 28 (Wed) = 20 → 40 × 20 / 5 = 160
    assert rows.loc["R3", "capacity_hours"] == approx(160)
    # R2 joins in March: no capacity in February
    assert rows.loc["R2", "capacity_hours"] == 0
    assert rows.loc["R1", "capacity_hours"] == approx(168)


def test_no_capacity_means_empty_utilization():
    con = make_db({"resources": [resource("R1", start_date="2024-05-01")],
                   "timesheets": [timesheet("R1", "P1", "2024-03-04", 5.0)],
                   "projects": [project("P1")]})
    k = kpis.compute_kpis(con, M)
    assert k["utilization"] is None and k["allocation_rate"] is None
    assert k["contractor_hours_share"] == 0.0


@given(start=st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31)),
       length=st.integers(-5, 80), month_offset=st.integers(0, 3))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_capacity_counts_weekdays_like_a_calendar(start, length, month_offset):
    end = start + dt.timedelta(days=length)
    month = dt.date(start.year, start.month, 1)
    for _ in range(month_offset):
        month = (month + dt.timedelta(days=32)).replace(day=1)
    as_of = f"{month.year:04d}-{month.month:02d}"
    con = make_db({"resources": [resource("R", start_date=start.isoformat(),
                                          end_date=end.isoformat() if length >= 0 else None)]})
    rows = lineage.kpi_rows(con, "utilization", Filters(as_of=as_of))
    next_month = (month + dt.timedelta(days=32)).replace(day=1)
    last = next_month - dt.timedelta(days=1)
    lo, hi = max(start, month), min(end if length >= 0 else last, last)
    weekdays = sum(1 for i in range((hi - lo).days + 1) if (lo + dt.timedelta(days=i)).weekday() < 5) if lo <= hi else 0
    assert rows.loc[0, "capacity_hours"] == approx(40 * weekdays / 5)


# -- benefits --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def benefit_db():
    return make_db({
        "projects": [project("P1"), project("P2", stage="closed", actual_finish_date="2024-01-31"),
                     project("P3", stage="cancelled")],
        "benefits": [
            benefit("B1", "P1", baseline_value=0.0),
            benefit("B2", "P2", baseline_value=100.0),
            benefit("B3", "P1", category="non_financial", baseline_value=10.0, benefit_type="customer"),
            benefit("B4", "P1", baseline_value=50.0),
            benefit("B5", "P1"),
            benefit("B6", "P3"),
            benefit("B7", "P1"),
        ],
        "benefit_measurements": [
            measurement("B1", "2024-01", 100, 90),
            measurement("B1", "2024-02", 200, 150),
            measurement("B1", "2024-03", 300, None),   # latest ≤ M has no actual: actual from 2024-02
            measurement("B1", "2024-04", 400, 400),    # after M
            measurement("B2", "2024-02", 300, 290),
            measurement("B3", "2024-03", 20, None),    # non-financial, no actual yet
            measurement("B4", "2024-03", 50, 10),      # planned = baseline: progress undefined
            measurement("B6", "2024-01", 1000, 1000),  # cancelled project
            measurement("B7", "2024-05", 500, 100),    # only after M
        ],
        "financials": [
            cost("P1", "2024-01", 500, 400), cost("P1", "2024-04", 100, 999),
            cost("P2", "2023-11", 600, 500), cost("P3", "2024-01", 1000, 1000),
        ],
    })


def test_benefits_planned_and_realized(benefit_db):
    k = kpis.compute_kpis(benefit_db, M)
    # financial benefits of selected projects, latest measurement ≤ 2024-03:
    # planned B1 300 + B2 300 + B4 50 = 650 (B3 non-financial; B5 none; B6 cancelled; B7 only in May)
    assert k["benefits_planned_to_date"] == approx(650)
    # realised B1 150 (latest WITH an actual, 2024-02) + B2 290 + B4 10 = 450
    assert k["benefits_realized_to_date"] == approx(450)
    assert k["benefit_realization_rate"] == approx(450 / 650)


def test_benefits_at_risk(benefit_db):
    # B1: planned 300 ≠ 0, progress (150 − 0)/(300 − 0) = 0.5 < 0.8 → at risk
    # B2: progress (290 − 100)/(300 − 100) = 0.95 → fine
    # B3: planned 20 ≠ 10 and no actual yet → at risk (any category counts)
    # B4: planned 50 = baseline → not counted; B5/B7: no measurement ≤ M; B6: cancelled project
    assert kpis.compute_kpis(benefit_db, M)["benefits_at_risk"] == 2


def test_benefit_cost_ratio_over_selected_projects(benefit_db):
    # Σ actual_cost ≤ 2024-03 of selected projects, closed P2 included: P1 400 + P2 500 = 900
    # (P1's April 999 and cancelled P3 excluded).  450 / 900 = 0.5
    assert kpis.compute_kpis(benefit_db, M)["benefit_cost_ratio"] == approx(0.5)


def test_benefits_previous_month(benefit_db):
    k = kpis.compute_kpis(benefit_db, Filters(as_of="2024-02"))
    # planned B1 200 + B2 300 = 500; realised 150 + 290 = 440
    assert k["benefits_planned_to_date"] == approx(500)
    assert k["benefits_realized_to_date"] == approx(440)
    # B1 progress 150/200 = 0.75 → at risk; B3 had no measurement yet → not counted
    assert k["benefits_at_risk"] == 1


def test_benefit_rows_trace_the_figures(benefit_db):
    rows = lineage.kpi_rows(benefit_db, "benefits_realized_to_date", M)
    assert rows.loc[rows["counted"], "actual_value"].sum() == approx(450)
    risky = lineage.kpi_rows(benefit_db, "benefits_at_risk", M)
    assert sorted(risky.loc[risky["counted"], "benefit_id"]) == ["B1", "B3"]
    bcr = lineage.kpi_rows(benefit_db, "benefit_cost_ratio", M)
    assert bcr["benefits_realized"].sum() / bcr["actual_cost_to_date"].sum() == approx(0.5)


# -- filters ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def filter_db():
    return make_db({
        "strategic_objectives": [objective("O1", "Grow"), objective("O2", "Save")],
        "projects": [
            project("A", portfolio="Core", program="Alpha", business_unit="Retail", strategic_objective_id="O1"),
            project("B", portfolio="Core", program="Beta", business_unit="Finance", strategic_objective_id="O2"),
            project("C", portfolio="Edge", program="Alpha", business_unit="Retail", strategic_objective_id="O2"),
            project("D", portfolio="Edge", program=None, business_unit="Finance"),
        ],
        "financials": [cost("A", "2024-01", 10), cost("B", "2024-01", 20), cost("C", "2024-01", 40),
                       cost("D", "2024-01", 80)],
    })


@pytest.mark.parametrize("filters, pv", [
    (Filters(), 150),                                               # 10 + 20 + 40 + 80
    (Filters(portfolios=("Core",)), 30),                            # A + B
    (Filters(programs=("Alpha",)), 50),                             # A + C (D has no program)
    (Filters(business_units=("Finance",)), 100),                    # B + D
    (Filters(objectives=("O2",)), 60),                              # B + C
    (Filters(portfolios=("Edge",), business_units=("Retail",)), 40),  # C
    (Filters(portfolios=("Core", "Edge"), objectives=("O1", "O2")), 70),  # A + B + C
    (Filters(portfolios=("Nowhere",)), 0),
    (Filters(portfolios=("x'); DROP TABLE projects; --",)), 0),     # values are bound, never pasted
])
def test_filters_narrow_the_selection(filter_db, filters, pv):
    k = kpis.compute_kpis(filter_db, filters.with_as_of("2024-03"))
    assert k["planned_value"] == pv


def test_filter_options(filter_db):
    opts = kpis.filter_options(filter_db)
    assert opts["portfolios"] == ["Core", "Edge"]
    assert opts["programs"] == ["Alpha", "Beta"]
    assert opts["business_units"] == ["Finance", "Retail"]
    assert opts["objectives"] == ["O1", "O2"]
    assert opts["objective_names"] == ["Grow", "Save"]


def test_breakdown_sums_and_ratios_per_group(filter_db, evm_db):
    by = kpis.kpi_breakdown(filter_db, "planned_value", Filters(as_of="2024-03"), "portfolio")
    assert dict(zip(by["group"], by["value"])) == {"Core": 30, "Edge": 120}
    by = kpis.kpi_breakdown(filter_db, "planned_value", Filters(as_of="2024-03"), "program")
    assert dict(zip(by["group"].fillna("(none)"), by["value"])) == {"Alpha": 50, "Beta": 20, "(none)": 80}
    by = kpis.kpi_breakdown(filter_db, "active_projects", Filters(as_of="2024-03"), "objective")
    assert dict(zip(by["label"].fillna("(none)"), by["value"])) == {"Grow": 1, "Save": 2, "(none)": 1}
    # CPI per project is that project's EV / AC: A 300/550, B 1000/300; C has no progress data,
    # so within its own group the EV rule leaves EV, and CPI, empty
    by = kpis.kpi_breakdown(evm_db, "cpi", M, "project").set_index("group")["value"]
    assert by["A"] == approx(300 / 550) and by["B"] == approx(1000 / 300) and pd.isna(by["C"])
    with pytest.raises(ValueError):
        kpis.kpi_breakdown(evm_db, "cpi", M, "department")
    with pytest.raises(ValueError):
        kpis.kpi_breakdown(evm_db, "cpi", M, "project_id; drop table projects")


def test_resource_breakdown_by_department(resource_db):
    by = kpis.kpi_breakdown(resource_db, "utilization", M, "department").set_index("group")["value"]
    assert by["IT"] == approx(114 / 208) and by["Finance"] == approx(50 / 126)


# -- series, project table, curves, changes ----------------------------------------------------

def test_series_matches_point_values(portfolio_db, evm_db, resource_db, benefit_db):
    for con in (portfolio_db, evm_db, resource_db, benefit_db):
        for metric in ("active_projects", "rag_red_share", "earned_value", "cpi", "utilization",
                       "benefits_planned_to_date", "budget_ytd"):
            series = kpis.kpi_series(con, metric, M, start="2023-12", end="2024-04")
            assert list(series["month"]) == ["2023-12", "2024-01", "2024-02", "2024-03", "2024-04"]
            for month, value in zip(series["month"], series["value"]):
                expected = kpis.compute_kpis(con, Filters(as_of=month))[metric]
                if expected is None:
                    assert pd.isna(value), (metric, month)
                else:
                    assert value == approx(expected), (metric, month)


def test_default_series_is_36_months_ending_at_as_of(evm_db):
    series = kpis.kpi_series(evm_db, "planned_value", M)
    # the data start in 2023-12, so the default range starts there, not 36 months back
    assert series["month"].iloc[0] == "2023-12" and series["month"].iloc[-1] == "2024-03"


def test_default_as_of_is_latest_report_month(portfolio_db, resource_db):
    assert kpis.default_as_of(portfolio_db) == "2024-04"          # P7's report of 2024-04-02
    assert kpis.default_as_of(resource_db) == "2024-04"           # no reports: latest timesheet
    assert kpis.available_months(resource_db)[0] == "2024-02"
    assert kpis.compute_kpis(portfolio_db, Filters())["active_projects"] == \
        kpis.compute_kpis(portfolio_db, Filters(as_of="2024-04"))["active_projects"]


def test_project_table(portfolio_db):
    table = kpis.project_table(portfolio_db, M).set_index("project_id")
    # selected projects only (no idea/cancelled), each with its activity flag
    assert sorted(table.index) == ["P1", "P2", "P5", "P6", "P7", "P8"]
    assert sorted(table.index[table["active"]]) == ["P1", "P7", "P8"]
    # P1: amber at end of Feb, green at end of March → improved
    assert (table.loc["P1", "overall_rag"], table.loc["P1", "previous_rag"], table.loc["P1", "rag_trend"]) == \
        ("green", "amber", "improved")
    assert table.loc["P7", "rag_trend"] == "unchanged"
    assert table.loc["P1", "finish_slip_days"] == 30


def test_project_table_milestones_risks_benefits():
    con = make_db({
        "projects": [project("A")],
        "milestones": [
            milestone("A", "2024-02-01", actual_date="2024-02-01", milestone_name="Done"),
            milestone("A", "2024-05-01", forecast_date="2024-04-15", milestone_name="Build"),
            milestone("A", "2024-03-10", actual_date="2024-04-02", milestone_name="Design"),  # achieved after M
        ],
        "risks": [
            risk("A", 5, 3, "2024-01-01"),                                         # 15, open
            risk("A", 4, 4, "2024-02-01", status="closed", closed_date="2024-04-01"),  # 16, closed after M: open then
            risk("A", 5, 5, "2024-01-01", status="closed", closed_date="2024-03-15"),  # closed by M
            risk("A", 5, 5, "2024-01-01", status="closed"),                         # closed, date unknown
            risk("A", 3, 4, "2024-01-01"),                                          # 12 < 15
            risk("A", 5, 5, "2024-04-02"),                                          # raised after M
        ],
        "benefits": [benefit("B", "A"), benefit("N", "A", category="non_financial")],
        "benefit_measurements": [measurement("B", "2024-03", 100, 40), measurement("N", "2024-03", 9, 9)],
    })
    row = kpis.project_table(con, M).iloc[0]
    # next: the earliest not achieved by end(M) → Design (baseline 03-10, achieved only in April)
    assert row["next_milestone"] == "Design"
    assert row["open_high_risks"] == 2
    assert (row["benefits_planned"], row["benefits_realized"]) == (100, 40)


@given(data=st.data())
@settings(max_examples=40, deadline=None)
def test_portfolio_totals_equal_sums_over_project_table(data):
    n = data.draw(st.integers(1, 6))
    stages = ["initiation", "planning", "execution", "closing", "closed", "on_hold", "idea", "cancelled"]
    months = ["2023-11", "2023-12", "2024-01", "2024-02", "2024-03", "2024-04"]
    projects, reports, costs = [], [], []
    for i in range(n):
        pid = f"P{i}"
        start = data.draw(st.sampled_from(["2023-10-15", "2024-01-01", "2024-03-31", "2024-04-01"]))
        finish = data.draw(st.sampled_from([None, "2024-01-31", "2024-03-31", "2024-04-30"]))
        if finish is not None and finish < start:
            finish = None
        projects.append(project(pid, portfolio=data.draw(st.sampled_from(["X", "Y"])),
                                stage=data.draw(st.sampled_from(stages)), start_date=start,
                                actual_finish_date=finish,
                                budget_at_completion=data.draw(st.floats(0, 1e6, allow_nan=False))))
        for day in data.draw(st.sets(st.sampled_from(["2024-01-10", "2024-02-29", "2024-03-31", "2024-04-01"]))):
            pct = data.draw(st.one_of(st.none(), st.floats(0, 100, allow_nan=False)))
            reports.append(report(pid, day, data.draw(st.sampled_from(["green", "amber", "red"])), pct))
        for period in data.draw(st.sets(st.sampled_from(months))):
            costs.append(cost(pid, period, data.draw(st.floats(0, 1e5, allow_nan=False)),
                              data.draw(st.one_of(st.none(), st.floats(-1e3, 1e5, allow_nan=False)))))
    con = make_db({"projects": projects, "status_reports": reports, "financials": costs})
    filters = Filters(as_of=data.draw(st.sampled_from(months)),
                      portfolios=data.draw(st.sampled_from([(), ("X",), ("Y",)])))
    k = kpis.compute_kpis(con, filters)
    table = kpis.project_table(con, filters)
    active = table[table["active"]]
    assert k["active_projects"] == len(active)
    assert k["planned_value"] == approx(active["pv"].sum(), rel=1e-9, abs=1e-6)
    booked = [row for row in costs if row["actual_cost"] is not None and row["period"] <= filters.as_of
              and row["project_id"] in set(table["project_id"])]
    if booked:
        assert k["actual_cost"] == approx(active["ac"].sum(), rel=1e-9, abs=1e-6)
    else:   # no selected project has booked any actual cost by M: no data, not 0
        assert k["actual_cost"] is None and active["ac"].sum() == 0
    if active["ev"].notna().any():
        assert k["earned_value"] == approx(active["ev"].sum(), rel=1e-9, abs=1e-6)
    else:
        assert k["earned_value"] is None
    rows = lineage.kpi_rows(con, "earned_value", filters)
    assert len(rows) == len(active)


def test_evm_curve(evm_db):
    curve = kpis.evm_curve(evm_db, M, start="2024-01", end="2024-03").set_index("month")
    assert curve.loc["2024-03", "pv"] == approx(1500)
    assert curve.loc["2024-03", "ev"] == approx(1300)
    assert curve.loc["2024-03", "ac"] == approx(970)
    # January: PV A 200 + B 300 (+ D 50, active until Feb 20) = 550; no progress yet → EV empty
    assert curve.loc["2024-01", "pv"] == approx(550)
    assert pd.isna(curve.loc["2024-01", "ev"])
    one = kpis.evm_curve(evm_db, M, project_id="A").set_index("month")
    assert list(one.index) == ["2024-01", "2024-02", "2024-03"]
    assert one.loc["2024-02", "ev"] == approx(300) and one.loc["2024-03", "ac"] == approx(550)


def test_changes_since_last_month():
    con = make_db({
        "projects": [project("A"), project("B"), project("C")],
        "status_reports": [report("A", "2024-02-10", "green"), report("A", "2024-03-10", "red"),
                           report("B", "2024-02-10", "amber"), report("B", "2024-03-10", "amber"),
                           report("C", "2024-03-05", "green")],
        "milestones": [
            milestone("A", "2024-03-05", actual_date="2024-03-08", milestone_id="late"),
            milestone("A", "2024-03-20", milestone_id="open"),
            milestone("A", "2024-03-25", actual_date="2024-03-25", milestone_id="met"),
            milestone("A", "2024-02-25", milestone_id="february"),
        ],
        "benefits": [benefit("F", "A"), benefit("G", "A")],
        "benefit_measurements": [measurement("F", "2024-02", 100, 90), measurement("F", "2024-03", 200, 120),
                                 measurement("G", "2024-02", 100, 50), measurement("G", "2024-03", 200, 60)],
        "risks": [risk("A", 5, 3, "2024-03-02", risk_id="hi"), risk("A", 2, 2, "2024-03-02", risk_id="lo"),
                  risk("B", 5, 5, "2024-02-28", risk_id="old")],
    })
    ch = changes_since_last_month(con, M)
    # A green → red; B unchanged; C had no report in February (not a move)
    assert ch["rag_moves"][["project_id", "from", "to"]].values.tolist() == [["A", "green", "red"]]
    assert sorted(ch["missed_milestones"]["milestone_id"]) == ["late", "open"]
    # F: 90/100 = 0.9 → 120/200 = 0.6; G was already behind (0.5)
    assert ch["benefits_fell_behind"]["benefit_id"].tolist() == ["F"]
    assert ch["new_high_risks"]["risk_id"].tolist() == ["hi"]


# -- traceability ---------------------------------------------------------------------------------

@pytest.mark.parametrize("metric", ["active_projects", "rag_green_share", "rag_red_share", "rag_missing_share",
                                    "stale_status_share", "avg_finish_slip_days", "on_time_delivery_rate"])
def test_kpi_rows_reconcile_with_portfolio_figures(portfolio_db, metric):
    value = kpis.compute_kpis(portfolio_db, M)[metric]
    rows = lineage.kpi_rows(portfolio_db, metric, M)
    if metric == "active_projects":
        assert len(rows) == value
    elif metric == "avg_finish_slip_days":
        assert rows["finish_slip_days"].mean() == approx(value)
    else:
        assert rows["counted"].sum() / len(rows) == approx(value)


def test_kpi_rows_show_projects_behind_cpi(evm_db):
    rows = lineage.kpi_rows(evm_db, "cpi", M)
    assert sorted(rows["project_id"]) == ["A", "B", "C"]
    assert rows["ev"].sum() / rows["ac"].sum() == approx(1300 / 970)
    assert rows["eac"].sum() == approx(kpis.compute_kpis(evm_db, M)["eac"])


def test_kpi_rows_resources(resource_db):
    rows = lineage.kpi_rows(resource_db, "overallocated_resources", M)
    assert sorted(rows.loc[rows["counted"], "resource_id"]) == ["R1", "R3", "R4"]
    rows = lineage.kpi_rows(resource_db, "utilization", M)
    assert rows["hours"].sum() / rows["capacity_hours"].sum() == approx(164 / 334)


def test_compute_kpis_returns_every_metric_with_plain_types(evm_db):
    k = kpis.compute_kpis(evm_db, M)
    assert list(k) == list(METRICS)
    for key, value in k.items():
        assert value is None or type(value) in (int, float), key
    assert type(k["active_projects"]) is int


# -- months outside the span of the data (marts/project_month_facts.sql) ---------------------------

def test_months_past_the_last_data_read_the_final_state():
    con = make_db({
        "projects": [project("A", start_date="2024-01-01", baseline_finish_date="2024-06-30"),
                     project("B", start_date="2024-01-01", actual_finish_date="2026-01-15",
                             stage="closing")],
        "status_reports": [report("A", "2024-01-31", "red", 10.0)],
        "financials": [cost("A", "2024-01", 100, 90), cost("A", "2024-02", 50, 40)],
    })
    # 2024-02: A's report is 29 days old (fresh); 2024-03: 60 days (stale)
    assert kpis.compute_kpis(con, Filters(as_of="2024-02"))["stale_status_share"] == 0.5   # B has none
    assert kpis.compute_kpis(con, Filters(as_of="2024-03"))["stale_status_share"] == 1.0
    late = kpis.compute_kpis(con, Filters(as_of="2025-12"))
    # both still active (A never finished; B finishes 2026-01-15); A keeps its red report and costs
    assert late["active_projects"] == 2
    assert late["rag_red_share"] == 0.5
    assert (late["planned_value"], late["actual_cost"], late["earned_value"]) == (150, 130, 100)
    # nothing booked in 2025: year-to-date is 0; in 2024 it was everything
    assert (late["budget_ytd"], late["actual_cost_ytd"]) == (0, 0)
    assert kpis.compute_kpis(con, Filters(as_of="2024-11"))["budget_ytd"] == 150
    # B has finished by 2026-01-31
    assert kpis.compute_kpis(con, Filters(as_of="2026-01"))["active_projects"] == 1
    assert kpis.compute_kpis(con, Filters(as_of="2030-06"))["active_projects"] == 1
    # long before anything: nothing
    early = kpis.compute_kpis(con, Filters(as_of="2019-01"))
    assert early["active_projects"] == 0 and early["planned_value"] == 0 and early["earned_value"] is None


def test_benefits_past_their_last_measurement():
    con = make_db({
        "projects": [project("A")],
        "benefits": [benefit("B", "A")],
        "benefit_measurements": [measurement("B", "2024-01", 100, 50), measurement("B", "2024-02", 200, None)],
    })
    k = kpis.compute_kpis(con, Filters(as_of="2027-01"))
    assert (k["benefits_planned_to_date"], k["benefits_realized_to_date"], k["benefits_at_risk"]) == (200, 50, 1)
    k = kpis.compute_kpis(con, Filters(as_of="2023-12"))
    # before the first measurement there is nothing planned or realised to report: no data, not 0
    assert (k["benefits_planned_to_date"], k["benefits_realized_to_date"], k["benefits_at_risk"]) == (None, None, 0)


# -- a second, independent implementation (tests/oracle.py) --------------------------------------

_DAYS = ["2023-11-20", "2023-12-31", "2024-01-01", "2024-01-31", "2024-02-15", "2024-02-29", "2024-03-01",
         "2024-03-31", "2024-05-10", "2024-08-31", "2025-01-15"]
_MONTHS = ["2023-11", "2023-12", "2024-01", "2024-02", "2024-03", "2024-04", "2024-06", "2024-09", "2025-01",
           "2025-02", "2026-03"]


@st.composite
def warehouses(draw):
    """Small random warehouses over a few months, with every kind of row the KPIs read."""
    day, month = st.sampled_from(_DAYS), st.sampled_from(_MONTHS)
    money = st.one_of(st.just(0.0), st.floats(-50, 5000, allow_nan=False).map(lambda x: round(x, 2)))
    n = draw(st.integers(1, 5))
    tables = {k: [] for k in ("projects", "status_reports", "financials", "milestones", "resources",
                              "allocations", "timesheets", "benefits", "benefit_measurements",
                              "maturity_assessments", "gate_reviews", "change_requests", "pmo_costs")}
    for i in range(n):
        pid = f"P{i}"
        start = draw(day)
        finish = draw(st.one_of(st.none(), day))
        finish = finish if finish is None or finish >= start else None
        baseline = draw(day)
        baseline = baseline if baseline >= start else start
        tables["projects"].append(project(
            pid, portfolio=draw(st.sampled_from(["X", "Y"])), business_unit=draw(st.sampled_from(["U", "V"])),
            stage=draw(st.sampled_from(["execution", "closed", "idea", "cancelled", "on_hold"])),
            start_date=start, actual_finish_date=finish, baseline_finish_date=baseline,
            forecast_finish_date=draw(st.one_of(st.none(), st.just(baseline), day.filter(lambda d: d >= start))),
            budget_at_completion=draw(st.floats(0, 1e5, allow_nan=False))))
        for d in draw(st.sets(day, max_size=3)):
            tables["status_reports"].append(report(pid, d, draw(st.sampled_from(["green", "amber", "red"])),
                                                   draw(st.one_of(st.none(), st.floats(0, 100, allow_nan=False)))))
        for period in draw(st.sets(month, max_size=3)):
            tables["financials"].append(cost(pid, period, draw(money).__abs__(), draw(st.one_of(st.none(), money))))
        for j in range(draw(st.integers(0, 2))):
            tables["milestones"].append(milestone(pid, draw(day), actual_date=draw(st.one_of(st.none(), day)),
                                                  milestone_id=f"{pid}m{j}", is_gate=draw(st.booleans())))
        for j in range(draw(st.integers(0, 2))):
            tables["gate_reviews"].append(dict(gate_review_id=f"{pid}g{j}", project_id=pid, review_date=draw(day),
                                               decision=draw(st.sampled_from(c.GATE_DECISIONS))))
        for j in range(draw(st.integers(0, 2))):
            raised = draw(day)
            decided = draw(st.one_of(st.none(), st.sampled_from([d for d in _DAYS if d >= raised])))
            tables["change_requests"].append(dict(
                change_id=f"{pid}c{j}", project_id=pid, category="scope", title="t", raised_date=raised,
                decided_date=decided, decision=None if decided is None else draw(st.sampled_from(c.CHANGE_DECISIONS)),
                decided_at=None if decided is None else draw(st.one_of(st.none(), st.sampled_from(c.DECISION_LEVELS))),
                cost_impact=draw(st.one_of(st.none(), money))))
        for j in range(draw(st.integers(0, 2))):
            bid = f"{pid}b{j}"
            base = draw(st.sampled_from([0.0, 10.0]))
            tables["benefits"].append(benefit(bid, pid, baseline_value=base,
                                              category=draw(st.sampled_from(["financial", "non_financial"]))))
            for period in draw(st.sets(month, max_size=3)):
                tables["benefit_measurements"].append(measurement(
                    bid, period, draw(st.sampled_from([base, 20.0, 100.0])),
                    draw(st.one_of(st.none(), st.sampled_from([0.0, 5.0, 18.0, 90.0])))))
    for r in range(draw(st.integers(0, 3))):
        rid = f"R{r}"
        start = draw(day)
        end = draw(st.one_of(st.none(), day))
        tables["resources"].append(resource(rid, department=draw(st.sampled_from(["IT", "Ops"])),
                                            employment_type=draw(st.sampled_from(["employee", "contractor"])),
                                            start_date=start, end_date=end if end is None or end >= start else None,
                                            weekly_capacity_hours=draw(st.sampled_from([20.0, 37.5, 40.0]))))
        for d in draw(st.sets(day, max_size=3)):
            tables["timesheets"].append(timesheet(rid, "P0", d, draw(st.sampled_from([1.0, 7.5, 12.0]))))
        for period in draw(st.sets(month, max_size=2)):
            tables["allocations"].append(allocation(rid, "P0", period, draw(st.sampled_from([0.0, 40.0, 200.0]))))
    for period, category in draw(st.sets(st.tuples(month, st.sampled_from(["staff", "tools"])), max_size=3)):
        tables["pmo_costs"].append(dict(period=period, cost_category=category, planned_cost=10.0,
                                        actual_cost=draw(st.one_of(st.none(), money))))
    for a in range(draw(st.integers(0, 3))):
        assessed_on, unit = draw(day), draw(st.sampled_from(["U", "V"]))
        for domain in draw(st.sets(st.sampled_from(["governance", "talent"]), min_size=1)):
            tables["maturity_assessments"].append(assessment(
                f"A{a}", assessed_on, unit, domain, "c1", draw(st.sampled_from([1.0, 1.4, 1.8, 2.8, 3.0, 4.5]))))
    return tables


@given(tables=warehouses(), as_of=st.sampled_from(_MONTHS + ["2019-06", "2031-01"]),
       filters=st.sampled_from([Filters(), Filters(portfolios=("X",)), Filters(business_units=("V",)),
                                Filters(departments=("IT",))]))
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_engine_agrees_with_a_literal_pandas_reading_of_the_contract(tables, as_of, filters):
    con = make_db(tables)
    f = filters.with_as_of(as_of)
    engine = kpis.compute_kpis(con, f)
    naive = naive_kpis(read_tables(con), f)
    assert compare(engine, naive) == []


# -- the published database is read-only ------------------------------------------------------------

def test_every_call_works_on_a_read_only_attached_database(tmp_path):
    import duckdb

    path = tmp_path / "pmo.duckdb"
    writer = duckdb.connect(str(path))
    make_db({
        "projects": [project("A", program="G"), project("B", stage="closed", actual_finish_date="2024-02-01")],
        "status_reports": [report("A", "2024-03-05", "amber", 40.0), report("A", "2024-02-05", "green", 30.0)],
        "financials": [cost("A", "2024-03", 100, 90)],
        "milestones": [milestone("A", "2024-03-10")],
        "risks": [risk("A", 5, 5, "2024-03-02")],
        "resources": [resource("R")], "timesheets": [timesheet("R", "A", "2024-03-04", 8.0)],
        "benefits": [benefit("X", "A")], "benefit_measurements": [measurement("X", "2024-03", 10, 5)],
        "maturity_assessments": [assessment("M", "2024-01-01", "Retail", "talent", "t", 3.0, 4.0)],
    }, con=writer)
    writer.close()
    con = duckdb.connect()
    con.execute("ATTACH ? AS pmo (READ_ONLY)", [str(path)])
    con.execute("USE pmo")
    f = Filters()
    assert kpis.default_as_of(con) == "2024-03"
    assert kpis.compute_kpis(con, f)["active_projects"] == 1
    assert len(kpis.compare_kpis(con, f)) == len(METRICS)
    for metric in METRICS:
        kpis.kpi_series(con, metric, f)
        lineage.kpi_rows(con, metric, f)
        by = METRICS[metric].breakdowns[0]
        kpis.kpi_breakdown(con, metric, f, by)
    assert len(kpis.project_table(con, f)) == 2
    assert len(kpis.evm_curve(con, f, project_id="A")) == 3
    changes = changes_since_last_month(con, f)
    assert changes["rag_moves"]["to"].tolist() == ["amber"]
    assert kpis.filter_options(con)["programs"] == ["G"]
    assert len(maturity.scores(con, f)) == 1 and len(maturity.history(con, f)) == 1
    with pytest.raises(Exception):
        con.execute("CREATE TABLE pmo.main.x (i INTEGER)")   # truly read-only


def test_database_without_marts_is_refused_with_a_reason():
    import duckdb

    from pmo_metrics.marts import MartsMissing

    con = duckdb.connect()
    with pytest.raises(MartsMissing, match="marts"):
        kpis.compute_kpis(con, Filters(as_of="2024-03"))
    with pytest.raises(MartsMissing):
        kpis.default_as_of(con)


# -- filters and months ---------------------------------------------------------------------------

def test_filters_normalise_and_validate():
    from pmo_metrics.filters import month_add, month_end, months_between, previous_month

    f = Filters(as_of="2024-03", portfolios=["B", "A", "A"], departments="IT")
    assert f.as_of == "2024-03" and f.portfolios == ("A", "B") and f.departments == ("IT",)
    assert hash(f) == hash(Filters(as_of="2024-03", portfolios=("B", "A"), departments=("IT",)))
    assert f.previous().as_of == "2024-02" and f.with_as_of(None).as_of is None
    for bad in ("2024-13", "2024-00", "2024-3", "24-01", "March", "2024-01-01"):
        with pytest.raises(ValueError):
            Filters(as_of=bad)
    assert previous_month("2024-01") == "2023-12" and month_add("2023-11", 3) == "2024-02"
    assert month_end("2024-02") == dt.date(2024, 2, 29) and month_end("2023-02") == dt.date(2023, 2, 28)
    assert months_between("2023-11", "2024-02") == ["2023-11", "2023-12", "2024-01", "2024-02"]
    assert months_between("2024-02", "2024-01") == []
