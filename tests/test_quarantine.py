"""The quarantine cascade (CONTRACT §2, REF-QUARANTINED): a loaded database never holds an orphan."""
from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from pmo_metrics.db import cursor_for, open_readonly
from pmo_metrics.warehouse import load_batch

from batches import tiny_tables, write_batch
from references import broken_references, counts_add_up

LOAD_DATE = date(2025, 6, 15)
# Project P2 has a negative budget, resource R2 no capacity: both are quarantined, and with them
# every row that refers to them — benefit B2 of P2, and one step further B2's measurements.
CASCADE = Path(__file__).parent / "data" / "quarantine_cascade"


def quarantined(db: Path) -> list[tuple]:
    con = open_readonly(db)
    try:
        return cursor_for(con).execute(
            'SELECT "table", "row", rule_ids FROM meta.quarantine ORDER BY "table", "row"').fetchall()
    finally:
        con.close()


def test_rows_of_a_quarantined_parent_are_set_aside_until_stable(tmp_path):
    db = tmp_path / "pmo.duckdb"
    result = load_batch(CASCADE, db, quarantine=True, load_date=LOAD_DATE, archive=False)
    assert result.status == "loaded", result.report.render()
    assert quarantined(db) == [
        ("allocations", 3, "REF-QUARANTINED"), ("allocations", 4, "REF-QUARANTINED"),
        ("benefit_measurements", 3, "REF-QUARANTINED"), ("benefit_measurements", 4, "REF-QUARANTINED"),
        ("benefits", 3, "REF-QUARANTINED"), ("financials", 3, "REF-QUARANTINED"),
        ("milestones", 3, "REF-QUARANTINED"), ("projects", 3, "PRJ-BUDGET"), ("resources", 3, "RES-CAPACITY"),
        ("status_reports", 3, "REF-QUARANTINED"), ("status_reports", 4, "REF-QUARANTINED"),
        ("timesheets", 3, "REF-QUARANTINED"), ("timesheets", 4, "REF-QUARANTINED")]
    assert result.rows_rejected["benefit_measurements"] == 2 and result.rows_loaded["benefit_measurements"] == 1
    cascaded = [f for f in result.report.findings() if f.rule_id == "REF-QUARANTINED"]
    assert {(f.file, f.row, f.column, f.value) for f in cascaded if f.table == "benefit_measurements"} == {
        ("benefit_measurements.csv", 3, "benefit_id", "B2"), ("benefit_measurements.csv", 4, "benefit_id", "B2")}
    assert "quarantined" in cascaded[0].message
    assert broken_references(db) == {}
    assert counts_add_up(db) == {}


def test_a_strict_load_reports_the_parents_only(tmp_path):
    """Without quarantine nothing is set aside, so nothing cascades: the report names the causes."""
    result = load_batch(CASCADE, tmp_path / "pmo.duckdb", load_date=LOAD_DATE, archive=False)
    assert result.status == "rejected"
    assert result.report.rule_ids() >= {"PRJ-BUDGET", "RES-CAPACITY"}
    assert "REF-QUARANTINED" not in result.report.rule_ids()


def test_a_parent_with_a_valid_duplicate_elsewhere_is_no_cause(tmp_path):
    """Children follow an id only when no valid row of it is left (here: the id is valid twice over)."""
    tables = tiny_tables()
    tables["timesheets"].append(dict(resource_id="R1", project_id="P1", work_date="2025-06-04", hours="30"))
    db = tmp_path / "pmo.duckdb"
    result = load_batch(write_batch(tmp_path / "b", tables), db, quarantine=True, load_date=LOAD_DATE, archive=False)
    assert result.status == "loaded"
    assert [r[2] for r in quarantined(db)] == ["TS-HOURS"]
    assert broken_references(db) == {} and counts_add_up(db) == {}


def test_loaded_rows_that_would_lose_their_parent_reject_the_load(tmp_path):
    """A batch of projects alone cannot quarantine a project whose reports are already loaded."""
    db = tmp_path / "pmo.duckdb"
    assert load_batch(write_batch(tmp_path / "all"), db, load_date=LOAD_DATE, archive=False).status == "loaded"
    tables = tiny_tables()
    tables["projects"][0]["budget_at_completion"] = "-1"
    result = load_batch(write_batch(tmp_path / "p", tables, only=("projects",)), db, quarantine=True,
                        load_date=LOAD_DATE, archive=False)
    assert result.status == "rejected"
    hits = [f for f in result.report.findings() if f.rule_id == "REF-QUARANTINED"]
    assert {f.table for f in hits} >= {"status_reports", "financials", "timesheets"}
    assert all(f.row is None and f.value == "P1" for f in hits)
    assert broken_references(db) == {}


def test_a_clean_load_records_counts_that_add_up(tmp_path):
    shutil.copytree(CASCADE, tmp_path / "b")
    (tmp_path / "b" / "projects.csv").write_text(
        (CASCADE / "projects.csv").read_text().replace(",-500", ",500"))
    (tmp_path / "b" / "resources.csv").write_text(
        (CASCADE / "resources.csv").read_text().replace(",0,90,", ",30,90,"))
    db = tmp_path / "pmo.duckdb"
    result = load_batch(tmp_path / "b", db, quarantine=True, load_date=LOAD_DATE, archive=False)
    assert result.status == "loaded" and not quarantined(db)
    assert counts_add_up(db) == {} and broken_references(db) == {}


def test_a_unit_slip_against_the_last_load_is_a_warning_naming_the_row(tmp_path):
    """A repaired export whose budgets came out ×100 and ×1000 (PRJ-BUDGET-JUMP); a real change of 7 % is none."""
    slip = Path(__file__).parent / "data" / "unit_slip"
    db = tmp_path / "pmo.duckdb"
    assert load_batch(slip / "before", db, load_date=LOAD_DATE, archive=False).status == "loaded"
    result = load_batch(slip / "after", db, load_date=LOAD_DATE, archive=False)
    assert result.status == "loaded"  # a warning: the new value may be right, so it loads
    jumps = [f for f in result.report.findings() if f.rule_id == "PRJ-BUDGET-JUMP"]
    assert [(f.row, f.project_id, f.value) for f in jumps] == [(2, "IT-1", "36300000000.0"), (4, "IT-3", "2100000000.0")]
    assert "363000000.0 when last loaded: 100.0 times as much" in jumps[0].message
    con = open_readonly(db)
    try:
        assert cursor_for(con).execute("SELECT count(*) FROM meta.findings WHERE rule_id = 'PRJ-BUDGET-JUMP'").fetchone()[0] == 2
    finally:
        con.close()
