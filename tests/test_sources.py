"""Readers and mappings, each feature on a tiny file made in the test."""
from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from pmo_metrics import contract as c
from pmo_metrics.findings import BatchError
from pmo_metrics.sources import load_mapping, read_batch
from pmo_metrics.sources import read_ahead, transform

PROJECT_HEADER = ("project_id,project_name,portfolio,business_unit,delivery_approach,stage,start_date,"
                  "baseline_finish_date,budget_at_completion")
P1 = "P1,Web shop,Digital,Retail,agile,execution,2025-01-01,2025-12-31,1000"
P2 = "P2,Payroll,Back office,Finance,predictive,closed,2024-01-01,2024-12-31,500"


def write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def mapping(folder: Path, text: str) -> Path:
    return write(folder, "mapping.toml", text)


def errors(batch, rule: str = "SCHEMA"):
    return [f for f in batch.findings if f.rule_id == rule and f.severity == "error"]


def warnings(batch, rule: str):
    return [f for f in batch.findings if f.rule_id == rule and f.severity == "warning"]


def xlsx(path: Path, sheets: dict[str, list[list]], start_row: int = 0) -> Path:
    """A workbook with real Excel types: datetimes get a date format, numbers stay numbers."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(path)
    date_fmt = wb.add_format({"num_format": "dd/mm/yyyy"})
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                if isinstance(v, dt.date):
                    ws.write_datetime(start_row + i, j, dt.datetime.combine(v, dt.time()), date_fmt)
                elif v is not None:
                    ws.write(start_row + i, j, v)
    wb.close()
    return path


# --- the plain batch: contract typing ------------------------------------------------------

def test_plain_csv_batch_is_typed_in_contract_order(tmp_path):
    write(tmp_path, "projects.csv", f"{PROJECT_HEADER},Extra\n{P1},x\n{P2},y\n")
    batch = read_batch(tmp_path)
    t = batch.tables["projects"]
    assert t.data.columns == c.TABLES["projects"].column_names + ["_file", "_row"]
    assert t.data.schema["start_date"] == pl.Date
    assert t.data.schema["budget_at_completion"] == pl.Float64
    assert t.data.schema["program"] == pl.String and t.data["program"].null_count() == 2  # optional, added
    assert t.data.schema["priority_score"] == pl.Float64
    assert t.data["_row"].to_list() == [2, 3] and t.data["_file"].to_list() == ["projects.csv"] * 2
    assert t.data.row(0, named=True)["budget_at_completion"] == 1000.0
    # raw: as read, every column a string, unknown columns kept under their own name
    assert "Extra" in t.raw.columns and all(t.raw.schema[n] == pl.String for n in t.raw.columns if n != "_row")
    assert t.files == ["projects.csv"]
    assert batch.findings == []


def test_all_types_parse(tmp_path):
    write(tmp_path, "milestones.csv", "milestone_id,project_id,milestone_name,is_gate,baseline_date\n"
                                      "M1,P1,Beta,Yes,2025-05-01\nM2,P1,Go,n,2025-06-01\nM3,P1,X,TRUE,2025-07-01\n")
    write(tmp_path, "risks.csv", "risk_id,project_id,title,probability,impact,status,raised_date\n"
                                 "K1,P1,Supplier,4,3.0,Open,2025-02-01\n")
    write(tmp_path, "allocations.csv", "resource_id,project_id,period,planned_hours\n"
                                       "R1,P1,2025-06,80\nR1,P1,2025-07-31,10\nR1,P1,Aug 2025,5\n")
    batch = read_batch(tmp_path)
    assert batch.tables["milestones"].data["is_gate"].to_list() == [True, False, True]
    risks = batch.tables["risks"].data
    assert risks.schema["probability"] == pl.Int64 and risks["impact"].to_list() == [3]
    assert risks["status"].to_list() == ["open"]  # enumerations lower-cased
    assert batch.tables["allocations"].data["period"].to_list() == ["2025-06", "2025-07", "2025-08"]
    assert not errors(batch)


def test_enumerations_lowercased_trimmed_and_spaces_become_underscores(tmp_path):
    write(tmp_path, "projects.csv", f"{PROJECT_HEADER}\n{P1.replace('agile', ' Agile ').replace('execution', 'On Hold')}\n")
    row = read_batch(tmp_path).tables["projects"].data.row(0, named=True)
    assert row["delivery_approach"] == "agile" and row["stage"] == "on_hold"


def test_headers_match_case_insensitively_after_trimming(tmp_path):
    header = PROJECT_HEADER.replace("project_id", " Project_ID ").replace("stage", "STAGE")
    write(tmp_path, "projects.csv", f"{header}\n{P1}\n")
    t = read_batch(tmp_path).tables["projects"]
    assert t.data["project_id"].to_list() == ["P1"] and t.data["stage"].to_list() == ["execution"]
    assert "Project_ID" in t.raw.columns  # raw keeps the header as written (trimmed)


def test_values_trimmed_and_empty_strings_null(tmp_path):
    write(tmp_path, "projects.csv", f"{PROJECT_HEADER},sponsor\n"
                                    f"{P1.replace('Web shop', '  Web shop ').replace('1000', ' 1000 ')}, \n")
    row = read_batch(tmp_path).tables["projects"].data.row(0, named=True)
    assert row["project_name"] == "Web shop" and row["budget_at_completion"] == 1000.0 and row["sponsor"] is None


# --- CSV dialects and encodings ------------------------------------------------------------

def test_utf8_with_bom(tmp_path):
    write(tmp_path, "projects.csv", "\ufeff" + f"{PROJECT_HEADER}\n{P1.replace('Web shop', 'Café')}\n")
    t = read_batch(tmp_path).tables["projects"]
    assert t.data["project_id"].to_list() == ["P1"] and t.data["project_name"].to_list() == ["Café"]


def test_cp1252_declared(tmp_path):
    batch_dir = tmp_path / "b"
    write(batch_dir, "projects.csv", f"{PROJECT_HEADER}\n{P1.replace('Web shop', 'Café ‘quoted’').replace(',1000', ',£1000')}\n",
          encoding="cp1252")
    m = mapping(tmp_path, '[defaults]\nencoding = "cp1252"\n')
    row = read_batch(batch_dir, m).tables["projects"].data.row(0, named=True)
    assert row["project_name"] == "Café ‘quoted’" and row["budget_at_completion"] == 1000.0


def test_non_utf8_undeclared_is_refused_naming_byte_and_line(tmp_path):
    write(tmp_path, "projects.csv", f"{PROJECT_HEADER}\n{P1}\n{P2.replace('Payroll', 'Paie £')}\n", encoding="cp1252")
    with pytest.raises(BatchError) as e:
        read_batch(tmp_path)
    msg = str(e.value)
    assert "projects.csv" in msg and "0xa3" in msg and "line 3" in msg and 'encoding = "cp1252"' in msg
    assert "\n" not in msg


def test_non_utf8_beyond_the_sniffed_head_is_refused_too(tmp_path):
    rows = "\n".join(P1.replace("P1", f"P{i}") for i in range(3000))  # > 64 KiB before the bad byte
    bad = P2.replace("Payroll", "Caf\xe9")
    write(tmp_path, "projects.csv", f"{PROJECT_HEADER}\n{rows}\n{bad}\n", encoding="latin-1")
    with pytest.raises(BatchError, match=r"projects.csv: not UTF-8 \(byte 0xe9 at line 3002"):
        read_batch(tmp_path)


def test_encoding_errors_replace_keeps_the_rest(tmp_path):
    batch_dir = tmp_path / "b"
    batch_dir.mkdir()
    (batch_dir / "projects.csv").write_bytes(f"{PROJECT_HEADER}\n{P1}\n".replace("Web shop", "Quantum\x9d").encode("latin-1"))
    with pytest.raises(BatchError, match="0x9d at line 2 is not valid cp1252"):
        read_batch(batch_dir, mapping(tmp_path, '[defaults]\nencoding = "cp1252"\n'))
    m = mapping(tmp_path, '[defaults]\nencoding = "cp1252"\nencoding_errors = "replace"\n')
    assert read_batch(batch_dir, m).tables["projects"].data["project_name"].to_list() == ["Quantum\ufffd"]


def test_utf16_with_bom_is_read(tmp_path):
    write(tmp_path, "projects.csv", "\ufeff" + f"{PROJECT_HEADER}\n{P1}\n", encoding="utf-16-le")
    assert read_batch(tmp_path).tables["projects"].data["project_id"].to_list() == ["P1"]


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_separator_detected(tmp_path, sep):
    write(tmp_path, "projects.csv", f"{PROJECT_HEADER}\n{P1}\n".replace(",", sep))
    assert read_batch(tmp_path).tables["projects"].data["portfolio"].to_list() == ["Digital"]


def test_tsv_and_txt_extensions(tmp_path):
    write(tmp_path, "projects.tsv", f"{PROJECT_HEADER}\n{P1}\n".replace(",", "\t"))
    write(tmp_path, "timesheets.txt", "resource_id;project_id;work_date;hours\nR1;P1;2025-06-02;7,5\n")
    batch = read_batch(tmp_path)
    assert batch.tables["projects"].data["project_id"].to_list() == ["P1"]
    assert batch.tables["timesheets"].data["hours"].to_list() == [7.5]  # decimal comma detected


def test_declared_separator_wins(tmp_path):
    batch_dir = tmp_path / "b"
    # Header with more commas than semicolons, but the file is ;-separated.
    write(batch_dir, "timesheets.csv", "resource_id;project_id;work_date;hours\nR1;P1,a;2025-06-02;1\n")
    m = mapping(tmp_path, '[defaults]\nseparator = ";"\n')
    assert read_batch(batch_dir, m).tables["timesheets"].data["project_id"].to_list() == ["P1,a"]


def test_multiline_quoted_cells_count_as_one_row(tmp_path):
    write(tmp_path, "status_reports.csv",
          'project_id,report_date,overall_rag,summary\r\n'
          'P1,2025-05-31,green,"line one\r\nline two, with comma"\r\n'
          'P1,2025-06-30,purple-ish,ok\r\n'
          'P1,31.07.2025x,red,"a ""quoted"" word"\r\n')
    batch = read_batch(tmp_path)
    t = batch.tables["status_reports"].data
    assert t["summary"].to_list() == ["line one\r\nline two, with comma", "ok", 'a "quoted" word']
    [bad] = errors(batch)
    assert (bad.file, bad.row, bad.column, bad.value) == ("status_reports.csv", 4, "report_date", "31.07.2025x")


def test_blank_lines_are_skipped_but_rows_keep_their_numbers(tmp_path):
    write(tmp_path, "timesheets.csv", "resource_id,project_id,work_date,hours\nR1,P1,2025-06-02,1\n,,,\nR1,P1,2025-06-03,x\n")
    batch = read_batch(tmp_path)
    assert batch.tables["timesheets"].data.height == 2
    assert [(f.row, f.value) for f in errors(batch)] == [(4, "x")]


TS_HEADER = "resource_id,project_id,work_date,hours"


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_empty_lines_count_as_rows_but_not_inside_quoted_cells(tmp_path, newline):
    # DuckDB skips empty lines; the rows after one keep the number a spreadsheet shows. An empty
    # line inside a quoted cell is part of the cell, not a row.
    lines = ["", "", TS_HEADER, "R1,P1,2025-06-02,1", "", "R1,P1,2025-06-03,x", "R2,P2,2025-06-04,\"2", "", "x\"",
             "", "", "R3,P3,2025-06-05,lots", ""]
    write(tmp_path, "timesheets.csv", newline.join(lines))
    batch = read_batch(tmp_path)
    assert batch.tables["timesheets"].data["_row"].to_list() == [2, 4, 5, 8]
    assert [(f.row, f.value) for f in errors(batch)] == [(4, "x"), (5, f"2{newline}{newline}x"), (8, "lots")]


def test_mixed_line_ends_are_read(tmp_path):
    write(tmp_path, "status_reports.csv", "project_id,report_date,overall_rag,summary\r\n"
                                          'P1,2025-05-31,green,"kept\r\nas written"\n'
                                          "P1,2025-06-30,red,x\r\n"
                                          "\n"
                                          "P1,2025-07-31,amber,y\n")
    d = read_batch(tmp_path).tables["status_reports"].data
    assert d.select("overall_rag", "summary", "_row").rows() == [
        ("green", "kept\r\nas written", 2), ("red", "x", 3), ("amber", "y", 5)]


def test_short_rows_are_padded_and_long_rows_refused(tmp_path):
    write(tmp_path / "short", "timesheets.csv", f"{TS_HEADER}\nR1,P1,2025-06-02\nR1,P1,2025-06-03,4\n")
    batch = read_batch(tmp_path / "short")
    assert batch.tables["timesheets"].data["hours"].to_list() == [None, 4.0]
    assert [(f.row, f.column, f.message) for f in errors(batch)] == []  # a missing value is the rules' business
    write(tmp_path / "long", "timesheets.csv", f"{TS_HEADER}\nR1,P1,2025-06-02,4\nR1,P1,2025-06-03,4,extra\n")
    with pytest.raises(BatchError, match=r"^timesheets.csv: cannot be read as CSV \(line 3 has 5 cells, the header 4\)$"):
        read_batch(tmp_path / "long")


def test_a_quote_never_closed_is_refused_also_beside_short_rows(tmp_path):
    write(tmp_path, "timesheets.csv", f'{TS_HEADER}\nR1,P1,2025-06-02\nR1,P1,"2025-06-03,4\nR2,P2,2025-06-04,5\n')
    with pytest.raises(BatchError, match=r"^timesheets.csv: cannot be read as CSV \(a quoted cell is never closed\)$"):
        read_batch(tmp_path)


def test_a_line_longer_than_duckdbs_default_is_read(tmp_path):
    long_name = "x" * 3_000_000
    write(tmp_path, "resources.csv", "resource_id,resource_name,role,department,employment_type,"
                                     "weekly_capacity_hours,hourly_cost,start_date\n"
                                     f"R1,{long_name},Dev,IT,employee,40,50,2024-01-01\n"
                                     "R2,Bo,Dev,IT,employee,40,50,2024-01-01\n")
    d = read_batch(tmp_path).tables["resources"].data
    assert [len(n) for n in d["resource_name"].to_list()] == [3_000_000, 2] and d["_row"].to_list() == [2, 3]


# --- numbers and dates ---------------------------------------------------------------------

def test_numbers_with_currency_and_thousands_detected(tmp_path):
    write(tmp_path, "financials.csv", "project_id,period,cost_category,planned_cost,actual_cost,forecast_cost\n"
                                      'P1,2025-01,capex,"£1,234.5",$ 2000,(300)\n'
                                      "P1,2025-02,capex,EUR 7,-5,1e3\n")
    batch = read_batch(tmp_path)
    d = batch.tables["financials"].data
    assert d["planned_cost"].to_list() == [1234.5, 7.0]
    assert d["actual_cost"].to_list() == [2000.0, -5.0]
    assert d["forecast_cost"].to_list() == [-300.0, 1000.0]
    assert not errors(batch)


def test_decimal_comma_declared(tmp_path):
    batch_dir = tmp_path / "b"
    write(batch_dir, "financials.csv", "project_id;period;cost_category;planned_cost\n"
                                       "P1;2025-01;capex;1.234,5\nP1;2025-02;capex;12,75 €\nP1;2025-03;capex;2.000\n")
    m = mapping(tmp_path, '[defaults]\ndecimal = ","\ncurrency = ["€"]\n')
    assert read_batch(batch_dir, m).tables["financials"].data["planned_cost"].to_list() == [1234.5, 12.75, 2000.0]


def test_decimal_comma_detected_per_column(tmp_path):
    write(tmp_path, "financials.csv", "project_id;period;cost_category;planned_cost;actual_cost\n"
                                      "P1;2025-01;capex;1.234,5;1,234\nP1;2025-02;capex;3;1,000.5\n")
    d = read_batch(tmp_path).tables["financials"].data
    assert d["planned_cost"].to_list() == [1234.5, 3.0]   # "1.234,5" proves a decimal comma
    assert d["actual_cost"].to_list() == [1234.0, 1000.5]  # "1,000.5" proves a thousands comma


def test_badly_grouped_number_is_an_error(tmp_path):
    write(tmp_path, "financials.csv", 'project_id,period,cost_category,planned_cost\nP1,2025-01,capex,"1,2,3"\n')
    [bad] = errors(read_batch(tmp_path))
    assert (bad.row, bad.column, bad.value) == (2, "planned_cost", "1,2,3")


def test_declared_date_formats_tried_in_order(tmp_path):
    batch_dir = tmp_path / "b"
    write(batch_dir, "risks.csv", "risk_id,project_id,title,probability,impact,status,raised_date\n"
                                  "K1,P1,a,1,1,open,30.06.08\nK2,P1,b,1,1,open,20.05.2020\nK3,P1,c,1,1,open,2014-07-08\n")
    m = mapping(tmp_path, '[defaults]\ndate_formats = ["%d.%m.%y", "%d.%m.%Y"]\n')
    dates = read_batch(batch_dir, m).tables["risks"].data["raised_date"].to_list()
    assert dates == [dt.date(2008, 6, 30), dt.date(2020, 5, 20), dt.date(2014, 7, 8)]


def test_dates_detected_iso_first_then_day_first(tmp_path):
    write(tmp_path, "risks.csv", "risk_id,project_id,title,probability,impact,status,raised_date,closed_date\n"
                                 "K1,P1,a,1,1,open,2011-10-01T00:00:00Z,31/12/2020\n"
                                 "K2,P1,b,1,1,open,05.03.2021,5 Mar 2021\n"
                                 "K3,P1,c,1,1,open,12/31/2020,\n")
    batch = read_batch(tmp_path)
    d = batch.tables["risks"].data
    assert d["raised_date"].to_list()[:2] == [dt.date(2011, 10, 1), dt.date(2021, 3, 5)]
    assert d["closed_date"].to_list() == [dt.date(2020, 12, 31), dt.date(2021, 3, 5), None]
    # Month-first is never guessed.
    [bad] = errors(batch)
    assert (bad.row, bad.column, bad.value) == (4, "raised_date", "12/31/2020")


# --- Excel -----------------------------------------------------------------------------------

def test_xlsx_one_file_per_table(tmp_path):
    header = PROJECT_HEADER.split(",")
    xlsx(tmp_path / "projects.xlsx", {"Sheet1": [
        header,
        ["P1", "Web shop", "Digital", "Retail", "Agile", "execution", dt.date(2025, 1, 1), "2025-12-31", 1000.5],
        ["P2", "Payroll", "Back office", "Finance", "predictive", "closed", dt.date(2024, 1, 1), dt.date(2024, 12, 31), 500],
    ]})
    write(tmp_path, "timesheets.csv", "resource_id,project_id,work_date,hours\nR1,P1,2025-06-02,7.5\n")
    batch = read_batch(tmp_path)
    t = batch.tables["projects"]
    assert t.data["start_date"].to_list() == [dt.date(2025, 1, 1), dt.date(2024, 1, 1)]
    assert t.data["baseline_finish_date"].to_list() == [dt.date(2025, 12, 31), dt.date(2024, 12, 31)]
    assert t.data["budget_at_completion"].to_list() == [1000.5, 500.0]
    assert t.data["_file"].to_list() == ["projects.xlsx[Sheet1]"] * 2 and t.data["_row"].to_list() == [2, 3]
    assert t.raw["start_date"].to_list() == ["2025-01-01", "2024-01-01"]
    assert t.raw["budget_at_completion"].to_list() == ["1000.5", "500"]
    assert "timesheets" in batch.tables and not batch.findings


def test_one_workbook_with_a_sheet_per_table(tmp_path):
    book = xlsx(tmp_path / "pmis.xlsx", {
        "projects": [PROJECT_HEADER.split(","), P1.split(","), P2.split(",")],
        "Timesheets": [["resource_id", "project_id", "work_date", "hours"], ["R1", "P1", dt.date(2025, 6, 2), 7.5],
                       [None, None, None, None], ["R1", "P1", dt.date(2025, 6, 3), "lots"]],
        "Notes": [["just", "notes"]],
    })
    batch = read_batch(book)
    assert set(batch.tables) == {"projects", "timesheets"}
    ts = batch.tables["timesheets"].data
    assert ts["_file"].to_list() == ["pmis.xlsx[Timesheets]"] * 2 and ts["_row"].to_list() == [2, 4]
    assert [(f.file, f.row, f.value) for f in errors(batch)] == [("pmis.xlsx[Timesheets]", 4, "lots")]
    [unknown] = warnings(batch, "UNKNOWN-FILE")
    assert unknown.file == "pmis.xlsx[Notes]"
    assert [f.name for f in batch.files] == ["pmis.xlsx"]


def test_workbook_in_a_folder_and_sheet_rows_are_sheet_rows(tmp_path):
    # Header on sheet row 3: _row is the row number a user sees in Excel.
    xlsx(tmp_path / "export.xlsx", {"projects": [PROJECT_HEADER.split(","), P1.split(",")]}, start_row=2)
    t = read_batch(tmp_path).tables["projects"].data
    assert t["_row"].to_list() == [4] and t["project_id"].to_list() == ["P1"]


def test_excel_numbers_are_not_reread_with_a_decimal_comma(tmp_path):
    batch_dir = tmp_path / "b"
    xlsx(batch_dir / "financials.xlsx", {"f": [["project_id", "period", "cost_category", "planned_cost"],
                                               ["P1", dt.date(2025, 1, 31), "capex", 1234.5],
                                               ["P1", "2025-02", "capex", "2.000,5"]]})
    m = mapping(tmp_path, '[defaults]\ndecimal = ","\n')
    d = read_batch(batch_dir, m).tables["financials"].data
    assert d["planned_cost"].to_list() == [1234.5, 2000.5] and d["period"].to_list() == ["2025-01", "2025-02"]


def test_corrupt_xlsx_is_refused(tmp_path):
    write(tmp_path, "projects.xlsx", "PK\x03\x04 this is not a zip")
    with pytest.raises(BatchError, match=r"^projects.xlsx: not a readable workbook"):
        read_batch(tmp_path)


# --- Parquet ---------------------------------------------------------------------------------

def test_parquet_typed_and_string_columns(tmp_path):
    pl.DataFrame({
        "resource_id": ["R1", "R2"], "project_id": ["P1", "P1"],
        "work_date": [dt.date(2025, 6, 2), dt.date(2025, 6, 3)], "hours": [7.5, 8.0],
    }).write_parquet(tmp_path / "timesheets.parquet")
    pl.DataFrame({"resource_id": ["R1"], "project_id": ["P1"], "period": ["2025-06"], "planned_hours": ["80"]}
                 ).write_parquet(tmp_path / "allocations.parquet")
    batch = read_batch(tmp_path)
    ts = batch.tables["timesheets"]
    assert ts.data["work_date"].to_list() == [dt.date(2025, 6, 2), dt.date(2025, 6, 3)]
    assert ts.data["hours"].to_list() == [7.5, 8.0]
    assert ts.raw.schema["hours"] == pl.String and ts.raw["hours"].to_list() == ["7.5", "8"]
    assert ts.raw["work_date"].to_list() == ["2025-06-02", "2025-06-03"]
    assert batch.tables["allocations"].data["planned_hours"].to_list() == [80.0]


def test_truncated_parquet_is_refused(tmp_path):
    good = tmp_path / "good.parquet"
    pl.DataFrame({"resource_id": ["R1"] * 100}).write_parquet(good)
    (tmp_path / "timesheets.parquet").write_bytes(good.read_bytes()[:-40])
    good.unlink()
    with pytest.raises(BatchError, match=r"^timesheets.parquet: not a readable Parquet file"):
        read_batch(tmp_path)


# --- batch-level errors and warnings ---------------------------------------------------------

def test_missing_path(tmp_path):
    with pytest.raises(BatchError, match="does not exist"):
        read_batch(tmp_path / "nope")


def test_empty_file_is_an_error_and_the_table_is_left_out(tmp_path):
    write(tmp_path, "projects.csv", "")
    write(tmp_path, "timesheets.csv", "resource_id,project_id,work_date,hours\nR1,P1,2025-06-02,1\n")
    batch = read_batch(tmp_path)
    [e] = errors(batch)
    assert (e.table, e.file, e.row) == ("projects", "projects.csv", None) and "empty" in e.message
    assert set(batch.tables) == {"timesheets"}


def test_header_only_file_is_an_error(tmp_path):
    write(tmp_path, "projects.csv", PROJECT_HEADER + "\n")
    batch = read_batch(tmp_path)
    [e] = errors(batch)
    assert e.file == "projects.csv" and "no data rows" in e.message and "projects" not in batch.tables


def test_unknown_file_is_named(tmp_path):
    write(tmp_path, "projects.csv", f"{PROJECT_HEADER}\n{P1}\n")
    write(tmp_path, "project.csv", f"{PROJECT_HEADER}\n{P1}\n")
    write(tmp_path, ".DS_Store", "x")
    batch = read_batch(tmp_path)
    assert [(f.file, f.severity) for f in warnings(batch, "UNKNOWN-FILE")] == [("project.csv", "warning")]


def test_two_files_for_one_table_are_refused(tmp_path):
    write(tmp_path, "projects.csv", f"{PROJECT_HEADER}\n{P1}\n")
    pl.DataFrame({"project_id": ["P1"]}).write_parquet(tmp_path / "projects.parquet")
    with pytest.raises(BatchError, match="two sources for table projects"):
        read_batch(tmp_path)


def test_missing_required_column_leaves_the_table_out(tmp_path):
    write(tmp_path, "projects.csv", f"{PROJECT_HEADER.replace(',stage', '')}\n{P1.replace(',execution', '')}\n")
    batch = read_batch(tmp_path)
    [e] = errors(batch)
    assert (e.rule_id, e.table, e.column, e.row, e.file) == ("SCHEMA", "projects", "stage", None, "projects.csv")
    assert "projects" not in batch.tables


def test_unparsable_cells_name_file_row_column_value_and_become_null(tmp_path):
    write(tmp_path, "projects.csv", f"{PROJECT_HEADER}\n{P1}\n{P2.replace('2024-12-31', '31st Dec').replace(',500', ',five')}\n")
    batch = read_batch(tmp_path)
    found = sorted((f.file, f.row, f.column, f.value) for f in errors(batch))
    assert found == [("projects.csv", 3, "baseline_finish_date", "31st Dec"),
                     ("projects.csv", 3, "budget_at_completion", "five")]
    row = batch.tables["projects"].data.filter(pl.col("_row") == 3).row(0, named=True)
    assert row["baseline_finish_date"] is None and row["budget_at_completion"] is None
    assert batch.tables["projects"].raw.filter(pl.col("_row") == 3)["budget_at_completion"].to_list() == ["five"]


def test_cell_findings_are_capped_per_column(tmp_path, monkeypatch):
    monkeypatch.setattr(transform, "MAX_CELL_FINDINGS", 3)
    rows = "\n".join(f"R1,P1,2025-06-02,bad{i}" for i in range(5))
    write(tmp_path, "timesheets.csv", f"resource_id,project_id,work_date,hours\n{rows}\n")
    errs = errors(read_batch(tmp_path))
    assert [f.row for f in errs] == [2, 3, 4, None] and "2 more" in errs[-1].message


def test_files_are_listed_with_sha256_and_progress_is_reported(tmp_path):
    batch_dir = tmp_path / "b"
    f = write(batch_dir, "projects.csv", f"{PROJECT_HEADER}\n{P1}\n")
    m = mapping(tmp_path, "[defaults]\n")
    seen = []
    batch = read_batch(batch_dir, m, progress=lambda msg, frac: seen.append(frac))
    assert [(x.name, x.size) for x in batch.files] == [("projects.csv", f.stat().st_size), ("mapping.toml", m.stat().st_size)]
    assert batch.files[0].sha256 == hashlib.sha256(f.read_bytes()).hexdigest()
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)


def test_a_batch_read_without_checksums_has_the_same_rows_and_row_numbers_and_no_sha256(tmp_path):
    """validate reads without checksums: nothing it reads is published. The blank-line look that
    hashing does on the way still numbers the rows as a spreadsheet does."""
    lines = [TS_HEADER, "R1,P1,2025-06-02,1", "", "R1,P1,2025-06-03,x", "R2,P2,2025-06-04,2", ""]
    write(tmp_path / "b", "timesheets.csv", "\n".join(lines))
    write(tmp_path / "b", "projects.csv", f"{PROJECT_HEADER}\n{P1}\n")
    both = []
    for checksums in (True, False):
        batch = read_batch(tmp_path / "b", checksums=checksums)
        try:
            both.append(({n: batch.ws.con.execute(f"SELECT * EXCLUDE (_load_id) FROM {t.relation} ORDER BY rowid")
                          .fetchall() for n, t in batch.tables.items()},
                         [(f.rule_id, f.file, f.row, f.column, f.value) for f in batch.findings],
                         [f.sha256 for f in batch.files]))
            if not checksums:
                with pytest.raises(ValueError, match="without checksums"):
                    batch.digest()
        finally:
            batch.close()
    (tables, findings, shas), (tables_unhashed, findings_unhashed, none) = both
    assert tables_unhashed == tables and findings_unhashed == findings
    assert [r[-1] for r in tables["timesheets"]] == [2, 4, 5]       # the blank line 3 still counts
    assert ("SCHEMA", "timesheets.csv", 4, "hours", "x") in findings
    assert all(len(s) == 64 for s in shas) and none == [None, None]


@pytest.mark.parametrize("text, blank", [("a,b\n1,2\n3,4\n", False), ("a,b\n1,2\n\n3,4\n", True),
                                         ("a,b\r\n1,2\r\n\r\n3,4\r\n", True), ("a,b\n1,2\n\n\n", False)])
def test_digest_finds_an_empty_line_before_the_last_row_with_or_without_the_checksum(tmp_path, text, blank):
    from pmo_metrics.sources.delimited import digest

    f = tmp_path / "t.csv"
    f.write_bytes(text.encode())
    assert digest(f, True) == (hashlib.sha256(f.read_bytes()).hexdigest(), blank)
    assert digest(f, True, checksum=False) == (None, blank)
    assert digest(f, False, checksum=False) == (None, False)


# --- mapping files: errors -------------------------------------------------------------------

def test_malformed_toml_names_file_and_line(tmp_path):
    m = mapping(tmp_path, '[defaults]\nencoding = "cp1252"\n[tables.projects\n')
    with pytest.raises(BatchError, match=r"^mapping.toml: malformed TOML: .*line 3"):
        load_mapping(m)


@pytest.mark.parametrize("text, message", [
    ('[tables.projekts]\n', "no contract table 'projekts'"),
    ('[tables.projects]\ncolums = {}\n', "unknown key 'colums'"),
    ('[tables.projects.columns]\nbudget = "Budget"\n', "'budget' is no column of projects"),
    ('[tables.projects.columns]\nproject_id = "{Number|shout}"\n', "unknown filter 'shout'"),
    ('[tables.projects.columns]\nproject_id = "{nope|lookup:ids}"\n', "uses lookup 'ids'"),
    ('[defaults]\nencoding = "klingon"\n', "unknown encoding"),
    ('[defaults]\ndecimal = ","\nthousands = ","\n', "must differ"),
    ('[tables.status_reports.bands.overall_rag]\ncolumns = ["x"]\nlimits = [10, 30]\nlabels = ["green", "red"]\n',
     "needs 3 labels"),
    ('[tables.projects]\nnot_value_action = "explode"\n', "not_value_action"),
    ('[tables.projects.scale]\nproject_name = 10\n', "not a number or money column"),
])
def test_mapping_mistakes_fail_in_one_line(tmp_path, text, message):
    with pytest.raises(BatchError) as e:
        load_mapping(mapping(tmp_path, text))
    assert message in str(e.value) and str(e.value).startswith("mapping.toml: ") and "\n" not in str(e.value)


def test_mapping_naming_a_column_the_file_lacks(tmp_path):
    batch_dir = tmp_path / "b"
    write(batch_dir, "export.csv", "Number,Name\nP1,x\n")
    m = mapping(tmp_path, '[tables.projects]\nfrom = ["export.csv"]\n[tables.projects.columns]\n'
                          'project_id = "Number"\nproject_name = "Title"\n')
    with pytest.raises(BatchError, match=r"^export.csv: the mapping's \[tables.projects.columns\] names column 'Title'"):
        read_batch(batch_dir, m)


def test_mapping_naming_a_missing_file_or_sheet(tmp_path):
    batch_dir = tmp_path / "b"
    xlsx(batch_dir / "book.xlsx", {"Projects": [["a"], ["1"]]})
    m = mapping(tmp_path, '[tables.projects]\nfrom = ["nope_*.csv"]\n')
    with pytest.raises(BatchError, match="matches no file"):
        read_batch(batch_dir, m)
    m = mapping(tmp_path, '[sources.p]\npath = "book.xlsx"\nsheet = "Projekte"\n[tables.projects]\nfrom = ["p"]\n')
    with pytest.raises(BatchError, match=r"^book.xlsx: no sheet 'Projekte' \(sheets: Projects\)"):
        read_batch(batch_dir, m)


def test_mapping_file_missing(tmp_path):
    with pytest.raises(BatchError, match="mapping file does not exist"):
        load_mapping(tmp_path / "nope.toml")


# --- mapping features ------------------------------------------------------------------------

def test_renames_constants_templates_and_translations(tmp_path):
    batch_dir = tmp_path / "b"
    write(batch_dir, "pmis_export.csv",
          "Number,Title,Dept,Start,Finish,Budget (GBP),Health,Method\n"
          "17,Web shop,retail ops,01/02/2025,31/12/2025,£1.5m,On Track,Scrum\n"
          "18,Payroll,finance,n/a,31/12/2024,TBC,Needs Attention,\n")
    m = mapping(tmp_path, """
