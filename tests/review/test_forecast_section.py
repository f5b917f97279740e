"""The review's Forecast section on hand-worked rows: the projects whose P80 finish moved since the
previous month, the early warnings, and the backtest said beside them."""
from __future__ import annotations

import datetime as dt

from builders import cost, make_db, project, report
from pmo_metrics.filters import Filters
from pmo_metrics.review import build_review
from pmo_metrics.review.forecast import forecast_moves

START = dt.date(2020, 1, 1)
DAYS = (100, 110, 120, 130, 140, 150, 160, 200)        # r = 1.0 … 1.6, 2.0: r80 = 1.56


def db():
    members = [project(f"R{i}", stage="closed", start_date=START.isoformat(), baseline_finish_date="2020-04-10",
                       actual_finish_date=(START + dt.timedelta(days=d)).isoformat()) for i, d in enumerate(DAYS)]
    # a ninth member finishes in March 2024 after 300 of 100 planned days: the class of 2024-03 has
    # r80 at 0.8 × 8 = 6.4 between 1.6 and 2.0: 1.76 (February's: 1.56)
    late_start = dt.date(2023, 5, 15)
    members.append(project("R8", stage="closed", start_date=late_start.isoformat(),
                           baseline_finish_date=(late_start + dt.timedelta(days=100)).isoformat(),
                           actual_finish_date=(late_start + dt.timedelta(days=300)).isoformat()))
    return make_db({
        "projects": members + [project("P", start_date="2024-01-01", baseline_finish_date="2024-12-31")],
        "status_reports": [report("P", "2024-02-28", percent_complete=10), report("P", "2024-03-28", percent_complete=20)],
        "financials": [cost("P", f"2024-{m:02d}", 100) for m in range(1, 11)],
    })


def test_forecast_moves_compare_the_p80_with_the_previous_month():
    con = db()
    moves = forecast_moves(con, Filters(as_of="2024-03"), "2024-02").set_index("project_id")
    # P: baseline 365 days; P80 = start + round(1.56 × 365 = 569.4) = 569 days in February,
    # start + round(1.76 × 365 = 642.4) = 642 days in March: 73 days later
    assert list(moves.index) == ["P"]
    assert moves.loc["P", "finish_days"] == 73
    assert moves.loc["P", "p80"] == dt.datetime(2024, 1, 1) + dt.timedelta(days=642)


def test_the_review_has_a_forecast_section_with_its_backtest():
    review = build_review(db(), Filters(as_of="2024-03"))
    assert review.keys[-2:] == ["forecast", "data_quality"]
    s = review.section("forecast")
    moved = s.tables[1].frame
    assert moved["ID"].tolist() == ["P"] and moved["Moved"].tolist() == ["73 days later"]
    # R8 finished in the window but started when the class (as of 2023-04) had 8 members: judged.
    # Its P80 = start + round(1.56 × 100) = 156 days; it took 300: not covered
    assert s.points[0].startswith("P80 forecasts covered 0 % of the 1 project that finished")
    assert "early warning" in s.message and s.chart is not None
