"""Values that would otherwise be silently wrong (issue #20): each finding reproduced with a small
input under tests/data/hardening/, laid over the tiny valid batch of tests/batches.py."""
from __future__ import annotations

import json
import os
import math
import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from batches import write_batch
from pmo_metrics import kpis
from pmo_metrics.cli import main
from pmo_metrics.filters import Filters
from pmo_metrics.findings import BatchError
from builders import make_db, project, report as report_row
from pmo_metrics.db import open_readonly, cursor_for
from pmo_metrics.warehouse import load_batch, rebuild_marts, validate_batch

DATA = Path(__file__).parent / "data" / "hardening"
LOAD_DATE = date(2025, 6, 15)


def batch_with(tmp_path: Path, case: str, only: tuple[str, ...] | None = None) -> Path:
    """The tiny valid batch with the files of tests/data/hardening/<case> put over it."""
    folder = write_batch(tmp_path / case, only=only)
    for f in (DATA / case).iterdir():
        for same in folder.glob(f"{f.stem}.*"):  # the case's file replaces the tiny one of its table
            same.unlink()
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


# -- non-finite values: refused at the boundary, and no figure is ever infinite -------------------------

def test_infinite_and_nan_parquet_amounts_are_schema_errors(tmp_path):
    _, report = validate_batch(batch_with(tmp_path, "parquet_infinite"), db_path=None, load_date=LOAD_DATE)
    hits = {(f.row, f.column) for f in report.findings("error")
            if f.rule_id == "SCHEMA" and f.column == "budget_at_completion"}
    assert hits == {(4, "budget_at_completion"), (5, "budget_at_completion"), (6, "budget_at_completion")}
    assert report.rule_ids("error") == {"SCHEMA"}


def test_amounts_whose_sum_overflows_are_schema_errors(tmp_path):
    folder = batch_with(tmp_path, "huge_budgets")
    _, report = validate_batch(folder, db_path=None, load_date=LOAD_DATE)
    hits = [f for f in report.findings("error") if f.column == "budget_at_completion"]
    assert [(f.rule_id, f.row, f.value) for f in hits] == [("SCHEMA", r, "1.7e+308") for r in (4, 5, 6)]
    assert "no real amount" in hits[0].message
    db = tmp_path / "pmo.duckdb"
    assert load_batch(folder, db, load_date=LOAD_DATE, archive=False).status == "rejected"
    assert not db.exists()


def _strict(text: str):
    def refuse(constant):
        raise ValueError(f"not JSON: {constant}")
    return json.loads(text, parse_constant=refuse)


def test_figures_of_a_database_with_extreme_amounts_are_finite_or_empty(tmp_path, capsys):
    # A database written outside the loader (or before these checks) still never shows infinity.
    db = tmp_path / "extreme.duckdb"
    import duckdb
    con = duckdb.connect(str(db))
    make_db({"projects": [project(f"P{i}", start_date="2025-01-01", baseline_finish_date="2025-12-31",
                                  budget_at_completion=1.7e308) for i in range(3)],
             "status_reports": [report_row(f"P{i}", "2025-06-01", "green", 50) for i in range(3)]}, con)
    values = kpis.compute_kpis(con, Filters(as_of="2025-06"))
    con.close()
    assert all(v is None or math.isfinite(v) for v in values.values()), values
    assert main(["kpis", "--db", str(db), "--format", "json", "--as-of", "2025-06"]) == 0
    printed = _strict(capsys.readouterr().out)
    assert printed["as_of"] == "2025-06"
    assert all(v is None or math.isfinite(v) for k, v in printed.items() if k != "as_of")
    out = tmp_path / "pack.html"
    assert main(["report", "--db", str(db), "--as-of", "2025-06", "--out", str(out)]) == 0
    shown = re.sub(r"(?s)<script.*?</script>", "", out.read_text(encoding="utf-8"))
    assert not re.search(r"(?i)\binf(inity)?\b|∞|\bnan\b", shown)


# -- DATE-PLAUSIBLE: placeholders and typos are no dates ------------------------------------------------

