"""The forecasts of CONTRACT §6 — earned schedule, reference-class forecasts and their backtest —
on a handful of rows whose answers are worked out by hand (the arithmetic is in the comments).
M is 2024-03 (end(M) = 2024-03-31) unless said otherwise."""
from __future__ import annotations

import datetime as dt

import pytest

from builders import cost, make_db, project, report
from pmo_metrics import kpis
from pmo_metrics.filters import Filters
from pmo_metrics.views import forecasts

M = Filters(as_of="2024-03")
approx = pytest.approx
D = dt.date.fromisoformat


def table(con, filters=M):
    return forecasts.forecast_table(con, filters).set_index("project_id")


# -- earned schedule ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def es_db():
    return make_db({
        "projects": [
            project("A", start_date="2024-01-01", budget_at_completion=500.0),
            project("B", start_date="2024-02-01", budget_at_completion=200.0),   # EV beyond total PV
            project("C", start_date="2024-01-01", budget_at_completion=600.0),   # EV = 0, nothing planned in s
            project("D", start_date="2024-01-01", budget_at_completion=100.0),   # EV = 0, planned from s
            project("E", start_date="2024-01-01", budget_at_completion=900.0),   # no financials rows
        ],
        "status_reports": [
            report("A", "2024-03-20", percent_complete=50), report("B", "2024-03-20", percent_complete=80),
            report("C", "2024-03-20", percent_complete=0), report("D", "2024-03-20", percent_complete=0),
            report("E", "2024-03-20", percent_complete=50),
        ],
        "financials": [
            cost("A", "2024-01", 100), cost("A", "2024-02", 100), cost("A", "2024-03", 200), cost("A", "2024-04", 100),
            cost("B", "2023-12", 50), cost("B", "2024-02", 50),
            cost("C", "2024-02", 300),
            cost("D", "2024-01", 100),
        ],
    })


def test_earned_schedule_interpolates_between_the_months_it_falls_between(es_db):
    # A: PV(1..4) = 100, 200, 400, 500, N = 4; EV = 500 × 50 % = 250: C = 2 (PV 200 ≤ 250 < 400),
    # ES = 2 + (250 − 200) / (400 − 200) = 2.25; AT = Jan..Mar = 3; SPI(t) = 0.75; duration 4 / 0.75
    a = table(es_db).loc["A"]
    assert a["earned_schedule"] == approx(2.25)
    assert a["actual_time"] == 3 and a["planned_months"] == 4
    assert a["project_spi_t"] == approx(0.75)
    assert a["es_duration_months"] == approx(4 / 0.75)


def test_ev_beyond_the_total_plan_earns_the_whole_schedule(es_db):
    # B: the December cost counts from the start month: PV(1) = 100 = total, N = 1; EV = 160 > 100:
    # C = N, ES = N = 1; AT = Feb..Mar = 2; SPI(t) = 0.5
    b = table(es_db).loc["B"]
    assert b["earned_schedule"] == approx(1.0) and b["planned_months"] == 1
    assert b["project_spi_t"] == approx(0.5)


def test_zero_ev_earns_the_months_in_which_nothing_was_planned(es_db):
    # C: PV(1) = 0, PV(2) = 300; EV = 0: C = 1, ES = 1 + 0 / 300 = 1. D: PV(1) = 100 > 0: C = 0,
    # ES = 0, SPI(t) = 0, so the earned-schedule duration is empty, not infinite
    t = table(es_db)
    assert t.loc["C", "earned_schedule"] == approx(1.0)
    assert t.loc["D", "earned_schedule"] == approx(0.0)
    assert t.loc["D", "project_spi_t"] == approx(0.0)
    assert t.loc["D", "es_duration_months"] != t.loc["D", "es_duration_months"]   # NaN: empty


def test_a_project_without_financials_has_no_earned_schedule_and_stays_out_of_spi_t(es_db):
    # E has EV but no PV curve; spi_t = Σ ES / Σ AT = (2.25 + 1 + 1 + 0) / (3 + 2 + 3 + 3) = 4.25 / 11
    assert table(es_db).loc["E", "earned_schedule"] != table(es_db).loc["E", "earned_schedule"]
    assert kpis.compute_kpis(es_db, M)["spi_t"] == approx(4.25 / 11)