[defaults]
empty = ["n/a", "TBC"]
date_formats = ["%d/%m/%Y"]

[sources.pmis]
path = "pmis_export.csv"
columns = { budget_m = "Budget (GBP)" }

[tables.projects]
from = ["pmis"]
[tables.projects.columns]
project_id = "PRJ-{Number}"
project_name = "Title"
business_unit = "{Dept|upper}"
portfolio = "{Dept|slug}"
start_date = "Start"
baseline_finish_date = "Finish"
budget_at_completion = "budget_m"
delivery_approach = "Method"
[tables.projects.constants]
stage = "execution"
delivery_approach = "predictive"
[tables.projects.values.delivery_approach]
scrum = "agile"
[tables.projects.scale]
budget_at_completion = 1000000

[tables.status_reports]
from = ["pmis"]
columns = { project_id = "PRJ-{Number}", overall_rag = "Health" }
constants = { report_date = 2025-06-30 }
[tables.status_reports.values.overall_rag]
"On Track" = "green"
"needs attention" = "amber"
""")
    batch = read_batch(batch_dir, m)
    p = batch.tables["projects"].data
    assert p["project_id"].to_list() == ["PRJ-17", "PRJ-18"]
    assert p["business_unit"].to_list() == ["RETAIL OPS", "FINANCE"]
    assert p["portfolio"].to_list() == ["retail-ops", "finance"]
    assert p["stage"].to_list() == ["execution", "execution"]
    assert p["delivery_approach"].to_list() == ["agile", "predictive"]  # translated; constant fills the empty cell
    assert p["start_date"].to_list() == [dt.date(2025, 2, 1), None]       # "n/a" is empty, not an error
    # "£1.5m" is not a number: an error on the right row, in contract terms; TBC is simply empty.
    assert [(f.row, f.column, f.value) for f in errors(batch)] == [(2, "budget_at_completion", "£1.5m")]
    assert p["budget_at_completion"].to_list() == [None, None]
    s = batch.tables["status_reports"].data
    assert s["overall_rag"].to_list() == ["green", "amber"]
    assert s["report_date"].to_list() == [dt.date(2025, 6, 30)] * 2
    # one wide export feeding two tables: both raws are the export as read
    assert batch.tables["projects"].raw.columns == batch.tables["status_reports"].raw.columns
    assert [f.name for f in batch.files] == ["pmis_export.csv", "mapping.toml"]


def test_duplicate_headers_and_coalesce(tmp_path):
    batch_dir = tmp_path / "b"
    write(batch_dir, "ratings.csv", "id,date,rating,rating,note\nP1,2025-03-31,,Amber,x\nP2,2025-03-31,Red,Green,y\n")
    m = mapping(tmp_path, """