def test_placeholder_and_far_future_dates_are_errors_naming_row_column_and_value(tmp_path):
    folder = batch_with(tmp_path, "implausible_dates")
    _, report = validate_batch(folder, db_path=None, load_date=LOAD_DATE)
    hits = sorted((f.file, f.row, f.column, f.value) for f in report.findings("error") if f.rule_id == "DATE-PLAUSIBLE")
    assert hits == [("financials.csv", 5, "period", "2201-01"),
                    ("milestones.parquet", 3, "actual_date", "0001-01-01"),
                    ("projects.csv", 4, "start_date", "1899-12-31"),
                    ("projects.csv", 5, "forecast_finish_date", "9999-12-31")]
    assert report.rule_ids("error") == {"DATE-PLAUSIBLE"}
    db = tmp_path / "pmo.duckdb"
    assert load_batch(folder, db, load_date=LOAD_DATE, archive=False).status == "rejected"


# -- KEY-NEAR-DUPLICATE: keys and names that differ only by what cannot be seen -------------------------

def test_lookalike_keys_and_dimension_values_are_named_and_names_lose_invisible_characters(tmp_path):
    folder = batch_with(tmp_path, "lookalike_keys")
    _, report = validate_batch(folder, db_path=None, load_date=LOAD_DATE)
    near = [f for f in report.findings() if f.rule_id == "KEY-NEAR-DUPLICATE"]
    assert all(f.severity == "warning" for f in near)
    keys = sorted((f.row, f.value) for f in near if f.column == "project_id")
    assert keys == [(2, "P1"), (3, "P2"), (4, "p1"), (5, "P2<U+200B>")]
    assert any("P2, P2<U+200B>" in f.message for f in near if f.row == 3)
    # 'Retail' + zero-width space is read as Retail; 'retail' is another spelling of it, named.
    units = sorted((f.table, f.value) for f in near if f.column == "business_unit")
    assert units == [("maturity_assessments", "Retail"), ("projects", "Retail"), ("projects", "retail")]
    assert report.ok, report.render()

    db = tmp_path / "pmo.duckdb"
    assert load_batch(folder, db, load_date=LOAD_DATE, archive=False).status == "loaded"
    con = open_readonly(db)
    try:
        rows = cursor_for(con).execute("SELECT project_id, project_name, business_unit FROM projects "
                                       "ORDER BY project_name, project_id").fetchall()
    finally:
        con.close()
    assert rows == [("P2", "Payroll", "Finance"), ("P2\u200b", "Payroll", "retail"),
                    ("p1", "Shadow copy", "Retail"), ("P1", "Web shop", "Retail")]


def test_the_lookalike_form_folds_case_width_ligatures_and_invisible_characters_and_keeps_null():
    import duckdb

    from pmo_metrics.schemas import lookalikes

    con = duckdb.connect()
    texts = ["PRJ-0001", "prj-0001\u200b", "\uff30\uff32\uff2a-0001", "PRJ\x00-0001", "\ufb01nance", "Caf\u00e9",
             "Network \u2013 APAC", None]
    con.execute("CREATE TABLE t (k VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?)", [[t] for t in texts])
    got = dict(con.execute(f"SELECT k, _n FROM {lookalikes.with_normalised(con, '(SELECT k FROM t)', 'k')}").fetchall())
    assert got == {"PRJ-0001": "prj-0001", "prj-0001\u200b": "prj-0001", "\uff30\uff32\uff2a-0001": "prj-0001",
                   "PRJ\x00-0001": "prj-0001", "\ufb01nance": "finance", "Caf\u00e9": "caf\u00e9",
                   "Network \u2013 APAC": "network \u2013 apac", None: None}


def test_a_reference_that_looks_like_a_key_is_named_beside_the_missing_reference(tmp_path):
    _, report = validate_batch(batch_with(tmp_path, "lookalike_reference"), db_path=None, load_date=LOAD_DATE)
    assert [(f.row, f.value) for f in report.findings() if f.rule_id == "REF-PROJECT"] == [
        (4, "P1\u200b"), (5, "P1\u200b")]
    near = [f for f in report.findings() if f.rule_id == "KEY-NEAR-DUPLICATE"]
    assert [(f.file, f.row, f.column, f.value) for f in near] == [
        ("timesheets.csv", 4, "project_id", "P1<U+200B>")]
    assert "2 row(s)" in near[0].message and "looks like P1" in near[0].message