def test_spi_t_is_broken_down_and_compared_like_every_kpi(es_db):
    by_project = kpis.kpi_breakdown(es_db, "spi_t", M, "project").set_index("group")["value"]
    assert by_project["A"] == approx(0.75) and by_project["B"] == approx(0.5)
    assert by_project["E"] != by_project["E"]                                      # empty, not 0
    # in February no project has a report with progress yet: no EV, so spi_t is empty (not 0)
    row = kpis.compare_kpis(es_db, M).set_index("id").loc["spi_t"]
    assert row["previous"] is None and row["value"] == approx(4.25 / 11)
    series = kpis.kpi_series(es_db, "spi_t", M, start="2024-02", end="2024-03")
    assert series["value"].isna().tolist() == [True, False]


def test_zero_planned_rows_give_a_one_month_plan():
    # F has a financials row but plans nothing: PV(1) = 0 = total, N = 1; EV = 50 ≥ 0: ES = N = 1;
    # AT = 3: SPI(t) = 1 / 3
    con = make_db({"projects": [project("F", start_date="2024-01-01", budget_at_completion=100.0)],
                   "status_reports": [report("F", "2024-03-20", percent_complete=50)],
                   "financials": [cost("F", "2024-02", 0, 40)]})
    assert kpis.compute_kpis(con, M)["spi_t"] == approx(1 / 3)


def test_without_progress_or_costs_spi_t_is_empty():
    con = make_db({"projects": [project("A")], "status_reports": [report("A", "2024-03-20")],
                   "financials": [cost("A", "2024-01", 100)]})
    assert kpis.compute_kpis(con, M)["spi_t"] is None


# -- reference-class forecasts -----------------------------------------------------------------------

CLASS_START = D("2020-01-01")          # baseline 100 days later: 2020-04-10
PREDICTIVE_DAYS = (100, 110, 120, 130, 140, 150, 160, 200)   # r = 1.0 … 1.6, 2.0


def finished(project_id, days, approach="predictive", actual=None):
    """A closed project of the reference class: baseline 100 days, finished after `days` days."""
    return project(project_id, stage="closed", start_date=CLASS_START.isoformat(), baseline_finish_date="2020-04-10",
                   actual_finish_date=(CLASS_START + dt.timedelta(days=days)).isoformat(),
                   delivery_approach=approach, budget_at_completion=1000.0)


def class_rows(predictive=PREDICTIVE_DAYS, agile=(300, 300, 300)):
    projects = [finished(f"R{i}", d) for i, d in enumerate(predictive)]
    projects += [finished(f"G{i}", d, approach="agile") for i, d in enumerate(agile)]
    # the first seven predictive members spent 900 … 1,500 of their 1,000 budget; R7 has no costs
    costs = [cost(f"R{i}", "2020-02", 0, 900.0 + 100 * i) for i in range(min(7, len(predictive)))]
    return projects, costs


@pytest.fixture(scope="module")
def rcf_db():
    projects, costs = class_rows()
    return make_db({
        "projects": projects + [
            project("P", start_date="2024-01-01", baseline_finish_date="2024-12-31", budget_at_completion=1000.0),
            project("Q", start_date="2024-01-01", baseline_finish_date="2024-04-10", forecast_finish_date="2024-04-30",
                    delivery_approach="agile", budget_at_completion=2000.0),
        ],
        "financials": costs,
    })


def test_quantiles_of_a_small_class_interpolate_between_order_statistics(rcf_db):
    # P is predictive and its class has 8 members, r = 1.0 … 1.6, 2.0: r50 = (1.3 + 1.4) / 2 = 1.35,
    # r80 at position 0.8 × 7 = 5.6: 1.5 + 0.6 × 0.1 = 1.56. Baseline 365 days: P50 = start +
    # round(492.75) = 493 days = 2025-05-08; P80 = start + round(569.4) = 569 days = 2025-07-23
    p = table(rcf_db).loc["P"]
    assert p["class_kind"] == "approach" and p["class_size"] == 8
    assert p["rcf_finish_p50"].date() == D("2025-05-08")
    assert p["rcf_finish_p80"].date() == D("2025-07-23")
    # costs: seven members with c = 0.9 … 1.5 (R7 has none): c80 at 0.8 × 6 = 4.8: 1.3 + 0.8 × 0.1 = 1.38
    assert p["cost_class_size"] == 7
    assert p["rcf_cost_p80"] == approx(1380.0)
    assert p["optimism_days"] == 493 - 365