[tables.status_reports]
from = ["ratings.csv"]
columns = { project_id = "id", report_date = "date", overall_rag = ["rating", "rating_2"] }
""")
    t = read_batch(batch_dir, m).tables["status_reports"]
    assert t.data["overall_rag"].to_list() == ["amber", "red"]
    assert t.raw.columns[:4] == ["id", "date", "rating", "rating_2"]


def test_not_values_drop_or_null_with_warnings(tmp_path):
    batch_dir = tmp_path / "b"
    write(batch_dir, "y.csv", "id,rating,budget\nP1,Amber,£10\nP2,Exempt under Section 43,Exempt under Section 43\n"
                              "P3,Not provided,£5\nP4,,£7\n")
    m = mapping(tmp_path, """
[defaults]
not_values = ["Exempt*", "not provided"]
[tables.status_reports]
from = ["y.csv"]
not_value_action = "drop"
drop_if_empty = ["overall_rag"]
columns = { project_id = "id", overall_rag = "rating" }
constants = { report_date = "2025-03-31" }
[tables.financials]
from = ["y.csv"]
columns = { project_id = "id", planned_cost = "budget" }
constants = { period = "2025-03", cost_category = "capex" }
""")
    batch = read_batch(batch_dir, m)
    assert batch.tables["status_reports"].data["project_id"].to_list() == ["P1"]
    assert batch.tables["financials"].data["planned_cost"].to_list() == [10.0, None, 5.0, 7.0]
    got = [(f.table, f.row, f.column, f.value) for f in warnings(batch, "MAP-VALUE")]
    assert got == [("status_reports", 3, "overall_rag", "Exempt under Section 43"),
                   ("status_reports", 4, "overall_rag", "Not provided"),
                   ("status_reports", 5, "overall_rag", None),
                   ("financials", 3, "planned_cost", "Exempt under Section 43")]
    assert not errors(batch)


def test_several_files_feed_one_table_with_dedupe(tmp_path):
    batch_dir = tmp_path / "b"
    head = "Code,Name,Unit,Start,End,Cost"
    write(batch_dir, "export_2023.csv", f"{head}\nA,Alpha,BU1,2023-01-01,2024-06-30,100\nB,Beta,BU2,2023-02-01,2023-12-31,50\n")
    write(batch_dir, "export_2024.csv", f"{head}\nA,Alpha 2,BU1,,2024-12-31,120\nC,Gamma,BU3,2024-01-01,2025-01-31,\n")
    m = mapping(tmp_path, """
