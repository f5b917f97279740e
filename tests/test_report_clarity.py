"""The report says each thing once, in the words that help (issue: clearer reports)."""
from __future__ import annotations

from datetime import date

from pmo_metrics.warehouse import validate_batch

from batches import tiny_tables, write_batch

LOAD_DATE = date(2025, 6, 15)


def findings(folder, mapping=None):
    _, report = validate_batch(folder, mapping, None, LOAD_DATE)
    return [f for f in report.findings() if f.table == "projects" and f.severity == "error"]


def test_a_cell_that_is_no_number_is_not_also_missing(tmp_path):
    tables = tiny_tables()
    tables["projects"][0]["budget_at_completion"] = "lots"
    got = [(f.row, f.column, f.value, f.message) for f in findings(write_batch(tmp_path / "b", tables))]
    assert got == [(2, "budget_at_completion", "lots", "not a number")]


def test_empty_keys_are_missing_once_not_duplicates(tmp_path):
    tables = tiny_tables()
    for p in tables["projects"]:
        p["project_id"] = ""
    got = [(f.row, f.column, f.message) for f in findings(write_batch(tmp_path / "b", tables))]
    assert got == [(2, "project_id", "key value is missing"), (3, "project_id", "key value is missing")]


def test_a_cell_a_not_value_emptied_shows_its_text(tmp_path):
    tables = tiny_tables()
    tables["projects"][0]["start_date"] = "Exempt under Section 43 of the FOI Act"
    folder = write_batch(tmp_path / "b", tables)
    (tmp_path / "m.toml").write_text('[defaults]\nnot_values = ["Exempt*"]\n')
    got = [f for f in findings(folder, tmp_path / "m.toml") if f.column == "start_date"]
    assert [(f.row, f.value) for f in got] == [(2, "Exempt under Section 43 of the FOI Act")]
    assert got[0].message == "required value is missing: the text shown was read as empty (the mapping's not_values)"
    assert got[0].describe().startswith("[ERROR SCHEMA] projects.csv, row 2, column start_date: value 'Exempt under")


def test_a_missing_column_names_the_near_matches_first(tmp_path):
    import pytest

    from pmo_metrics.findings import BatchError
    from pmo_metrics.sources import read_batch

    (tmp_path / "b").mkdir()
    headers = [f"col_{i}" for i in range(20)] + ["Project Nmae"]
    (tmp_path / "b" / "x.csv").write_text(",".join(headers) + "\n" + ",".join("v" * len(headers)) + "\n")
    (tmp_path / "m.toml").write_text('[tables.projects]\nfrom = ["x.csv"]\ncolumns = { project_name = "Project Name" }\n')
    with pytest.raises(BatchError, match=r"names column 'Project Name', which the file lacks \(columns: Project Nmae, col_"):
        read_batch(tmp_path / "b", tmp_path / "m.toml")


def test_a_missing_required_column_names_the_nearest_headers(tmp_path):
    tables = tiny_tables()
    folder = write_batch(tmp_path / "b", tables, only=("projects",))
    text = (folder / "projects.csv").read_text().replace("business_unit", "Business Unit Name", 1)
    (folder / "projects.csv").write_text(text)
    _, report = validate_batch(folder, None, None, LOAD_DATE)
    hits = [f for f in report.findings("error") if f.column == "business_unit"]
    assert [f.message for f in hits] == ["required column 'business_unit' is missing "
                                         "(nearest headers: Business Unit Name)"]