# -- cross-table rules see the database as it will be after the load --------------------------------------

def test_a_batch_of_resources_that_shortens_employment_warns_about_loaded_timesheets(tmp_path):
    db = tmp_path / "pmo.duckdb"
    assert load_batch(write_batch(tmp_path / "all"), db, load_date=LOAD_DATE, archive=False).status == "loaded"
    shorter = tmp_path / "shorter"
    shorter.mkdir()
    shutil.copyfile(DATA / "shorter_employment" / "resources.csv", shorter / "resources.csv")
    _, report = validate_batch(shorter, db_path=db, load_date=LOAD_DATE)
    hits = [f for f in report.findings() if f.rule_id == "TS-OUTSIDE-EMPLOYMENT"]
    assert [(f.table, f.file, f.row, f.value, f.project_id) for f in hits] == [
        ("timesheets", "(already loaded)", None, "2025-06-03", "P1")]
    assert "1 loaded timesheet row(s) of resource R1" in hits[0].message and "2025-06-02" in hits[0].message
    result = load_batch(shorter, db, load_date=LOAD_DATE, archive=False)
    assert result.status == "loaded"
    assert "TS-OUTSIDE-EMPLOYMENT" in result.report.rule_ids("warning")


# -- HDR-DUPLICATE: a header naming a column three times ---------------------------------------------

def test_a_repeated_header_is_named_and_the_first_column_read(tmp_path):
    folder = batch_with(tmp_path, "repeated_header")
    (folder / "mapping.toml").unlink()
    batch, report = validate_batch(folder, db_path=None, load_date=LOAD_DATE)
    hits = [f for f in report.findings() if f.rule_id == "HDR-DUPLICATE"]
    assert [(f.severity, f.file, f.column, f.value) for f in hits] == [
        ("warning", "status_reports.csv", "overall_rag", "Overall_RAG_2"),
        ("warning", "status_reports.csv", "overall_rag", "overall_rag_3")]
    assert "column 5" in hits[0].message and "column 6" in hits[1].message
    assert batch.tables["status_reports"].data.get_column("overall_rag").to_list() == ["green", "amber"]


def test_a_repeat_the_mapping_names_is_no_finding(tmp_path):
    folder = batch_with(tmp_path, "repeated_header")
    _, report = validate_batch(folder, folder / "mapping.toml", db_path=None, load_date=LOAD_DATE)
    assert [f.value for f in report.findings() if f.rule_id == "HDR-DUPLICATE"] == ["overall_rag_3"]


# -- XLSX-HIDDEN: sheets nobody sees are not read ---------------------------------------------------

def test_hidden_and_very_hidden_sheets_are_named_and_not_read(tmp_path):
    batch, report = validate_batch(DATA / "hidden_sheets" / "book.xlsx", db_path=None, load_date=LOAD_DATE)
    hits = [f for f in report.findings() if f.rule_id == "XLSX-HIDDEN"]
    assert [(f.severity, f.file) for f in hits] == [("warning", "book.xlsx[projects]"),
                                                    ("warning", "book.xlsx[milestones]")]
    assert "very hidden" in hits[0].message and "a hidden" in hits[1].message
    assert set(batch.tables) == {"risks"}


# -- a folder, a FIFO or a device named like an extract ------------------------------------------------

@pytest.mark.parametrize("kind, words", [("folder", "a folder"), ("fifo", "a FIFO"), ("device", "a device")])
def test_an_entry_named_like_an_extract_that_is_no_file_is_named(tmp_path, kind, words):
    folder = write_batch(tmp_path / "batch")
    (folder / "risks.csv").unlink()
    stray = folder / "risks.csv"
    if kind == "folder":
        stray.mkdir()
    elif kind == "fifo":
        os.mkfifo(stray)
    else:
        stray.symlink_to("/dev/null")  # inside the folder, the link names a device
    batch, report = validate_batch(folder, db_path=None, load_date=LOAD_DATE)
    hits = [f for f in report.findings() if f.file == "risks.csv"]
    assert len(hits) == 1 and hits[0].severity == "warning", report.render()
    assert hits[0].rule_id == "UNKNOWN-FILE"
    assert words in hits[0].message and "not read" in hits[0].message
    assert "risks" not in batch.tables


