"""Fixtures shared across the test modules: a tiny seeded warehouse whose every figure was worked
out by hand, the seeded small demo loaded once per session (alone, and with its monthly history),
and a PostgreSQL server.

The row builders behind the tiny warehouse live in builders.py (tests import them from there).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from builders import (
    allocation, assessment, benefit, cost, make_db, measurement, milestone, objective, project, report, resource,
    risk, timesheet,
)
from pmo_metrics import kpis
from pmo_metrics.db import Warehouse
from pmo_metrics.demo import generate_demo
from pmo_metrics.warehouse import load_batch
from support import free_port, pg_bin

DEMO_END_MONTH = "2026-10"   # the month the seeded demo ends: its default as-of month


# -- a tiny seeded warehouse ---------------------------------------------------------------------------

def tiny_tables() -> dict[str, list[dict]]:
    """A hand-made portfolio as of June 2025 (M = 2025-06): three projects in Digital and Back office
    and an idea, their reports, costs, milestones and risks, two people, two benefits, three
    maturity assessments, a gate review, a change request and a month of PMO cost. The tests that read it state their arithmetic."""
    return {
        "strategic_objectives": [objective("OBJ-1", "Grow online")],
        "projects": [
            project("P1", portfolio="Digital", program="Online", business_unit="Retail", strategic_objective_id="OBJ-1",
                    start_date="2025-01-01", baseline_finish_date="2025-12-31", budget_at_completion=1000.0,
                    priority_score=80.0, project_manager="Ann", project_name="Web shop"),
            project("P2", portfolio="Digital", business_unit="Finance", start_date="2025-02-01",
                    baseline_finish_date="2026-06-30", budget_at_completion=2000.0, priority_score=40.0,
                    project_name="Ledger"),
            project("P3", portfolio="Back office", program="Payroll", stage="closed", start_date="2024-01-01",
                    baseline_finish_date="2024-12-31", actual_finish_date="2024-12-20", budget_at_completion=500.0),
            project("P4", portfolio="Digital", stage="idea", budget_at_completion=9999.0),
        ],
        "status_reports": [
            report("P1", "2025-05-31", "green", 40), report("P1", "2025-06-20", "red", 50, summary="Supplier late"),
            report("P2", "2025-06-15", "amber", 10, summary="Scope creep"), report("P3", "2024-12-15", "green", 100),
        ],
        "financials": [
            cost("P1", "2025-05", 100, 90), cost("P1", "2025-06", 200, 250, cost_category="opex"),
            cost("P1", "2025-07", 300, forecast_cost=350), cost("P2", "2025-06", 400, 380),
            cost("P3", "2024-06", 500, 480, cost_category="opex"), cost("P4", "2025-06", 1000, 1000),
        ],
        "milestones": [
            milestone("P1", "2025-03-01", actual_date="2025-02-28", milestone_id="MA", milestone_name="Design"),
            milestone("P1", "2025-04-01", actual_date="2025-04-10", milestone_id="MB", milestone_name="Build"),
            milestone("P1", "2025-05-15", forecast_date="2025-07-01", milestone_id="MC", milestone_name="Test"),
            milestone("P1", "2025-09-01", milestone_id="MD", milestone_name="Go-live", is_gate=True),
            milestone("P1", "2025-05-01", actual_date="2025-07-05", milestone_id="ME", milestone_name="Train"),
        ],
        "risks": [
            risk("P1", 4, 4, "2025-02-01", risk_id="K1"),
            risk("P1", 3, 2, "2025-01-15", status="closed", closed_date="2025-05-01", risk_id="K2"),
            risk("P1", 5, 5, "2025-07-10", risk_id="K3"),
            risk("P1", 2, 2, "2025-03-01", status="closed", closed_date="2025-07-20", risk_id="K4"),
        ],
        "resources": [resource("R1", department="IT", weekly_capacity_hours=40.0),
                      resource("R2", department="HR", weekly_capacity_hours=20.0, employment_type="contractor")],
        "allocations": [allocation("R1", "P1", "2025-06", 80), allocation("R1", "P1", "2025-05", 60),
                        allocation("R2", "P2", "2025-06", 100)],
        "timesheets": [timesheet("R1", "P1", "2025-06-02", 7.5), timesheet("R1", "P1", "2025-06-03", 8),
                       timesheet("R1", "P1", "2025-05-20", 6), timesheet("R1", "P2", "2025-06-04", 4),
                       timesheet("R2", "P2", "2025-06-05", 5)],
        "benefits": [benefit("B1", "P1", owner="Ann", target_value=1000.0),
                     benefit("B2", "P2", category="non_financial", benefit_type="customer", baseline_value=10.0,
                             target_value=20.0, unit="NPS")],
        "benefit_measurements": [measurement("B1", "2025-05", 100, 80), measurement("B1", "2025-06", 200),
                                 measurement("B2", "2025-06", 12, 11)],
        "maturity_assessments": [
            assessment("A1", "2025-01-10", "Retail", "governance", "g1", 2),
            assessment("A1", "2025-01-10", "Retail", "governance", "g2", 3, 4),
            assessment("A1", "2025-01-10", "Retail", "talent", "t1", 3, 3),
            assessment("A2", "2025-05-10", "Retail", "governance", "g1", 3),
            assessment("A2", "2025-05-10", "Retail", "talent", "t1", 2, 4),
            assessment("A3", "2025-03-01", "Finance", "governance", "g1", 4),
        ],
        "gate_reviews": [dict(gate_review_id="GR1", project_id="P1", milestone_id="MD", review_date="2025-06-10",
                              decision="deferred", chair="Sam")],
        "change_requests": [dict(change_id="CR1", project_id="P1", category="scope", title="Gift cards",
                                 raised_date="2025-05-02", decided_date="2025-06-12", decision="approved",
                                 decided_at="program", cost_impact=50.0, schedule_impact_days=10)],
        "pmo_costs": [dict(period="2025-06", cost_category="staff", planned_cost=60.0, actual_cost=55.0)],
    }


@pytest.fixture(scope="session")
def tiny_db():
    """The tiny seeded warehouse (tiny_tables) in memory, with its marts; read-only by convention."""
    con = make_db(tiny_tables())
    yield con
    con.close()


# -- the seeded demo -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Demo:
    db: Path        # the loaded warehouse
    batch: Path     # the demo batch it was loaded from
    as_of: str      # its default month


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory) -> Demo:
    """The seeded small demo (generate_demo, seed 42, ending DEMO_END_MONTH), loaded once per session."""
    tmp = tmp_path_factory.mktemp("demo")
    generate_demo(tmp / "demo", scale="small", seed=42, end_month=DEMO_END_MONTH)
    result = load_batch(tmp / "demo", tmp / "pmo.duckdb")
    assert result.ok, result.message
    return _demo(tmp)


@pytest.fixture(scope="session")
def demo_history_warehouse(tmp_path_factory) -> Demo:
    """The seeded small demo as the app builds it on its first start: the month-end extracts of the
    months before DEMO_END_MONTH loaded oldest first, then the demo batch (demo_history.load_demo), so
    the snapshot tables hold DEMO_HISTORY_MONTHS months."""
    from pmo_metrics.demo_history import load_demo

    tmp = tmp_path_factory.mktemp("demo_history")
    result = load_demo(tmp / "demo", tmp / "pmo.duckdb", seed=42, end_month=DEMO_END_MONTH)
    assert result is not None and result.ok, result and result.message
    return _demo(tmp)


def _demo(tmp: Path) -> Demo:
    """The demo loaded into tmp/pmo.duckdb from tmp/demo, with its default month."""
    cur = Warehouse(tmp / "pmo.duckdb").cursor()
    try:
        as_of = kpis.default_as_of(cur)
    finally:
        cur.close()
    return Demo(tmp / "pmo.duckdb", tmp / "demo", as_of)


# -- PostgreSQL ----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_server():
    """An admin URL of a real PostgreSQL server: PMO_TEST_PG_URL, else a throwaway local cluster
    (initdb + pg_ctl on a free port, trust for `admin`, passwords for everyone else), stopped and
    removed at the end of the session."""
    if os.environ.get("PMO_TEST_PG_URL"):
        yield os.environ["PMO_TEST_PG_URL"]
        return
    bindir = pg_bin()
    tmp = Path(tempfile.mkdtemp(prefix="pmo-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(tmp, "postgres", "postgres")
    data, sock, port = tmp / "data", tmp / "sock", free_port()

    def run(*cmd: str) -> None:
        subprocess.run([*as_user, *cmd], check=True, capture_output=True, timeout=120)

    run("mkdir", str(sock))
    run(str(bindir / "initdb"), "-D", str(data), "-U", "admin", "--auth=trust", "-E", "UTF8", "--no-sync")
    # The admin logs in without a password; everyone else needs one, so a wrong one is refused.
    (data / "pg_hba.conf").write_text("local all all trust\nhost all admin 127.0.0.1/32 trust\n"
                                      "host all all 127.0.0.1/32 scram-sha-256\n")
    opts = f"-p {port} -k {sock} -h 127.0.0.1 -c fsync=off"
    try:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(tmp / "log"), "-w", "-t", "60", "start")
        yield f"postgresql+psycopg://admin@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(tmp, ignore_errors=True)
