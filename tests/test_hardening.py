"""Values that would otherwise be silently wrong (issue #20): each finding reproduced with a small
input under tests/data/hardening/, laid over the tiny valid batch of tests/batches.py."""
from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from batches import write_batch
from pmo_metrics import kpis
from pmo_metrics.db import open_readonly, cursor_for
from pmo_metrics.warehouse import load_batch, rebuild_marts, validate_batch

DATA = Path(__file__).parent / "data" / "hardening"
LOAD_DATE = date(2025, 6, 15)


def batch_with(tmp_path: Path, case: str, only: tuple[str, ...] | None = None) -> Path:
    """The tiny valid batch with the files of tests/data/hardening/<case> put over it."""
    folder = write_batch(tmp_path / case, only=only)
    for f in (DATA / case).iterdir():
        shutil.copyfile(f, folder / f.name)
    return folder


def default_month(db: Path) -> str | None:
    con = open_readonly(db)
    try:
        return kpis.default_as_of(cursor_for(con))
    finally:
        con.close()


# -- STS-FUTURE-REPORT: one mistyped year must not move the dashboard ---------------------------------

def test_a_report_dated_after_the_load_date_is_named_and_never_the_default_month(tmp_path):
    folder = batch_with(tmp_path, "future_report")
    _, report = validate_batch(folder, db_path=None, load_date=LOAD_DATE)
    hits = [f for f in report.findings() if f.rule_id == "STS-FUTURE-REPORT"]
    assert [(f.file, f.row, f.column, f.value, f.severity) for f in hits] == [
        ("status_reports.csv", 4, "report_date", "2062-11-30", "warning")]
    assert "2025-06-15" in hits[0].message

    db = tmp_path / "pmo.duckdb"
    result = load_batch(folder, db, load_date=LOAD_DATE, archive=False)
    assert result.status == "loaded", result.message
    assert default_month(db) == "2025-06"
    assert "2062-11" not in kpis.available_months(cursor_for(open_readonly(db)))
    # A rebuild (after an upgrade) keeps the load's date, so the default month stays.
    rebuild_marts(db)
    assert default_month(db) == "2025-06"
    assert not list(tmp_path.glob("pmo.duckdb.new-*"))


def test_a_report_on_the_load_date_is_no_future_report(tmp_path):
    _, report = validate_batch(write_batch(tmp_path / "b"), db_path=None, load_date=date(2025, 6, 10))
    assert "STS-FUTURE-REPORT" not in report.rule_ids()
