"""The demo's month-end history (pmo_metrics.demo_history): each earlier extract says only what was
known at its month's end, the demo batch is left as it was, and loaded in order the history gives the
snapshot tables a month each — on which the finish-slip signal fires and no signal is perfect."""
from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from pmo_metrics import contract as c
from pmo_metrics.db import Warehouse
from pmo_metrics.demo import build_demo, generate_demo
from pmo_metrics.demo_history import DEMO_HISTORY_MONTHS, generate_demo_history, history_dir, month_end_extracts
from pmo_metrics.filters import Filters, month_add, month_end
from pmo_metrics.views import early_warning as ew

CASES = [(42, "2026-10"), (7, "2024-01")]
LINEAR = ("idea", "initiation", "planning", "execution", "closing", "closed")


@pytest.fixture(scope="module", params=CASES, ids=[f"seed{s}-{m}" for s, m in CASES])
def history(request):
    seed, end = request.param
    return end, month_end_extracts("small", seed, end), build_demo("small", seed, end)


def test_the_extracts_are_the_months_before_the_end_month(history):
    end, extracts, _ = history
    assert [m for m, _ in extracts] == [month_add(end, -k) for k in range(DEMO_HISTORY_MONTHS - 1, 0, -1)]
    for _, tables in extracts:
        for name, frame in tables.items():
            assert frame.columns == c.TABLES[name].column_names, name


def test_each_extract_says_only_what_was_known_at_its_months_end(history):
    _, extracts, final = history
    stage_then = {}
    for month, t in extracts:
        end = month_end(month)
        p, ms, reports = t["projects"], t["milestones"], t["status_reports"]
        # the reports of the month's end, exactly as the later extracts carry them
        assert reports.equals(final["status_reports"].filter(pl.col("report_date") <= end))
        assert t["strategic_objectives"].equals(final["strategic_objectives"])
        # nothing achieved after the month's end is known; a closed project has its finish
        assert p["actual_finish_date"].drop_nulls().max() <= end
        assert ms["actual_date"].drop_nulls().max() <= end
        assert p.filter(pl.col("stage") == "closed", pl.col("actual_finish_date").is_null()).is_empty()
        # work not done yet is forecast after the month's end, and never before its project's start
        running = p.filter(~pl.col("stage").is_in(["idea", "cancelled", "closed"]))
        assert (running["forecast_finish_date"] > end).all()
        assert p.filter(pl.col("forecast_finish_date") < pl.col("start_date")).is_empty()
        assert (ms.filter(pl.col("actual_date").is_null())["forecast_date"].drop_nulls() > end).all()
        # the same projects and milestones, fewer of them, with the plan (baseline) they have in the end
        assert set(p["project_id"]) <= set(final["projects"]["project_id"])
        plan = ms.join(final["milestones"], on="milestone_id", suffix="_end")
        assert len(plan) == len(ms) and (plan["baseline_date"] == plan["baseline_date_end"]).all()
        assert set(ms["project_id"]) <= set(p["project_id"])
        stage_then[month] = dict(zip(p["project_id"], p["stage"]))
    # a stage never runs back, and never gets ahead of the one it has in the end
    months = sorted(stage_then) + ["end"]
    stage_then["end"] = dict(zip(final["projects"]["project_id"], final["projects"]["stage"]))
    for before, after in zip(months, months[1:]):
        for pid, stage in stage_then[before].items():
            later = stage_then[after][pid]
            if stage in LINEAR and later in LINEAR:
                assert LINEAR.index(stage) <= LINEAR.index(later), (pid, before, stage, later)


def test_troubled_projects_forecasts_drift_later_than_the_others(history):
    """Projects rated red at some point move their forecast finish later over the months, by more
    than the others do, who move theirs too now and then."""
    end, extracts, final = history
    months = [(m, t["projects"]) for m, t in extracts] + [(end, final["projects"])]
    snaps = pl.concat([p.select("project_id", "forecast_finish_date", "actual_finish_date").with_columns(month=pl.lit(m))
                       for m, p in months])
    red = set(final["status_reports"].filter(pl.col("overall_rag") == "red")["project_id"])
    drift = (snaps.filter(pl.col("actual_finish_date").is_null(), pl.col("forecast_finish_date").is_not_null())
             .sort("month").group_by("project_id")
             .agg((pl.col("forecast_finish_date").last() - pl.col("forecast_finish_date").first()).dt.total_days()
                  .alias("days"))
             .with_columns(red=pl.col("project_id").is_in(list(red))))
    by = {r: drift.filter(pl.col("red") == r)["days"] for r in (True, False)}
    assert by[True].mean() > 1.5 * by[False].mean() and by[True].median() > by[False].median()
    assert (by[False] > 0).any() and (by[False] < 0).any()   # the others re-forecast both ways