[tables.projects]
from = ["export_*.csv"]
dedupe = { keep = "last", fill = true, from_first = ["baseline_finish_date"] }
[tables.projects.columns]
project_id = "Code"
project_name = "Name"
business_unit = "Unit"
portfolio = "Unit"
start_date = "Start"
baseline_finish_date = "End"
forecast_finish_date = "End"
budget_at_completion = "Cost"
[tables.projects.constants]
delivery_approach = "predictive"
stage = "execution"
""")
    t = read_batch(batch_dir, m).tables["projects"]
    rows = {r["project_id"]: r for r in t.data.iter_rows(named=True)}
    assert sorted(rows) == ["A", "B", "C"]
    a = rows["A"]
    assert a["project_name"] == "Alpha 2" and a["budget_at_completion"] == 120.0      # latest year wins
    assert a["start_date"] == dt.date(2023, 1, 1)                                     # filled from 2023
    assert a["baseline_finish_date"] == dt.date(2024, 6, 30)                          # first published
    assert a["forecast_finish_date"] == dt.date(2024, 12, 31)                         # latest
    assert (a["_file"], a["_row"]) == ("export_2024.csv", 2)
    assert t.files == ["export_2023.csv", "export_2024.csv"] and t.raw.height == 4


def test_dedupe_without_fill_keeps_the_row_as_is(tmp_path):
    batch_dir = tmp_path / "b"
    write(batch_dir, "a.csv", "id,date,rag,pct\nP1,2025-01-31,green,10\n")
    write(batch_dir, "b.csv", "id,date,rag,pct\nP1,2025-01-31,red,\n")
    m = mapping(tmp_path, """