def test_a_small_approach_falls_back_to_every_approach(rcf_db):
    # Q is agile: 3 agile members < 8, so all 11: r = 1.0 … 1.6, 2.0, 3, 3, 3: r50 = 1.5 (6th), r80 at
    # 0.8 × 10 = 8: 3.0. Baseline 100 days: P50 = start + 150 = 2024-05-30, P80 = start + 300 days
    q = table(rcf_db).loc["Q"]
    assert q["class_kind"] == "all" and q["class_size"] == 11
    assert q["rcf_finish_p50"].date() == D("2024-01-01") + dt.timedelta(days=150)
    assert q["rcf_finish_p80"].date() == D("2024-01-01") + dt.timedelta(days=300)
    # its own forecast is 2024-04-30 (day 120): optimism = 150 − 120 = 30 days
    assert q["optimism_days"] == 30
    assert q["rcf_cost_p80"] == approx(1.38 * 2000)


def test_portfolio_forecast_kpis_sum_and_average_the_projects(rcf_db):
    values = kpis.compute_kpis(rcf_db, M)
    # exposure = (1.38 × 1000 − 1000) + (1.38 × 2000 − 2000) = 380 + 760
    assert values["rcf_cost_exposure_p80"] == approx(1140.0)
    # optimism = mean(128, 30)
    assert values["forecast_optimism_days"] == approx(79.0)


def test_filters_do_not_narrow_the_reference_class(rcf_db):
    # the class members sit in the same portfolio; selecting another one keeps P's class intact
    con = make_db({"projects": [*class_rows()[0], project("P", portfolio="Other", start_date="2024-01-01",
                                                           baseline_finish_date="2024-12-31")]})
    t = table(con, Filters(as_of="2024-03", portfolios=("Other",)))
    assert list(t.index) == ["P"] and t.loc["P", "class_size"] == 8


def test_too_few_finished_projects_give_no_forecast():
    # 7 finished in all (< 8): no class, so no forecast, and the KPIs are empty rather than 0
    projects, costs = class_rows(predictive=PREDICTIVE_DAYS[:7], agile=())
    con = make_db({"projects": projects + [project("P", start_date="2024-01-01")], "financials": costs})
    p = table(con).loc["P"]
    assert p["class_kind"] is None or p["class_kind"] != p["class_kind"]
    values = kpis.compute_kpis(con, M)
    assert values["rcf_cost_exposure_p80"] is None and values["forecast_optimism_days"] is None


def test_cost_ratios_know_only_the_costs_booked_by_m():
    # the same class, but every member's cost is booked after M: no cost forecast (no hindsight)
    projects, _ = class_rows()
    late = [cost(f"R{i}", "2024-06", 0, 1000.0) for i in range(7)]
    con = make_db({"projects": projects + [project("P", start_date="2024-01-01")], "financials": late})
    assert table(con).loc["P", "rcf_finish_p50"] is not None
    assert kpis.compute_kpis(con, M)["rcf_cost_exposure_p80"] is None
    assert kpis.compute_kpis(con, Filters(as_of="2024-06"))["rcf_cost_exposure_p80"] is not None