def test_the_same_arguments_give_identical_files(tmp_path):
    first = generate_demo_history(tmp_path / "a", seed=3, end_month="2025-06", months=3)
    again = generate_demo_history(tmp_path / "b", seed=3, end_month="2025-06", months=3)
    other = generate_demo_history(tmp_path / "c", seed=4, end_month="2025-06", months=3)
    assert [f.name for f in first] == ["2025-04", "2025-05"]
    for a, b, o in zip(first, again, other):
        assert sorted(f.name for f in a.iterdir()) == sorted(f"{t}.csv" for t in
                                                             ("strategic_objectives", "projects", "status_reports",
                                                              "milestones"))
        for f in a.iterdir():
            assert (b / f.name).read_bytes() == f.read_bytes()
        assert (o / "projects.csv").read_bytes() != (a / "projects.csv").read_bytes()
    assert month_end_extracts("small", 3, "2025-06", months=1) == []
    with pytest.raises(ValueError):
        month_end_extracts("small", 3, "2025-06", months=0)
    assert history_dir(tmp_path / "demo") == tmp_path / "demo-history"


# -- loaded in order, as the app's first start does ---------------------------------------------------

def test_the_loaded_history_holds_a_snapshot_per_month_and_the_batch_unchanged(demo_history_warehouse, tmp_path):
    cur = Warehouse(demo_history_warehouse.db).cursor()
    expected = [month_add(demo_history_warehouse.as_of, -k) for k in range(DEMO_HISTORY_MONTHS - 1, -1, -1)]
    for table in ("project_snapshots", "milestone_snapshots"):
        months = [r[0] for r in cur.execute(f"SELECT DISTINCT snapshot_month FROM meta.{table} ORDER BY 1").fetchall()]
        assert months == expected, table
    loads = cur.execute("SELECT batch, load_date FROM meta.load_log ORDER BY started_at").fetchall()
    assert len(loads) == DEMO_HISTORY_MONTHS and loads[-1][0] == str(demo_history_warehouse.batch)
    # each month's extract was loaded on the first day after it
    assert loads[0][1] == month_end(expected[0]) + dt.timedelta(days=1)
    # the demo batch is the one generate_demo writes, and the tables now are its tables
    generate_demo(tmp_path / "demo", "small", seed=42, end_month=demo_history_warehouse.as_of)
    for name in c.TABLE_NAMES:
        assert (tmp_path / "demo" / f"{name}.csv").read_bytes() == \
            (demo_history_warehouse.batch / f"{name}.csv").read_bytes(), name
    n = cur.execute("SELECT count(*) FROM projects").fetchone()[0]
    assert n == pl.read_csv(demo_history_warehouse.batch / "projects.csv").height


def test_on_the_history_the_finish_slip_signal_fires_and_no_signal_is_perfect(demo_history_warehouse):
    cur = Warehouse(demo_history_warehouse.db).cursor()
    f = Filters(as_of=demo_history_warehouse.as_of)
    value = ew.signal_value(cur, f).set_index("signal_id")
    slip = value.loc["FINISH_SLIPPING"]
    assert slip["note"] == "" and slip["flagged"] >= 1 and slip["lift"] > 1
    for signal_id, row in value.iterrows():
        assert row["flagged"] > 0, signal_id
        assert row["precision"] < 1, signal_id
    # the projects it flagged: running ones whose forecast finish moved later in two of three snapshots
    judged = ew.judged_months(demo_history_warehouse.as_of, ew.WarningThresholds(), 24)
    flagged = ew.signal_history(cur, f, judged)
    fired = flagged[flagged["finish_slipping"]]
    assert not fired.empty and (fired["moves_later"] >= 2).all() and fired["project_id"].nunique() >= 1


def test_the_command_line_writes_the_history_beside_the_batch(tmp_path, capsys):
    from pmo_metrics.cli import main

    assert main(["demo", "--out", str(tmp_path / "demo"), "--end-month", "2025-06", "--history", "3", "--quiet"]) == 0
    assert "load them oldest first" in capsys.readouterr().out
    assert sorted(f.name for f in (tmp_path / "demo-history").iterdir()) == ["2025-04", "2025-05"]
    assert (tmp_path / "demo" / "projects.csv").is_file()
    assert main(["demo", "--out", str(tmp_path / "alone"), "--end-month", "2025-06", "--quiet"]) == 0
    assert not (tmp_path / "alone-history").exists()