[tables.status_reports]
from = ["a.csv", "b.csv"]
dedupe = true
columns = { project_id = "id", report_date = "date", overall_rag = "rag", percent_complete = "pct" }
""")
    d = read_batch(batch_dir, m).tables["status_reports"].data
    assert d.select("overall_rag", "percent_complete", "_file").rows() == [("red", None, "b.csv")]


def test_lookup_and_filters(tmp_path):
    batch_dir = tmp_path / "b"
    write(batch_dir, "old.csv", "name,rag\nNew  Polar Vessel ,Amber\nGone project,Red\n")
    write(batch_dir, "new.csv", "number,name,rag\nbis_0014,new polar vessel,Green\n")
    m = mapping(tmp_path, """
[sources.old]
path = "old.csv"
constants = { as_at = "2019-03-31" }
[sources.new]
path = "new.csv"
constants = { as_at = "2020-03-31" }
[lookups.number]
from = ["new"]
key = "{name|squash}"
value = "{number|upper}"
[tables.status_reports]
from = ["old", "new"]
[tables.status_reports.columns]
project_id = ["{name|squash|lookup:number}", "X-{name|slug}"]
report_date = "as_at"
overall_rag = "rag"
""")
    d = read_batch(batch_dir, m).tables["status_reports"].data
    assert d.select("project_id", "overall_rag").rows() == [
        ("BIS_0014", "amber"), ("X-gone-project", "red"), ("BIS_0014", "green")]


def test_bands(tmp_path):
    batch_dir = tmp_path / "b"
    write(batch_dir, "v.csv", "id,updated,cv,sv\nP1,2012-04-30T00:00:00Z,41.2,0\nP2,2012-05-01,-12,3\n"
                              "P3,2012-05-01,0,-9.99\nP4,2012-05-01,,\n")
    m = mapping(tmp_path, """
[tables.status_reports]
from = ["v.csv"]
drop_if_empty = ["overall_rag"]
columns = { project_id = "id", report_date = "updated" }
[tables.status_reports.bands.overall_rag]
columns = ["cv", "sv"]
limits = [10, 30]
labels = ["green", "amber", "red"]
[tables.status_reports.bands.cost_rag]
columns = ["cv"]
abs = false
limits = [10, 30]
labels = ["green", "amber", "red"]
""")
    batch = read_batch(batch_dir, m)
    d = batch.tables["status_reports"].data
    assert d.select("project_id", "overall_rag", "cost_rag").rows() == [
        ("P1", "red", "red"), ("P2", "amber", "green"), ("P3", "green", "green")]
    assert d["report_date"].to_list()[0] == dt.date(2012, 4, 30)
    assert [(f.row, f.column) for f in warnings(batch, "MAP-VALUE")] == [(5, "overall_rag")]


def test_mapping_sheet_source_in_a_workbook_batch(tmp_path):
    book = xlsx(tmp_path / "export.xlsx", {"Data": [["Ref", "Day", "Hrs", "Who"], ["P1", dt.date(2025, 6, 2), 7.5, "R1"]]})
    m = mapping(tmp_path, """