# -- the backtest --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def backtest_db():
    projects, _ = class_rows(agile=())
    return make_db({"projects": projects + [
        # X: class as of 2022-12 = the 8 predictive members, r80 = 1.56: P80 = 2023-01-01 + 156 days =
        # 2023-06-06; it finished 2023-06-01: covered
        project("X", stage="closed", start_date="2023-01-01", baseline_finish_date="2023-04-11",
                actual_finish_date="2023-06-01"),
        # Y: baseline 100 days, P80 = start + 156 days = 2023-07-07; finished after 200 days: missed
        project("Y", stage="closed", start_date="2023-02-01", baseline_finish_date="2023-05-12",
                actual_finish_date="2023-08-20"),
        # Z started before any class existed: not judged
        project("Z", stage="closed", start_date="2020-01-15", baseline_finish_date="2023-06-30",
                actual_finish_date="2023-07-01"),
        # W finished before the window (after end(2023-03) up to end(2024-03)): not judged
        project("W", stage="closed", start_date="2023-01-01", baseline_finish_date="2023-02-01",
                actual_finish_date="2023-03-31"),
    ]})


def test_backtest_judges_each_finish_by_the_class_known_before_it_started(backtest_db):
    rows = forecasts.backtest_rows(backtest_db, M).set_index("project_id")
    assert sorted(rows.index) == ["X", "Y"]
    assert rows.loc["X", "rcf_finish_p80"].date() == D("2023-06-06") and rows.loc["X", "covered"]
    assert not rows.loc["Y", "covered"]
    assert kpis.compute_kpis(backtest_db, M)["rcf_p80_coverage"] == approx(0.5)
    result = forecasts.backtest(backtest_db, M)
    assert (result["projects"], result["covered"]) == (2, 1)
    assert "50 % of the 2 projects" in result["sentence"]


def test_backtest_window_moves_with_m(backtest_db):
    # as of 2024-07 the window starts after 2023-07-31: only Y (finished 2023-08-20) is judged
    assert kpis.compute_kpis(backtest_db, Filters(as_of="2024-07"))["rcf_p80_coverage"] == approx(0.0)
    # as of 2025-12 nothing finished in the window: empty, and the sentence says there is no record
    assert kpis.compute_kpis(backtest_db, Filters(as_of="2025-12"))["rcf_p80_coverage"] is None
    assert "no track record" in forecasts.backtest(backtest_db, Filters(as_of="2025-12"))["sentence"]


def test_the_rows_behind_the_forecast_kpis_add_up_to_them(es_db, rcf_db, backtest_db):
    from pmo_metrics import lineage

    rows = lineage.kpi_rows(es_db, "spi_t", M)
    counted = rows[rows["counted"]]
    assert sorted(counted["project_id"]) == ["A", "B", "C", "D"]              # E has no financials
    assert counted["earned_schedule"].sum() / counted["actual_time"].sum() == approx(4.25 / 11)
    exposure = lineage.kpi_rows(rcf_db, "rcf_cost_exposure_p80", M)
    assert (exposure["rcf_cost_p80"] - exposure["bac"])[exposure["counted"]].sum() == approx(1140.0)
    judged = lineage.kpi_rows(backtest_db, "rcf_p80_coverage", M)
    assert judged["project_id"].tolist() == ["X", "Y"] and judged["counted"].tolist() == [True, False]


def test_rows_behind_a_figure_name_their_source_file_and_row(demo_warehouse):
    from pmo_metrics import lineage
    from pmo_metrics.db import Warehouse

    cur = Warehouse(demo_warehouse.db).cursor()
    try:
        f = Filters(as_of=demo_warehouse.as_of)
        for metric_id, source in (("active_projects", "projects.csv"), ("milestone_on_time_rate", "milestones.csv"),
                                  ("benefits_at_risk", "benefits.csv"), ("utilization", "resources.csv")):
            rows = lineage.kpi_rows_with_sources(cur, metric_id, f)
            assert len(rows) and set(rows["source_file"]) == {source}, metric_id
            assert rows["source_row"].notna().all() and rows["load_id"].nunique() == 1, metric_id
        # maturity rows are business unit × domain scores: nothing to trace them to, and nothing made up
        assert "source_file" not in lineage.kpi_rows_with_sources(cur, "maturity_score", f).columns
    finally:
        cur.close()


def test_rows_of_a_warehouse_built_without_lineage_columns_stay_as_they_are(es_db):
    from pmo_metrics import lineage

    rows = lineage.kpi_rows_with_sources(es_db, "spi_t", M)
    assert "source_file" not in rows.columns and len(rows) == 5
