"""Early-warning signals: each fires on a minimal fixture and stays quiet on its near miss; the
outcomes they are judged by; and precision and lift computed on a hand-made history."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from builders import cost, make_db, milestone, project, report
from pmo_metrics.filters import Filters
from pmo_metrics.queries import run
from pmo_metrics import kpis
from pmo_metrics.views import early_warning as ew

approx = pytest.approx
T = ew.WarningThresholds()


def fired(con, month, signal_id, t=T):
    found = ew.early_warnings(con, Filters(as_of=month), t)
    return found[found["signal_id"] == signal_id].set_index("project_id")


def monthly_plan(project_id, months=10, amount=100.0):
    return [cost(project_id, f"2024-{m:02d}", amount) for m in range(1, months + 1)]


# -- SPI(t) falling ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def falling_db():
    # PV(t) = 100 t over 10 months, BAC 1,000, so EV = 10 × percent and ES = percent / 10.
    # A: ES 1, 1.8, 2.4, 2.8 in Jan … Apr: SPI(t) 1.0, 0.9, 0.8, 0.7 — three falls by April.
    # B: the same until April, when ES = 3.2: SPI(t) 0.8 again, not a fall.
    pct = {"A": (10, 18, 24, 28), "B": (10, 18, 24, 32)}
    return make_db({
        "projects": [project(p, start_date="2024-01-01") for p in pct],
        "status_reports": [report(p, f"2024-{m + 1:02d}-25", percent_complete=v)
                           for p, values in pct.items() for m, v in enumerate(values)],
        "financials": monthly_plan("A") + monthly_plan("B"),
    })


def test_spi_t_falling_fires_after_three_falls_in_a_row(falling_db):
    found = fired(falling_db, "2024-04", "SPI_T_FALLING")
    assert list(found.index) == ["A"]
    assert found.loc["A", "value"] == approx(0.7)
    assert "3 months in a row" in found.loc["A", "reason"] and "1.00 → 0.90 → 0.80 → 0.70" in found.loc["A", "reason"]


def test_spi_t_falling_stays_quiet_on_two_falls_or_a_level_month(falling_db):
    assert fired(falling_db, "2024-03", "SPI_T_FALLING").empty                    # two falls so far
    assert fired(falling_db, "2024-04", "SPI_T_FALLING", ew.WarningThresholds(falling_months=4)).empty


# -- the project's own forecast earlier than the record -------------------------------------------

def test_optimistic_forecast_fires_when_the_own_finish_is_earlier_than_the_p50():
    start = dt.date(2020, 1, 1)
    members = [project(f"R{i}", stage="closed", start_date="2020-01-01", baseline_finish_date="2020-04-10",
                       actual_finish_date=(start + dt.timedelta(days=150)).isoformat()) for i in range(8)]
    # every member took 150 of 100 planned days: r50 = 1.5, P50 = start + 150 days = 2024-05-30
    con = make_db({"projects": members + [
        project("P", start_date="2024-01-01", baseline_finish_date="2024-04-10"),          # own: day 100
        project("Q", start_date="2024-01-01", baseline_finish_date="2024-04-10",
                forecast_finish_date="2024-05-30"),                                          # own = P50
    ]})
    found = fired(con, "2024-03", "OPTIMISTIC_FORECAST")
    assert list(found.index) == ["P"]
    assert found.loc["P", "value"] == 50
    assert "2024-04-10" in found.loc["P", "reason"] and "2024-05-30" in found.loc["P", "reason"]
    assert list(fired(con, "2024-03", "OPTIMISTIC_FORECAST", ew.WarningThresholds(optimism_days=50)).index) == []


# -- a gate due soon whose forecast moved --------------------------------------------------------------

def test_gate_moved_fires_for_a_moved_gate_due_within_the_horizon():
    con = make_db({
        "projects": [project(p, start_date="2024-01-01") for p in "ABCD"],
        "milestones": [
            milestone("A", "2024-04-20", forecast_date="2024-04-30", is_gate=True, milestone_name="Go live"),
            milestone("B", "2024-04-20", forecast_date="2024-04-20", is_gate=True),       # not moved
            milestone("C", "2024-06-20", forecast_date="2024-06-30", is_gate=True),       # beyond 45 days
            milestone("D", "2024-04-20", forecast_date="2024-04-30"),                     # not a gate
        ],
    })
    found = fired(con, "2024-03", "GATE_MOVED")
    assert list(found.index) == ["A"]
    assert found.loc["A", "value"] == 10 and "Go live" in found.loc["A", "reason"]
    # 2024-03-31 + 45 days = 2024-05-15; with 100 days (to 2024-07-09) C's gate is in range too
    assert sorted(fired(con, "2024-03", "GATE_MOVED", ew.WarningThresholds(gate_days=100)).index) == ["A", "C"]


# -- with monthly snapshots: the forecasts as they were known then -------------------------------------

def known_then_db(with_snapshots: bool = True):
    """Eight finished projects took 150 of 100 planned days (P50 of a start on 2024-01-01 with a baseline of
    2024-04-10: 2024-05-30). Today's extract: P forecasts the P50 itself, A's gate has moved, B's has not.
    The March snapshot said otherwise: P forecast its baseline, A's gate sat on its baseline, B's had moved."""
    from pmo_metrics.warehouse import META_DDL

    start = dt.date(2020, 1, 1)
    members = [project(f"R{i}", stage="closed", start_date="2020-01-01", baseline_finish_date="2020-04-10",
                       actual_finish_date=(start + dt.timedelta(days=150)).isoformat()) for i in range(8)]
    con = make_db({
        "projects": members + [project("P", start_date="2024-01-01", baseline_finish_date="2024-04-10",
                                       forecast_finish_date="2024-05-30"),
                               project("A", start_date="2024-01-01", forecast_finish_date="2025-12-31"),
                               project("B", start_date="2024-01-01", forecast_finish_date="2025-12-31")],
        "status_reports": [report(x, f"2024-{m:02d}-25") for x in "PAB" for m in range(1, 7)],
        "milestones": [milestone("A", "2024-04-20", forecast_date="2024-04-30", is_gate=True, milestone_id="MA"),
                       milestone("B", "2024-04-20", forecast_date="2024-04-20", is_gate=True, milestone_id="MB")],
    })
    if with_snapshots:
        con.execute("CREATE SCHEMA meta")
        for ddl in META_DDL:
            con.execute(ddl)
        con.executemany("INSERT INTO meta.project_snapshots VALUES ('2024-03', 'L', ?, 'execution', 1000, ?, ?, NULL)",
                        [["P", "2024-04-10", "2024-04-10"], ["A", "2024-12-31", "2025-12-31"],
                         ["B", "2024-12-31", "2025-12-31"]])
        con.executemany("INSERT INTO meta.milestone_snapshots VALUES ('2024-03', 'L', ?, ?, 'Gate', true, "
                        "'2024-04-20', ?, NULL)", [["MA", "A", "2024-04-20"], ["MB", "B", "2024-04-25"]])
    return con


def test_with_snapshots_the_gate_and_optimism_signals_read_what_was_known_then():
    now = known_then_db(with_snapshots=False)
    assert list(fired(now, "2024-03", "GATE_MOVED").index) == ["A"]               # today's forecasts
    assert fired(now, "2024-03", "OPTIMISTIC_FORECAST").empty
    then = known_then_db()
    gates = fired(then, "2024-03", "GATE_MOVED")
    assert list(gates.index) == ["B"] and gates.loc["B", "value"] == 5             # the March snapshot's
    optimistic = fired(then, "2024-03", "OPTIMISTIC_FORECAST")
    assert list(optimistic.index) == ["P"] and optimistic.loc["P", "value"] == 50  # 2024-04-10 vs P50 2024-05-30
    assert "2024-04-10" in optimistic.loc["P", "reason"]
    # February comes before the first snapshot: it knows neither, flags neither and is not judged for them
    history = ew.signal_history(then, Filters(), ["2024-02", "2024-03"])
    by_month = history.groupby("month")[["finish_known", "gates_known", "optimistic_forecast", "gate_moved"]].any()
    assert by_month.loc["2024-02"].tolist() == [False, False, False, False]
    assert by_month.loc["2024-03"].tolist() == [True, True, True, True]
    outcomes = history[["month", "project_id"]].assign(in_trouble=True)
    value = ew.precision_lift(history, outcomes).set_index("signal_id")
    assert value.loc["GATE_MOVED", "months"] == 1 and value.loc["GATE_MOVED", "flagged"] == 1
    assert value.loc["OPTIMISTIC_FORECAST", "months"] == 1 and value.loc["SPI_T_FALLING", "months"] == 2


def test_the_value_table_says_what_the_forecast_signals_were_judged_on():
    then = ew.signal_value(known_then_db(), Filters(as_of="2024-06")).set_index("signal_id")
    assert then.loc["GATE_MOVED", "note"].startswith("Judged from 2024-03, the first month a milestones snapshot")
    assert then.loc["OPTIMISTIC_FORECAST", "note"].startswith("Judged from 2024-03, the first month a projects")
    now = ew.signal_value(known_then_db(with_snapshots=False), Filters(as_of="2024-06")).set_index("signal_id")
    assert "judged on today's forecasts" in now.loc["GATE_MOVED", "note"]
    assert then.loc["WATERMELON", "note"] == now.loc["WATERMELON", "note"] == ""


# -- watermelon ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def melon_db():
    # PV by March = 300. A: green three months, 20 % of 1,000 = EV 200: SPI 0.67 < 0.90.
    # B: the same, but amber in January: green two months only. C: green three months, SPI = 1.0.
    # D: green once in January and silent since: green three months while stale (81 days by end(M)).
    rags = {"A": ("green",) * 3, "B": ("amber", "green", "green"), "C": ("green",) * 3}
    pct = {"A": 20, "B": 20, "C": 30}
    return make_db({
        "projects": [project(p, start_date="2024-01-01") for p in "ABCD"],
        "status_reports": [report(p, f"2024-{m + 1:02d}-25", rag, percent_complete=pct[p] if m == 2 else None)
                           for p, rs in rags.items() for m, rag in enumerate(rs)]
                          + [report("D", "2024-01-10", "green")],
        "financials": monthly_plan("A") + monthly_plan("B") + monthly_plan("C") + monthly_plan("D"),
    })


def test_watermelon_fires_for_long_green_with_weak_indices_or_a_stale_report(melon_db):
    found = fired(melon_db, "2024-03", "WATERMELON")
    assert sorted(found.index) == ["A", "D"]
    assert "SPI is 0.67" in found.loc["A", "reason"] and found.loc["A", "value"] == 3
    assert "81 days old" in found.loc["D", "reason"]


def test_watermelon_stays_quiet_for_short_green_or_healthy_indices(melon_db):
    found = fired(melon_db, "2024-03", "WATERMELON")
    assert "B" not in found.index and "C" not in found.index
    assert fired(melon_db, "2024-03", "WATERMELON", ew.WarningThresholds(green_months=4)).empty


# -- the finish slipping across monthly snapshots ------------------------------------------------------

def test_finish_slipping_reads_the_monthly_snapshots():
    con = make_db({"projects": [project("A", start_date="2024-01-01"), project("B", start_date="2024-01-01")]})
    finishes = {"A": ("2024-06-30", "2024-07-15", "2024-07-15", "2024-08-01"),   # +15, 0, +17: 2 of 3
                "B": ("2024-06-30", "2024-07-15", "2024-07-10", "2024-07-10")}   # +15, −5, 0: 1 of 3
    con.execute("CREATE SCHEMA meta")
    con.execute("CREATE TABLE meta.project_snapshots (snapshot_month VARCHAR, load_id VARCHAR, project_id VARCHAR, "
                "stage VARCHAR, budget_at_completion DOUBLE, baseline_finish_date DATE, forecast_finish_date DATE, "
                "actual_finish_date DATE)")
    con.executemany("INSERT INTO meta.project_snapshots VALUES (?, 'L', ?, 'execution', 1000, '2024-06-30', ?, NULL)",
                    [[f"2024-{m + 1:02d}", p, d] for p, ds in finishes.items() for m, d in enumerate(ds)])
    found = fired(con, "2024-04", "FINISH_SLIPPING")
    assert list(found.index) == ["A"]
    assert found.loc["A", "value"] == 32 and "2 of the last 3" in found.loc["A", "reason"]
    assert fired(con, "2024-02", "FINISH_SLIPPING").empty                        # one move so far
    assert fired(con, "2024-04", "FINISH_SLIPPING", ew.WarningThresholds(slip_moves=3)).empty


def test_without_snapshots_the_slip_signal_says_it_cannot_fire(melon_db):
    value = ew.signal_value(melon_db, Filters(as_of="2024-06")).set_index("signal_id")
    assert "cannot fire" in value.loc["FINISH_SLIPPING", "note"]
    assert value.loc["FINISH_SLIPPING", "flagged"] == 0 and pd.isna(value.loc["FINISH_SLIPPING", "precision"])


# -- outcomes, precision and lift ----------------------------------------------------------------------

def test_outcomes_are_turning_red_or_missing_a_milestone_in_the_months_after():
    con = make_db({
        "projects": [project(p, start_date="2024-01-01") for p in "ABCDE"],
        "status_reports": [report("A", "2024-03-10", "green"), report("A", "2024-05-10", "red"),   # turned red
                           report("B", "2024-03-10", "red"), report("B", "2024-05-10", "red"),     # was red
                           report("E", "2024-03-10", "green"), report("E", "2024-07-10", "red")],  # too late
        "milestones": [milestone("C", "2024-05-01", actual_date="2024-05-09"),                     # missed
                       milestone("D", "2024-05-01", actual_date="2024-04-30")],                    # on time
    })
    out = run(con, "views/forecasts/signal_outcomes",
              kpis.params(Filters(), ["2024-03"], **T.params())).set_index("project_id")
    assert out["turned_red"].to_dict() == {"A": True, "B": False, "C": False, "D": False, "E": False}
    assert out["missed_milestone"].to_dict() == {"A": False, "B": False, "C": True, "D": False, "E": False}


def test_precision_and_lift_on_a_hand_made_history():
    # ten project-months; SPI_T_FALLING flagged 4 of them, 3 in trouble after; of the 6 unflagged, 1:
    # precision 3/4, base rate 1/6, lift 4.5. GATE_MOVED flagged all: no unflagged to compare, no
    # lift. WATERMELON never fired: no precision (not 0). P9 in 2024-02 has no outcome: not judged.
    keys = [("2024-01", f"P{i}") for i in range(5)] + [("2024-02", f"P{i}") for i in range(5)]
    history = pd.DataFrame({"month": [m for m, _ in keys], "project_id": [p for _, p in keys]})
    for flag in ("spi_t_falling", "finish_slipping", "optimistic_forecast", "watermelon"):
        history[flag] = False
    history["gate_moved"] = True
    history.loc[[0, 1, 5, 6], "spi_t_falling"] = True
    history.loc[[0, 5], "optimistic_forecast"] = True
    history = pd.concat([history, pd.DataFrame([{"month": "2024-02", "project_id": "P9", "spi_t_falling": True,
                                                  "finish_slipping": False, "optimistic_forecast": False,
                                                  "gate_moved": True, "watermelon": False}])], ignore_index=True)
    trouble = [True, True, False, False, False, True, False, False, True, False]
    outcomes = pd.DataFrame({"month": [m for m, _ in keys], "project_id": [p for _, p in keys], "in_trouble": trouble})
    value = ew.precision_lift(history, outcomes).set_index("signal_id")
    s = value.loc["SPI_T_FALLING"]
    assert (s["flagged"], s["flagged_in_trouble"], s["unflagged"], s["unflagged_in_trouble"]) == (4, 3, 6, 1)
    assert s["precision"] == approx(0.75) and s["base_rate"] == approx(1 / 6) and s["lift"] == approx(4.5)
    assert value.loc["OPTIMISTIC_FORECAST", "precision"] == approx(1.0)                 # 0 and 5 both in trouble
    assert value.loc["OPTIMISTIC_FORECAST", "lift"] == approx(1.0 / (2 / 8))
    assert pd.isna(value.loc["GATE_MOVED", "lift"]) and value.loc["GATE_MOVED", "precision"] == approx(0.4)
    assert pd.isna(value.loc["WATERMELON", "precision"]) and pd.isna(value.loc["WATERMELON", "lift"])
    assert value.loc["SPI_T_FALLING", "months"] == 2


def test_thresholds_come_from_the_settings():
    from pmo_metrics.settings import load_settings

    t = ew.WarningThresholds.from_settings(load_settings({"PMO_WARNING_GATE_DAYS": "60",
                                                          "PMO_WARNING_INDEX_FLOOR_PCT": "85"}))
    assert (t.gate_days, t.index_floor, t.falling_months) == (60, 0.85, 3)
    assert "60 days" in ew.rule_text(ew.SIGNALS[3], t)
