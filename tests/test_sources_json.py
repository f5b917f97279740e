"""JSON and JSON Lines extracts (CONTRACT §1): records, dotted paths, arrays joined or exploded."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from pmo_metrics.findings import BatchError
from pmo_metrics.sources import read_batch

# Two projects nested under "projects" (org.unit, a sponsors array, a milestones array of
# objects), and their status reports one a line.
PORTFOLIO = Path(__file__).parent / "data" / "json_portfolio"


@pytest.fixture(scope="module")
def batch():
    b = read_batch(PORTFOLIO, PORTFOLIO / "mapping.toml")
    yield b
    b.close()


def rows(batch, table: str) -> list[dict]:
    return list(batch.tables[table].data.iter_rows(named=True))


def test_nested_fields_by_dotted_path_and_arrays_joined(batch):
    p1, p2 = rows(batch, "projects")
    assert (p1["project_id"], p1["business_unit"], p1["portfolio"]) == ("P1", "Retail", "Digital")
    assert (p1["sponsor"], p1["budget_at_completion"], p1["start_date"]) == ("Ann; Bo", 1000.0, dt.date(2025, 1, 1))
    assert (p2["sponsor"], p2["budget_at_completion"], p2["_row"]) == (None, 500.5, 2)  # [] is empty
    assert not [f for f in batch.findings if f.severity == "error"]


def test_an_exploded_array_gives_a_row_per_element(batch):
    got = [(r["milestone_id"], r["project_id"], r["milestone_name"], r["baseline_date"], r["_row"])
           for r in rows(batch, "milestones")]
    assert got == [("M1", "P1", "Beta", dt.date(2025, 5, 1), 1), ("M2", "P1", "Launch", dt.date(2025, 11, 1), 2),
                   ("M3", "P2", "Parallel run", dt.date(2025, 9, 1), 3)]
    assert {r["_file"] for r in rows(batch, "milestones")} == {"portfolio.json[milestones]"}


def test_a_bad_element_is_named_and_set_aside_alone(tmp_path):
    from pmo_metrics.warehouse import load_batch

    shutil.copytree(PORTFOLIO, tmp_path / "b")
    text = (PORTFOLIO / "portfolio.json").read_text().replace('"due": "2025-11-01"', '"due": "soon"')
    (tmp_path / "b" / "portfolio.json").write_text(text)
    result = load_batch(tmp_path / "b", tmp_path / "pmo.duckdb", tmp_path / "b" / "mapping.toml", quarantine=True,
                        load_date=dt.date(2025, 6, 15), archive=False)
    bad = [(f.file, f.row, f.column, f.value) for f in result.report.findings("error")]
    assert bad == [("portfolio.json[milestones]", 2, "baseline_date", "soon")]
    assert result.rows_loaded["milestones"] == 2 and result.rows_rejected["milestones"] == 1


def test_json_lines_one_record_a_line(batch):
    got = [(r["project_id"], r["overall_rag"], r["percent_complete"], r["_file"], r["_row"])
           for r in rows(batch, "status_reports")]
    assert got == [("P1", "green", 40.0, "reports.jsonl", 1), ("P2", "amber", 20.0, "reports.jsonl", 2)]


def test_a_file_named_after_a_table_is_read_by_name(tmp_path):
    (tmp_path / "status_reports.json").write_text(
        '[{"project_id": "P1", "report_date": "2025-06-01", "overall_rag": "red"}]', encoding="utf-8")
    b = read_batch(tmp_path)
    try:
        assert rows(b, "status_reports")[0]["overall_rag"] == "red"
    finally:
        b.close()


def test_a_bad_value_in_json_names_the_record(tmp_path):
    shutil.copytree(PORTFOLIO, tmp_path / "b")
    (tmp_path / "b" / "reports.jsonl").write_text(
        '{"project": "P1", "date": "2025-06-01", "rag": "Green", "pct": 40}\n'
        '{"project": "P2", "date": "June", "rag": "Amber", "pct": 20}\n', encoding="utf-8")
    b = read_batch(tmp_path / "b", tmp_path / "b" / "mapping.toml")
    errors = [(f.file, f.row, f.column, f.value) for f in b.findings if f.severity == "error"]
    b.close()
    assert errors == [("reports.jsonl", 2, "report_date", "June")]


@pytest.mark.parametrize("name, text, message", [
    ("projects.json", '{"a": [{"x": 1}], "b": [{"y": 2}]}', "holds 2 arrays of records"),
    ("projects.json", '{"a": 1}', "holds no arrays of records"),
    ("projects.json", '"just text"', "one array of records"),
    ("projects.json", '[{"project_id": "P1"}, 3]', "record 2 is not an object"),
    ("projects.json", '[{"project_id": "P1",', "not readable JSON"),
    ("projects.jsonl", '{"project_id": "P1"}\n{"project_id": \n', "not readable JSON"),
])
def test_json_that_is_no_array_of_records_is_refused_naming_the_file(tmp_path, name, text, message):
    (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(BatchError, match=message) as info:
        read_batch(tmp_path)
    assert str(info.value).startswith(name)


def test_records_names_the_array_and_explode_must_name_an_array(tmp_path):
    shutil.copytree(PORTFOLIO, tmp_path / "b")
    mapping = tmp_path / "b" / "mapping.toml"
    text = mapping.read_text()
    mapping.write_text(text.replace('path = "portfolio.json"          #', 'path = "portfolio.json"\nrecords = "projects"  #'))
    b = read_batch(tmp_path / "b", mapping)
    assert len(rows(b, "projects")) == 2
    b.close()
    mapping.write_text(text.replace('explode = "milestones"', 'explode = "name"'))
    with pytest.raises(BatchError, match="explode = 'name' names no array field"):
        read_batch(tmp_path / "b", mapping)


def test_a_table_file_of_an_unsupported_kind_is_named_as_such(tmp_path):
    (tmp_path / "projects.xml").write_text("<projects/>", encoding="utf-8")
    (tmp_path / "status_reports.json").write_text(
        '[{"project_id": "P1", "report_date": "2025-06-01", "overall_rag": "red"}]', encoding="utf-8")
    b = read_batch(tmp_path)
    unknown = [f for f in b.findings if f.rule_id == "UNKNOWN-FILE"]
    b.close()
    assert len(unknown) == 1 and unknown[0].file == "projects.xml"
    assert "named after table projects, but .xml is not a format the loader reads" in unknown[0].message


def test_a_batch_with_nothing_to_read_is_refused(tmp_path, capsys):
    from pmo_metrics.cli import main

    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "projects.xml").write_text("<projects/>", encoding="utf-8")
    with pytest.raises(BatchError, match=r"no table to read.*\(not read: projects.xml\)"):
        read_batch(tmp_path / "b")
    assert main(["load", str(tmp_path / "b"), "--db", str(tmp_path / "pmo.duckdb"), "--quiet"]) == 2
    assert "no table to read" in capsys.readouterr().err
    assert not (tmp_path / "pmo.duckdb").exists()


@pytest.mark.parametrize("option, message", [
    ("records = 3", "records must be the dotted path"),
    ("explode = \"\"", "explode must be the dotted path"),
    ("join = 1", "join must be a string"),
])
def test_bad_json_options_are_refused_when_the_mapping_is_loaded(tmp_path, option, message):
    from pmo_metrics.sources import load_mapping

    (tmp_path / "m.toml").write_text(f'[sources.p]\npath = "p.json"\n{option}\n')
    with pytest.raises(BatchError, match=message):
        load_mapping(tmp_path / "m.toml")
