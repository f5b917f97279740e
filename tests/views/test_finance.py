"""The finance page's tables (pmo_metrics.views.finance) on the tiny seeded warehouse (M = 2025-06)."""
from __future__ import annotations

import math

from builders import records
from pmo_metrics.filters import Filters
from pmo_metrics.formatting import NO_GROUP
from pmo_metrics.views import finance

M = "2025-06"
F = Filters(as_of=M)


def test_finance_by_portfolio(tiny_db):
    rows = records(finance.by_group(tiny_db, F, "portfolio"), "key")
    assert set(rows) == {"Digital", "Back office"}  # P4 is an idea: never selected
    digital = rows["Digital"]
    assert digital["planned_to_date"] == 100 + 200 + 400
    assert digital["actual_to_date"] == 90 + 250 + 380
    assert digital["variance_to_date"] == 720 - 700
    assert digital["planned_ytd"] == 700 and digital["actual_ytd"] == 720
    assert digital["planned_total"] == 700 + 300
    assert digital["forecast_total"] == 720 + 350          # actuals to M, then the forecast for July
    assert digital["budget_at_completion"] == 1000 + 2000
    back = rows["Back office"]
    assert (back["planned_ytd"], back["actual_ytd"], back["forecast_total"]) == (0, 0, 480)


def test_finance_by_cost_category(tiny_db):
    rows = records(finance.by_group(tiny_db, F, "cost_category"), "key")
    assert rows["capex"]["planned_to_date"] == 500 and rows["capex"]["actual_to_date"] == 470
    assert rows["opex"]["planned_to_date"] == 700 and rows["opex"]["actual_to_date"] == 730
    assert math.isnan(rows["capex"]["budget_at_completion"])  # a budget is not split by category


def test_finance_by_objective_names_the_objective(tiny_db):
    labels = set(finance.by_group(tiny_db, F, "objective")["label"])
    assert labels == {"Grow online", NO_GROUP}


def test_finance_by_month(tiny_db):
    frame = finance.by_month(tiny_db, F, months=3, ahead=1)
    assert frame["period"].tolist() == ["2025-05", "2025-06", "2025-07"]
    assert frame["planned_cost"].tolist() == [100, 600, 300]
    assert frame["planned_cumulative"].tolist() == [100, 700, 1000]
    assert frame["actual_cumulative"].tolist()[:2] == [90, 720]
    assert math.isnan(frame["actual_cumulative"].iloc[2])  # no actuals after M
    assert frame["is_future"].tolist() == [False, False, True]


def test_largest_variances_are_the_project_tables_figures(tiny_db):
    frame = finance.largest_variances(tiny_db, F).set_index("project_id")
    assert set(frame.index) == {"P1", "P2"}                  # the active projects
    # P2: EV = 200, AC = 380, CPI = 200 / 380; EAC = BAC / CPI = 3800; VAC = 2000 − 3800
    assert frame.loc["P2", "eac"] == 3800 and frame.loc["P2", "vac"] == -1800
    assert frame.loc["P2", "spend_variance"] == 380 - 400
    assert frame.index[0] == "P2"                            # |VAC| 1800 beats P1's