def test_a_parquet_struct_column_is_refused_naming_it(tmp_path):
    with pytest.raises(BatchError) as exc:
        validate_batch(batch_with(tmp_path, "parquet_struct"), db_path=None, load_date=LOAD_DATE)
    message = str(exc.value)
    assert "\n" not in message
    assert "risks.parquet" in message and "'probability'" in message and "STRUCT" in message


# -- XLSX-FORMULA and Excel error values ---------------------------------------------------------------

def test_formulas_and_error_values_of_a_workbook_are_named(tmp_path):
    batch, report = validate_batch(batch_with(tmp_path, "workbook_formulas"), db_path=None, load_date=LOAD_DATE)
    hits = {f.column: f for f in report.findings() if f.rule_id == "XLSX-FORMULA"}
    assert all(f.severity == "warning" and f.file == "projects.xlsx[projects]" for f in hits.values())
    # priority_score: two formulas, one never calculated (reads as empty), one cached #N/A.
    assert sorted(c for c in hits) == ["budget_at_completion", "priority_score", "project_manager"]
    assert "1 cell(s) hold a formula (rows 2–2)" in hits["budget_at_completion"].message
    formulas = [f for f in report.findings() if f.rule_id == "XLSX-FORMULA" and f.column == "priority_score"]
    assert any("no saved value and read as empty" in f.message for f in formulas)
    assert any(f.value == "#N/A" and f.row == 3 for f in formulas)
    # The #N/A of a number is no number, by name; in a text column it is the text, not an empty cell.
    assert [(f.row, f.column, f.value) for f in report.findings("error")] == [(3, "priority_score", "#N/A")]
    data = batch.tables["projects"].data
    assert data.get_column("project_manager").to_list() == ["#N/A", "Bo"]
    assert data.get_column("budget_at_completion").to_list() == [1000.0, 500.0]


# -- what validates, loads: one reader decides ---------------------------------------------------------

def test_mixed_line_ends_and_a_very_long_line_validate_and_load_alike(tmp_path):
    folder = batch_with(tmp_path, "mixed_line_ends")
    reports = (folder / "status_reports.csv").read_text(encoding="utf-8").splitlines()
    long_summary = "x" * 2_500_000  # one line over 2 MB (DuckDB's default line limit), made here, not stored
    reports.append(f"P1,2025-06-12,green,,,,50,{long_summary}")
    (folder / "status_reports.csv").write_bytes(("\r\n".join(reports[:2]) + "\n" + "\n".join(reports[2:]) + "\n").encode())
    _, report = validate_batch(folder, db_path=None, load_date=LOAD_DATE)
    assert report.ok, report.render()
    db = tmp_path / "pmo.duckdb"
    result = load_batch(folder, db, load_date=LOAD_DATE)
    assert result.status == "loaded", result.message
    assert result.rows_loaded["projects"] == 2 and result.rows_loaded["status_reports"] == 3
    con = open_readonly(db)
    try:
        cur = cursor_for(con)
        raw = cur.execute('SELECT count(*), max(length(summary)) FROM raw."status_reports"').fetchone()
        assert raw == (3, len(long_summary))
        assert cur.execute('SELECT count(*) FROM raw."projects"').fetchone()[0] == 2
    finally:
        con.close()


def test_a_mapping_naming_a_hidden_sheet_is_refused_naming_it(tmp_path):
    folder = DATA / "hidden_sheet_mapped"
    with pytest.raises(BatchError) as exc:
        validate_batch(folder, folder / "mapping.toml", db_path=None, load_date=LOAD_DATE)
    assert "'projects' is hidden" in str(exc.value) and "\n" not in str(exc.value)