[sources.data]
sheet = "data"
[tables.timesheets]
from = ["data"]
columns = { project_id = "Ref", work_date = "Day", hours = "Hrs", resource_id = "Who" }
""")
    batch = read_batch(book, m)
    d = batch.tables["timesheets"].data
    assert d.row(0, named=True) == {"resource_id": "R1", "project_id": "P1", "work_date": dt.date(2025, 6, 2),
                                         "hours": 7.5, "_file": "export.xlsx[Data]", "_row": 2}
    assert not batch.findings  # the mapping file next to the workbook is claimed, not unknown


def test_mapped_batch_still_reads_tables_by_name_and_warns_about_the_rest(tmp_path):
    batch_dir = tmp_path / "b"
    write(batch_dir, "export.csv", "id,rag,date\nP1,green,2025-01-31\n")
    write(batch_dir, "projects.csv", f"{PROJECT_HEADER}\n{P1}\n")
    write(batch_dir, "status_reports.csv", "project_id,report_date,overall_rag\nP1,2025-01-31,red\n")
    write(batch_dir, "readme.txt", "hello")
    m = mapping(tmp_path, '[tables.status_reports]\nfrom = ["export.csv"]\n'
                          'columns = { project_id = "id", overall_rag = "rag", report_date = "date" }\n')
    batch = read_batch(batch_dir, m)
    assert set(batch.tables) == {"projects", "status_reports"}
    assert batch.tables["status_reports"].data["overall_rag"].to_list() == ["green"]
    assert sorted(f.file for f in warnings(batch, "UNKNOWN-FILE")) == ["readme.txt", "status_reports.csv"]


def test_source_paths_are_relative_to_the_batch_folder(tmp_path):
    batch_dir = tmp_path / "batch"
    write(batch_dir / "sub", "ts.csv", "resource_id,project_id,work_date,hours\nR1,P1,2025-06-02,1\n")
    m = mapping(tmp_path / "elsewhere", '[tables.timesheets]\nfrom = ["sub/*.csv"]\n')
    t = read_batch(batch_dir, m).tables["timesheets"]
    assert t.files == ["sub/ts.csv"] and t.data["_file"].to_list() == ["sub/ts.csv"]


# --- the lean first pass: one read, no helper columns, numbered as read -------------------------

def _timesheets(folder: Path, rows: list[str], blank_after: int | None = None) -> Path:
    lines = ["resource_id,project_id,work_date,hours"] + rows
    if blank_after is not None:
        lines.insert(blank_after + 1, "")
    folder.mkdir()
    (folder / "timesheets.csv").write_text("\n".join(lines) + "\n")
    return folder


def _read_with_lean_spy(folder: Path, monkeypatch) -> tuple[list[tuple], list[bool], list[str]]:
    from pmo_metrics.sources import transform

    taken: list[bool] = []
    real = transform.PartBuilder._read_lean
    monkeypatch.setattr(transform.PartBuilder, "_read_lean", lambda self: taken.append(real(self)) or taken[-1])
    batch = read_batch(folder)
    try:
        t = batch.tables["timesheets"]
        columns = [r[0] for r in batch.ws.con.execute(f"DESCRIBE {t.relation}").fetchall()]
        rows = batch.ws.con.execute(f"SELECT resource_id, project_id, work_date, hours, _file, _row FROM {t.relation} "
                                    "ORDER BY rowid").fetchall()
        return rows, taken, columns
    finally:
        batch.close()


def test_a_clean_file_is_read_the_lean_way_and_a_cell_to_repair_reads_the_same_the_full_way(tmp_path, monkeypatch):
    clean = ["R1,P1,2026-01-05,7.5", "R1,P2,2026-01-06,8", "R2,P1,2026-01-05,4"]
    rows, taken, columns = _read_with_lean_spy(_timesheets(tmp_path / "clean", clean), monkeypatch)
    assert taken == [True]
    assert columns == ["resource_id", "project_id", "work_date", "hours", "_load_id", "_file", "_row"]
    assert rows == [("R1", "P1", dt.date(2026, 1, 5), 7.5, "timesheets.csv", 2),
                    ("R1", "P2", dt.date(2026, 1, 6), 8.0, "timesheets.csv", 3),
                    ("R2", "P1", dt.date(2026, 1, 5), 4.0, "timesheets.csv", 4)]
    # " 8 " is no plain number: the lean pass stops, the full one reads it (lenient parser) alike.
    again, taken, columns = _read_with_lean_spy(_timesheets(tmp_path / "spaced", [clean[0], "R1,P2,2026-01-06, 8 ",
                                                                                  clean[2]]), monkeypatch)
    assert taken == [False] and again == rows
    assert columns == ["resource_id", "project_id", "work_date", "hours", "_load_id", "_file", "_row"]


def test_a_blank_line_is_read_the_lean_way_with_the_row_numbers_a_spreadsheet_shows(tmp_path, monkeypatch):
    rows, taken, _ = _read_with_lean_spy(
        _timesheets(tmp_path / "b", ["R1,P1,2026-01-05,7.5", "R1,P2,2026-01-06,8", "R2,P1,2026-01-05,4"],
                    blank_after=1), monkeypatch)
    assert taken == [True]
    assert [r[-1] for r in rows] == [2, 4, 5]   # the blank line 3 moves the rows after it down one


def test_a_record_of_separators_only_is_left_out_the_full_way_and_keeps_its_line(tmp_path, monkeypatch):
    rows, taken, _ = _read_with_lean_spy(
        _timesheets(tmp_path / "s", ["R1,P1,2026-01-05,7.5", ",,,", "R2,P1,2026-01-05,4"]), monkeypatch)
    assert taken == [False]
    assert [(r[0], r[-1]) for r in rows] == [("R1", 2), ("R2", 4)]


def test_a_cell_that_does_not_parse_is_named_with_its_row_after_the_lean_pass_gave_up(tmp_path):
    folder = _timesheets(tmp_path / "bad", ["R1,P1,2026-01-05,7.5", "R1,P2,2026-01-06,eight"])
    batch = read_batch(folder)
    try:
        bad = [f for f in batch.findings if f.rule_id == "SCHEMA" and f.column == "hours"]
        assert [(f.file, f.row, f.value) for f in bad] == [("timesheets.csv", 3, "eight")]
    finally:
        batch.close()


def _every_table(folder: Path) -> tuple[dict[str, list[tuple]], list[tuple]]:
    batch = read_batch(folder)
    try:
        rows = {name: batch.ws.con.execute(f"SELECT * EXCLUDE (_load_id) FROM {t.relation} ORDER BY rowid").fetchall()
                for name, t in batch.tables.items()}
        return rows, [(f.rule_id, f.table, f.file, f.row, f.column, f.value) for f in batch.findings]
    finally:
        batch.close()


def test_tables_read_ahead_on_cursors_of_their_own_come_out_as_read_one_by_one(tmp_path, monkeypatch):
    from batches import write_batch

    from pmo_metrics.sources import batch as batch_module

    folder = write_batch(tmp_path / "b")
    # A cell for the lenient parsers (" 8 ") sends timesheets the full way; a blank line in
    # milestones moves the row numbers after it; a bad date in risks is an error named by row.
    ts = folder / "timesheets.csv"
    ts.write_text(ts.read_text().replace("2025-06-03,8", "2025-06-03, 8 "))
    ms = folder / "milestones.csv"
    head, *rest = ms.read_text().splitlines()
    ms.write_text("\n".join([head, rest[0], ""] + rest[1:]) + "\n")
    rk = folder / "risks.csv"
    rk.write_text(rk.read_text().replace("2025-", "2025/13/", 1))

    outcomes: list[tuple[str, str | None]] = []
    real = transform.PartBuilder._outcome_ahead
    monkeypatch.setattr(transform.PartBuilder, "_outcome_ahead",
                        lambda self: outcomes.append((self.name, real(self))) or outcomes[-1][1])
    ahead = _every_table(folder)
    assert dict(outcomes)["projects"] == "built" and dict(outcomes)["milestones"] == "built"
    assert dict(outcomes)["timesheets"] == "missed" and dict(outcomes)["risks"] == "missed"

    monkeypatch.setattr(batch_module, "ReadAhead", lambda ws, builders: None)
    outcomes.clear()
    one_by_one = _every_table(folder)
    assert set(dict(outcomes).values()) == {None}
    assert ahead == one_by_one
    assert [r[-1] for r in ahead[0]["milestones"]] == [2] + [n + 1 for n in range(3, len(rest) + 2)]
    assert any(f[0] == "SCHEMA" and f[1] == "risks" and f[3] == 2 for f in ahead[1])


def test_a_failure_while_tables_are_read_ahead_stops_them_and_is_raised(tmp_path, monkeypatch):
    import threading
    import time

    from batches import write_batch

    from pmo_metrics.sources import batch as batch_module

    folder = write_batch(tmp_path / "b")
    calls: list[str] = []
    for name in ("interrupt", "close"):
        real = getattr(read_ahead.ReadAhead, name)
        monkeypatch.setattr(read_ahead.ReadAhead, name,
                            lambda self, real=real, name=name: calls.append(name) or real(self))
    real_execute = read_ahead.ReadAhead._execute
    # Each pass starts late, so that the failure finds most of them still waiting in the queue.
    monkeypatch.setattr(read_ahead.ReadAhead, "_execute",
                        lambda self, *args: time.sleep(0.2) or real_execute(self, *args))
    real_headers = batch_module._repeated_headers

    def failing(t, *args):
        if t == "strategic_objectives":
            raise KeyboardInterrupt  # Ctrl-C while the later tables are being read ahead
        return real_headers(t, *args)

    monkeypatch.setattr(batch_module, "_repeated_headers", failing)
    raised: list[BaseException] = []

    def read() -> None:
        try:
            read_batch(folder)
        except BaseException as exc:  # noqa: BLE001 — the test looks at what was raised
            raised.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    reader.join(timeout=60)
    assert not reader.is_alive(), "the failed read waited for ever on the passes it cancelled"
    assert [type(e) for e in raised] == [KeyboardInterrupt]
    assert calls == ["interrupt", "close"]
    assert not [t for t in threading.enumerate()
                if t.name.startswith(("pmo-read-ahead", "pmo-plain-cells", "pmo-read-piece"))]


# -- rows numbered as they are read: whole small files, large plain ones in pieces ---------------------

def _outcomes(monkeypatch) -> dict[str, tuple[str | None, bool]]:
    """Per table, how its pass read ahead ended and whether it numbered the rows as it read them."""
    seen: dict[str, tuple[str | None, bool]] = {}
    real = transform.PartBuilder._outcome_ahead

    def spy(self):
        outcome = real(self)
        seen[self.name] = (outcome, self.numbered)
        return outcome

    monkeypatch.setattr(transform.PartBuilder, "_outcome_ahead", spy)
    return seen


def _pieces_spy(monkeypatch) -> list[list[int]]:
    """The split points of every file read in pieces."""
    splits: list[list[int]] = []
    real = read_ahead.ReadAhead._pieces
    monkeypatch.setattr(read_ahead.ReadAhead, "_pieces",
                        lambda self, cur, plan, csv: splits.append(list(csv.splits)) or real(self, cur, plan, csv))
    return splits


def _one_by_one(folder: Path, monkeypatch):
    from pmo_metrics.sources import batch as batch_module

    with monkeypatch.context() as m:
        m.setattr(batch_module, "ReadAhead", lambda ws, builders: None)
        return _every_table(folder)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_large_plain_file_is_read_in_pieces_numbered_from_where_each_starts(tmp_path, monkeypatch, newline):
    from pmo_metrics.sources import delimited

    rows = [f"R{i % 7},P{i % 5},2026-01-{1 + i % 28:02d},{(i % 9) / 4}" for i in range(2000)]
    folder = _timesheets(tmp_path / "b", rows)
    (folder / "timesheets.csv").write_bytes((folder / "timesheets.csv").read_bytes().replace(b"\n", newline.encode()))
    monkeypatch.setattr(delimited, "PIECE_BYTES", 4096)     # ~60 KB: as many pieces as DuckDB has threads
    monkeypatch.setattr(delimited, "CHUNK_BYTES", 5000)     # split points found across chunk boundaries
    outcomes, splits = _outcomes(monkeypatch), _pieces_spy(monkeypatch)
    tables, findings = _every_table(folder)
    assert outcomes["timesheets"] == ("built", True)
    assert len(splits) == 1 and len(splits[0]) >= 1          # two pieces or more (one per DuckDB thread)
    assert [r[-1] for r in tables["timesheets"]] == list(range(2, 2002))   # every row its line's number
    assert (tables, findings) == _one_by_one(folder, monkeypatch)


def test_a_cell_to_repair_in_a_later_piece_sends_the_file_the_full_way_and_no_piece_is_kept(tmp_path, monkeypatch):
    from pmo_metrics.sources import delimited

    rows = [f"R{i % 7},P{i % 5},2026-01-{1 + i % 28:02d},{i % 9}" for i in range(2000)]
    rows[1700] = "R1,P1,2026-01-05,eight"       # in the last piece
    folder = _timesheets(tmp_path / "b", rows)
    monkeypatch.setattr(delimited, "PIECE_BYTES", 4096)
    outcomes, splits = _outcomes(monkeypatch), _pieces_spy(monkeypatch)
    tables, findings = _every_table(folder)
    assert splits and outcomes["timesheets"] == ("missed", False)
    assert [(f[0], f[3], f[4], f[5]) for f in findings if f[1] == "timesheets"] == [("SCHEMA", 1702, "hours", "eight")]
    assert [r[-1] for r in tables["timesheets"]] == list(range(2, 2002))
    assert (tables, findings) == _one_by_one(folder, monkeypatch)


def test_a_short_row_in_a_later_piece_is_read_by_the_loop_as_any_refused_file_is(tmp_path, monkeypatch):
    from pmo_metrics.sources import delimited

    rows = [f"R{i % 7},P{i % 5},2026-01-{1 + i % 28:02d},{i % 9}" for i in range(2000)]
    rows[1800] = "R1,P1,2026-01-05"             # one cell short: DuckDB refuses the piece
    folder = _timesheets(tmp_path / "b", rows)
    monkeypatch.setattr(delimited, "PIECE_BYTES", 4096)
    outcomes, splits = _outcomes(monkeypatch), _pieces_spy(monkeypatch)
    tables, findings = _every_table(folder)
    assert splits and outcomes["timesheets"] == (None, False)
    assert [r[-1] for r in tables["timesheets"]] == list(range(2, 2002))
    assert tables["timesheets"][1800][:4] == ("R1", "P1", dt.date(2026, 1, 5), None)
    assert (tables, findings) == _one_by_one(folder, monkeypatch)


def test_a_large_file_of_mixed_line_ends_is_refused_in_pieces_and_read_from_its_normalised_copy(tmp_path, monkeypatch):
    from pmo_metrics.sources import delimited

    rows = [f"R{i % 7},P{i % 5},2026-01-{1 + i % 28:02d},{i % 9}" for i in range(2000)]
    folder = _timesheets(tmp_path / "b", rows)
    path = folder / "timesheets.csv"
    lines = path.read_bytes().split(b"\n")
    path.write_bytes(b"\n".join(line + b"\r" if i % 3 == 0 and line else line for i, line in enumerate(lines)))
    monkeypatch.setattr(delimited, "PIECE_BYTES", 4096)
    outcomes, splits = _outcomes(monkeypatch), _pieces_spy(monkeypatch)
    tables, findings = _every_table(folder)
    assert splits and outcomes["timesheets"] == (None, False)   # DuckDB refused a piece; the loop read it
    assert [r[-1] for r in tables["timesheets"]] == list(range(2, 2002))
    assert all(r[3] is not None for r in tables["timesheets"])        # no CR left in a cell
    assert (tables, findings) == _one_by_one(folder, monkeypatch)


def test_a_file_with_a_blank_line_is_read_ahead_whole_and_numbered_past_it_by_the_loop(tmp_path, monkeypatch):
    from pmo_metrics.sources import delimited

    rows = [f"R{i % 7},P{i % 5},2026-01-{1 + i % 28:02d},{i % 9}" for i in range(2000)]
    folder = _timesheets(tmp_path / "b", rows, blank_after=1500)
    monkeypatch.setattr(delimited, "PIECE_BYTES", 4096)
    outcomes, splits = _outcomes(monkeypatch), _pieces_spy(monkeypatch)
    tables, findings = _every_table(folder)
    assert outcomes["timesheets"] == ("built", False) and not splits
    assert [r[-1] for r in tables["timesheets"]] == list(range(2, 1502)) + list(range(1503, 2003))
    assert (tables, findings) == _one_by_one(folder, monkeypatch)


def test_a_small_file_with_a_blank_line_is_read_ahead_and_renumbered_past_it(tmp_path, monkeypatch):
    folder = _timesheets(tmp_path / "b", ["R1,P1,2026-01-05,7.5", "R1,P2,2026-01-06,8", "R2,P1,2026-01-05,4"],
                         blank_after=1)
    outcomes = _outcomes(monkeypatch)
    tables, findings = _every_table(folder)
    assert outcomes["timesheets"] == ("built", False)       # numbered as read, then past the blank line
    assert [r[-1] for r in tables["timesheets"]] == [2, 4, 5]
    assert (tables, findings) == _one_by_one(folder, monkeypatch)


def test_small_files_are_numbered_as_they_are_read(tmp_path, monkeypatch):
    from batches import write_batch

    folder = write_batch(tmp_path / "b")
    outcomes = _outcomes(monkeypatch)
    tables, findings = _every_table(folder)
    assert outcomes and all(o == ("built", True) for o in outcomes.values()), outcomes
    assert all([r[-1] for r in rows] == list(range(2, len(rows) + 2)) for rows in tables.values())
    assert (tables, findings) == _one_by_one(folder, monkeypatch)


def test_a_failing_piece_stops_the_others_and_keeps_none(tmp_path, monkeypatch):
    import duckdb

    from pmo_metrics.sources import delimited

    rows = [f"R{i % 7},P{i % 5},2026-01-{1 + i % 28:02d},{i % 9}" for i in range(2000)]
    folder = _timesheets(tmp_path / "b", rows)
    monkeypatch.setattr(delimited, "PIECE_BYTES", 4096)
    committed: list[int] = []
    errors: list[BaseException] = []
    real_pieces = read_ahead.ReadAhead._pieces

    def pieces(self, cur, plan, csv):
        wrapped = [_Failing(c) for c in plan.cursors]
        plan.cursors = tuple(wrapped)
        try:
            real_pieces(self, cur, plan, csv)
        except BaseException as exc:  # noqa: BLE001 — looked at below
            errors.append(exc)
            committed.extend(c.commits for c in wrapped)
            raise

    monkeypatch.setattr(read_ahead.ReadAhead, "_pieces", pieces)
    outcomes = _outcomes(monkeypatch)
    tables, findings = _every_table(folder)
    assert [type(e).__name__ for e in errors] == ["InterruptException"]
    assert committed == [0] * len(committed) and committed
    assert outcomes["timesheets"] == (None, False)                  # read again by the loop, whole
    assert [r[-1] for r in tables["timesheets"]] == list(range(2, 2002))


class _Failing:
    """A cursor whose INSERT of a piece fails as an interrupted statement does; counts its commits."""

    def __init__(self, cur):
        self.cur, self.commits = cur, 0

    def execute(self, text, params=None):
        import duckdb

        if text.startswith("INSERT"):
            raise duckdb.InterruptException("INTERRUPT Error: Interrupted!")
        if text == "COMMIT":
            self.commits += 1
        return self.cur.execute(text, params) if params is not None else self.cur.execute(text)

    def interrupt(self):
        self.cur.interrupt()


@pytest.mark.parametrize("pieces", [2, 3])
def test_a_plain_file_splits_at_line_ends_into_pieces_of_about_equal_size(tmp_path, monkeypatch, pieces):
    from pmo_metrics.sources import delimited

    lines = [f"R{i},P1,2026-01-05,{i % 10}" for i in range(1000)]
    path = tmp_path / "t.csv"
    path.write_text("\nh1,h2,h3,h4\n" + "\n".join(lines) + "\n")       # a blank line before the header
    monkeypatch.setattr(delimited, "CHUNK_BYTES", 777)
    plain, splits = delimited.look_at_cells(path, skip=1, pieces=pieces)
    assert plain and len(splits) == pieces - 1 and splits == sorted(set(splits))
    sizes = [len("\n".join(lines[a:b])) for a, b in zip([0] + splits, splits + [len(lines)])]
    assert max(sizes) - min(sizes) < 2 * max(len(x) for x in lines)
    assert delimited.look_at_cells(path, skip=1, pieces=1) == (True, [])
    path.write_text("h1,h2\n" + "a b,1\n" * 500)
    assert delimited.look_at_cells(path, skip=0, pieces=pieces) == (False, [])       # not plain: no pieces
    path.write_text("h1,h2\n" + "x" * 5000 + ",1\n")
    assert delimited.look_at_cells(path, skip=0, pieces=pieces) == (True, [])        # one line: nothing to split


# -- plain cells: no trim, numbers by DuckDB's cast alone ----------------------------------------------

@pytest.mark.parametrize("data, plain", [
    ("R1,P1,2026-01-05,7.5\nR2,P1,2026-01-05,+4\n", True),
    ("R1,P1,2026-01-05,7.5\r\nR2,P1,2026-01-05,1e1\r\n", True),        # CRLF line ends
    ("R1,P1,2026-01-05, 7.5\n", False),                                  # a space
    ("R1,P1,2026-01-05,7.5\t\n", False),                                # a tab
    ("R1,P1,2026-01-05,1_000\n", False),                                 # DuckDB reads 1000
    ("R1,P1,2026-01-05,+-1\n", False),                                   # DuckDB reads -1
    ('R1,P1,2026-01-05,"7.5"\n', False),                                 # a quote (may hold a line end)
    ("R1,P1,2026-01-05,7.5\rR2,P1,2026-01-05,4\n", False),              # a CR alone
    ("R1,P1,2026-01-05,7\u00a05\n", False),                             # not ASCII
    ("R1,P1,2026-01-05,7.5\x0b\n", False),
])
def test_plain_cells_are_told_from_the_bytes_after_the_header(tmp_path, data, plain):
    from pmo_metrics.sources.delimited import plain_cells

    path = tmp_path / "t.csv"
    path.write_bytes(("\n\nresource id,project_id,work_date,hours\n" + data).encode())  # the header may hold anything
    assert plain_cells(path, skip=2) is plain


def test_a_plus_and_minus_split_between_two_chunks_is_not_plain(tmp_path, monkeypatch):
    from pmo_metrics.sources import delimited

    path = tmp_path / "t.csv"
    path.write_bytes(b"h\n" + b"1" * 13 + b"+-5\n")
    monkeypatch.setattr(delimited, "CHUNK_BYTES", 14)  # the chunks end with "+" and begin with "-"
    assert delimited.plain_cells(path, skip=0) is False


def _read_plain_or_not(folder: Path, monkeypatch, plain: bool):
    from pmo_metrics.sources.delimited import CsvFile

    chosen: list[bool] = []
    real = CsvFile.plain
    monkeypatch.setattr(CsvFile, "plain", lambda self, *pieces: chosen.append(real(self, *pieces) and plain)
                        or chosen[-1])
    return _every_table(folder), chosen


@pytest.mark.parametrize("hours, bad", [
    (["7.5", "1e1", ".5", "5.", "-0", "+3", "1E-3", "007", "123456789012.25", "0.1e+2"], []),
    # read by the cast but no number: the lenient parser decides, and refuses them
    (["7.5", "inf", "nan", "1e400", "8"], ["inf", "nan", "1e400"]),
])
def test_a_plain_file_read_without_trims_and_pattern_comes_out_as_read_with_them(tmp_path, monkeypatch, hours, bad):
    rows = [f"R{i},P{i % 3},2026-01-{5 + i:02d},{h}" for i, h in enumerate(hours)]
    folder = _timesheets(tmp_path / "t", rows)
    plain, chosen = _read_plain_or_not(folder, monkeypatch, True)
    assert chosen == [True]
    general, chosen = _read_plain_or_not(folder, monkeypatch, False)
    assert chosen == [False]
    assert plain == general
    assert [f[5] for f in general[1] if f[4] == "hours"] == bad
    assert [r[3] for r in plain[0]["timesheets"] if r[3] is not None][:2] == [7.5, 10.0 if not bad else 8.0]


def test_the_load_id_and_file_of_a_lean_table_are_every_rows_even_with_a_quote_in_the_file_name(tmp_path):
    """A table read the lean way holds its load id and file as generated columns (written once,
    not per row); their values are every row's, a quote in the file's name included, and a later
    load that leaves the table in place copies them as they are."""
    import duckdb

    from batches import write_batch
    from pmo_metrics.warehouse import load_batch

    folder = write_batch(tmp_path / "b")
    odd = folder / "o'brien's; DROP TABLE x; --.csv"
    (folder / "timesheets.csv").rename(odd)
    m = mapping(tmp_path, f'[sources.ts]\npath = "{odd.name}"\n[tables.timesheets]\nfrom = ["ts"]\n')
    db = tmp_path / "pmo.duckdb"
    result = load_batch(folder, db, m)
    assert result.ok, result.message
    con = duckdb.connect(str(db), read_only=True)
    try:
        ddl = con.execute("SELECT sql FROM duckdb_tables() WHERE table_name = 'timesheets' AND schema_name = 'main'"
                          ).fetchone()[0]
        rows = con.execute("SELECT DISTINCT _load_id, _file FROM main.timesheets").fetchall()
        n, numbered = con.execute("SELECT count(*), count(DISTINCT _row) FROM main.timesheets").fetchone()
    finally:
        con.close()
    assert rows == [(result.load_id, odd.name)] and n == numbered > 1, (rows, n, numbered)

    (folder / "projects.csv").write_text((folder / "projects.csv").read_text().replace("Ann", "Anne"))
    only_projects = tmp_path / "p"
    only_projects.mkdir()
    (folder / "projects.csv").rename(only_projects / "projects.csv")
    again = load_batch(only_projects, db)
    assert again.ok, again.message
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT DISTINCT _load_id, _file FROM main.timesheets").fetchall() == rows
        assert con.execute("SELECT DISTINCT _load_id FROM main.projects").fetchall() == [(again.load_id,)]
    finally:
        con.close()
    assert "_load_id VARCHAR GENERATED ALWAYS AS" in ddl and "_file VARCHAR GENERATED ALWAYS AS" in ddl, ddl


# -- a plain file's dates and numbers typed by DuckDB's reader ----------------------------------------

def _reader_types(monkeypatch) -> list[dict[str, str]]:
    """The columns every read_csv of the batch asked DuckDB's reader to type."""
    from pmo_metrics.sources import delimited

    asked: list[dict[str, str]] = []
    real = delimited.CsvFile.reader_sql

    def spy(self, *args, **kwargs):
        asked.append(dict(kwargs.get("types") or {}))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(delimited.CsvFile, "reader_sql", spy)
    return asked


