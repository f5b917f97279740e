"""The resources page's tables (pmo_metrics.views.resources) on the tiny seeded warehouse (M = 2025-06)."""
from __future__ import annotations

import math

import pytest

from builders import make_db, records, resource, timesheet
from pmo_metrics import kpis
from pmo_metrics.filters import Filters
from pmo_metrics.views import resources

M = "2025-06"
F = Filters(as_of=M)


def test_resources_by_department(tiny_db):
    rows = records(resources.by_group(tiny_db, F, "department"), "key")
    # June 2025 has 21 weekdays: capacity = weekly hours × 21 / 5
    assert rows["IT"]["capacity_hours"] == pytest.approx(40 * 21 / 5)
    assert rows["IT"]["hours"] == 7.5 + 8 + 4 and rows["IT"]["planned_hours"] == 80
    assert rows["IT"]["utilization"] == pytest.approx(19.5 / 168)
    assert rows["HR"]["overallocated"] == 1 and rows["HR"]["allocation_rate"] == pytest.approx(100 / 84)
    hr_only = resources.by_group(tiny_db, Filters(as_of=M, departments=("HR",)), "department")
    assert hr_only["key"].tolist() == ["HR"]


def test_hours_booked_outside_employment_stay_in_the_department_table():
    # R2 left in May but booked 6 h in June: no capacity in June, yet the utilisation card counts
    # the hours (19.5 + 6 over R1's 168 h), so the department table must too
    con = make_db({"resources": [resource("R1", department="IT"),
                                 resource("R2", department="Ops", end_date="2025-05-31")],
                   "timesheets": [timesheet("R1", "P1", "2025-06-02", 19.5), timesheet("R2", "P1", "2025-06-03", 6)]})
    rows = records(resources.by_group(con, F, "department"), "key")
    assert rows["Ops"]["capacity_hours"] == 0 and rows["Ops"]["hours"] == 6 and rows["Ops"]["people"] == 1
    assert math.isnan(rows["Ops"]["utilization"])
    card = kpis.compute_kpis(con, F)["utilization"]
    assert card == pytest.approx((19.5 + 6) / 168)
    assert sum(r["hours"] for r in rows.values()) / sum(r["capacity_hours"] for r in rows.values()) \
        == pytest.approx(card)


def test_overallocated_people(tiny_db):
    frame = resources.overallocated_people(tiny_db, F)
    assert frame["resource_id"].tolist() == ["R2"]
    assert frame["over_by_hours"].iloc[0] == pytest.approx(100 - 84)
    assert frame["projects"].iloc[0] == "Ledger (100 h)"
    scoped = resources.overallocated_people(tiny_db, F, name_units=("Retail",))
    assert scoped["projects"].iloc[0] == "other business units (100 h)"   # Ledger belongs to Finance


def test_resources_by_month_stops_booked_hours_at_the_month(tiny_db):
    frame = resources.by_month(tiny_db, F, months=2, ahead=1)
    assert frame["month"].tolist() == ["2025-05", "2025-06", "2025-07"]
    assert frame["hours"].tolist()[:2] == [6, 24.5] and math.isnan(frame["hours"].iloc[2])
    assert frame["is_future"].tolist() == [False, False, True]


def test_heatmap_is_the_allocation_rate_per_group_and_month(tiny_db):
    frame = resources.heatmap(tiny_db, F, "department", months=2, ahead=0)
    june = frame[frame["month"] == M].set_index("key")["value"]
    assert june["HR"] == pytest.approx(100 / 84) and june["IT"] == pytest.approx(80 / 168)
