"""The Forecasts page's tables: the forecast table adds up to the forecast cards for every demo
month, the backtest rows to the coverage card; the roadmap, the risk heatmap's cells, the exposure
trend and a project's projections on hand-worked rows."""
from __future__ import annotations

import pandas as pd
import pytest

from builders import cost, make_db, milestone, project, report, risk
from pmo_metrics import kpis
from pmo_metrics.db import Warehouse
from pmo_metrics.filters import Filters
from pmo_metrics.views import forecasts

approx = pytest.approx
M = Filters(as_of="2024-03")


@pytest.fixture(scope="module")
def cur(demo_warehouse):
    con = Warehouse(demo_warehouse.db).cursor()
    yield con
    con.close()


def test_the_forecast_table_adds_up_to_the_cards_in_every_demo_month(cur):
    months = kpis.available_months(cur)
    checked = 0
    for month in months[::3] + [months[-1]]:
        f = Filters(as_of=month)
        card = kpis.compute_kpis(cur, f)
        table = forecasts.forecast_table(cur, f)
        assert len(table) == card["active_projects"], month
        with_es = table.dropna(subset=["earned_schedule"])
        spi_t = with_es["earned_schedule"].sum() / with_es["actual_time"].sum() if len(with_es) else None
        assert (card["spi_t"] is None) == (spi_t is None), month
        if spi_t is not None:
            assert card["spi_t"] == approx(spi_t), month
        exposure = table["cost_exposure_p80"].dropna()
        assert card["rcf_cost_exposure_p80"] == (approx(exposure.sum()) if len(exposure) else None), month
        optimism = table["optimism_days"].dropna()
        assert card["forecast_optimism_days"] == (approx(optimism.mean()) if len(optimism) else None), month
        rows = forecasts.backtest_rows(cur, f)
        assert card["rcf_p80_coverage"] == (approx(rows["covered"].mean()) if len(rows) else None), month
        checked += card["rcf_p80_coverage"] is not None
    assert checked > 0                      # the demo's record is long enough to backtest


def test_the_roadmap_lists_active_projects_by_program_with_their_milestones():
    con = make_db({
        "projects": [project("A", program="Zeta", start_date="2024-01-01"),
                     project("B", program="Alpha", start_date="2024-02-01"),
                     project("C", program="Alpha", start_date="2024-01-15"),
                     project("D", stage="closed", start_date="2023-01-01", actual_finish_date="2023-12-01")],
        "milestones": [milestone("C", "2024-02-01", actual_date="2024-02-05", is_gate=True),
                       milestone("C", "2024-06-01", forecast_date="2024-06-20"),
                       milestone("D", "2023-06-01")],
    })
    bars, marks = forecasts.roadmap(con, M)
    assert bars["project_id"].tolist() == ["C", "B", "A"]              # Alpha by start, then Zeta
    assert forecasts.active_count(con, M) == 3
    assert forecasts.roadmap(con, M, limit=2)[0]["project_id"].tolist() == ["C", "B"]
    by_name = marks.set_index("baseline_date")
    assert by_name.loc[pd.Timestamp("2024-02-01"), "marker_date"] == pd.Timestamp("2024-02-05")   # achieved
    assert by_name.loc[pd.Timestamp("2024-06-01"), "marker_date"] == pd.Timestamp("2024-06-20")   # forecast
    assert set(marks["project_id"]) == {"C"}                            # D is not on the roadmap


def test_open_risks_their_cells_and_the_exposure_trend():
    con = make_db({
        "projects": [project("A"), project("B", portfolio="Other")],
        "risks": [risk("A", 5, 4, "2024-01-10", risk_id="R1"), risk("A", 5, 4, "2024-02-10", risk_id="R2"),
                  risk("A", 2, 2, "2024-01-10", status="closed", closed_date="2024-03-15", risk_id="R3"),
                  risk("B", 1, 1, "2024-01-10", risk_id="R4")],
    })
    # at end(2024-03): R1, R2 (20 each) and R4 (1) open; R3 closed on 03-15
    risks = forecasts.open_risks(con, M)
    assert sorted(risks["risk_id"]) == ["R1", "R2", "R4"]
    cells = forecasts.risk_cells(risks)
    assert cells.iloc[0].tolist() == [5, 4, 20, 2]
    assert forecasts.risks_in_cell(risks, 5, 4)["risk_id"].tolist() == ["R1", "R2"]
    assert forecasts.cell_position(cells, 1, 1) == 1 and forecasts.cell_position(cells, 3, 3) is None
    trend = forecasts.risk_exposure_trend(con, Filters(as_of="2024-03", portfolios=("Core",))).set_index("month")
    # Core = A only. Jan: R1 + R3 = 20 + 4; Feb: + R2 = 44; Mar: R3 closed = 40. High (≥ 15): 1, 2, 2
    assert trend.loc[["2024-01", "2024-02", "2024-03"], "exposure"].tolist() == [24, 44, 40]
    assert trend.loc[["2024-01", "2024-02", "2024-03"], "high_risks"].tolist() == [1, 2, 2]


def test_projections_run_from_the_latest_ev_to_the_budget():
    # A: PV(1..4) = 100, 200, 400, 500 (N = 4), EV at M = 250: ES = 2.25, AT = 3, SPI(t) = 0.75,
    # duration 4 / 0.75 = 5.33 months: 5 months and 0.33 × 30.4375 ≈ 10 days after 2024-01-01
    con = make_db({
        "projects": [project("A", start_date="2024-01-01", budget_at_completion=500.0)],
        "status_reports": [report("A", "2024-03-20", percent_complete=50)],
        "financials": [cost("A", "2024-01", 100), cost("A", "2024-02", 100), cost("A", "2024-03", 200),
                       cost("A", "2024-04", 100)],
    })
    curve, lines = forecasts.projections(con, M, "A")
    assert curve["month"].iloc[-1] == "2024-03" and curve["ev"].iloc[-1] == approx(250.0)
    assert lines["name"].tolist() == ["Earned-schedule forecast"]        # too few finished projects for a class
    line = lines.iloc[0]
    assert (line["value_from"], line["value_to"]) == (250.0, 500.0)
    assert line["date_from"] == pd.Timestamp("2024-03-31") and line["date_to"] == pd.Timestamp("2024-06-11")


def test_the_rag_mix_trend_is_the_rag_share_kpis(cur, demo_warehouse):
    f = Filters(as_of=demo_warehouse.as_of)
    trend = forecasts.rag_mix_trend(cur, f).set_index("month")
    card = kpis.compute_kpis(cur, f)
    for col in forecasts.RAG_SHARES:
        assert trend.loc[demo_warehouse.as_of, col] == approx(card[col])
    assert trend[list(forecasts.RAG_SHARES)].sum(axis=1).dropna().round(9).eq(1).all()