@pytest.mark.parametrize("piece_bytes", [None, 4096], ids=["whole", "pieces"])
def test_a_plain_file_has_its_dates_and_numbers_typed_by_the_reader_and_reads_as_one_by_one(
        tmp_path, monkeypatch, piece_bytes):
    from pmo_metrics.sources import delimited

    rows = [f"R{i % 7},P{i % 5},2026-01-{1 + i % 28:02d},{(i % 9) / 4}" for i in range(2000)]
    folder = _timesheets(tmp_path / "b", rows)
    if piece_bytes:
        monkeypatch.setattr(delimited, "PIECE_BYTES", piece_bytes)
    outcomes, asked = _outcomes(monkeypatch), _reader_types(monkeypatch)
    tables, findings = _every_table(folder)
    assert outcomes["timesheets"] == ("built", True)
    assert {"c3": "DATE", "c4": "DOUBLE"} in asked            # the reader typed work_date and hours
    assert tables["timesheets"][5][:4] == ("R5", "P0", dt.date(2026, 1, 6), 1.25)
    assert (tables, findings) == _one_by_one(folder, monkeypatch)


@pytest.mark.parametrize("cell, column, missed", [
    ("0031-03-24", "work_date", True), ("2026/01/05", "work_date", True), ("2026-1-5", "work_date", False),
    ("inf", "hours", True), ("1e400", "hours", True), ("2.5e0", "hours", False)])
def test_a_cell_the_reader_cannot_type_or_the_fast_parse_would_not_read_goes_to_the_lenient_parser(
        tmp_path, monkeypatch, cell, column, missed):
    """A year before 1000 and an infinite number the reader reads but the fast parse does not;
    another date separator it refuses (the statement stops): each ends the lean pass as a miss
    for the lenient parser. What both read (a short month and day, an exponent) stays in the pass.
    Either way the batch reads exactly as with no read-ahead at all."""
    from pmo_metrics.sources import delimited

    rows = [f"R{i % 7},P{i % 5},2026-01-{1 + i % 28:02d},{i % 9}" for i in range(2000)]
    r, p, d, h = rows[1700].split(",")
    rows[1700] = ",".join([r, p, cell, h] if column == "work_date" else [r, p, d, cell])
    folder = _timesheets(tmp_path / "b", rows)
    monkeypatch.setattr(delimited, "PIECE_BYTES", 4096)
    outcomes = _outcomes(monkeypatch)
    tables, findings = _every_table(folder)
    assert outcomes["timesheets"] == (("missed", False) if missed else ("built", True))
    assert [r[-1] for r in tables["timesheets"]] == list(range(2, 2002))
    assert (tables, findings) == _one_by_one(folder, monkeypatch)
