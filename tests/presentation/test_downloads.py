"""Downloads are safe to open in a spreadsheet; uploads are staged as a batch without escaping their folder."""
from __future__ import annotations

import io
import zipfile

import openpyxl
import pandas as pd
import pytest

from pmo_metrics import downloads


@pytest.fixture
def hostile() -> pd.DataFrame:
    return pd.DataFrame({
        "project_name": ['=HYPERLINK("http://evil","x")', "+1+2", "-cmd", "@SUM(A1)", "\t=1", "plain", None],
        "value": [1.5, -2.0, 3.0, None, 0.0, 10.0, 7.0],
        "=formula header": ["a", "b", "c", "d", "e", "f", "g"],
    })


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@x", "\tx", "\rx"])
def test_a_cell_that_starts_a_formula_is_quoted(text):
    assert downloads.neutralise_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["plain", "a=b", "", 3, -3.5, None])
def test_other_values_are_left_alone(value):
    assert downloads.neutralise_cell(value) == value


def test_csv_quotes_formulas_and_keeps_numbers(hostile):
    text = downloads.to_csv_bytes(hostile).decode("utf-8-sig")
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert frame.columns[-1] == "'=formula header"
    assert frame["project_name"].tolist()[:5] == ["'" + v for v in hostile["project_name"][:5]]
    assert frame["project_name"].tolist()[5:] == ["plain", ""]
    assert frame["value"].tolist()[:3] == ["1.5", "-2.0", "3.0"]  # negative numbers stay numbers


def test_excel_holds_values_never_formulas(hostile):
    book = openpyxl.load_workbook(io.BytesIO(downloads.to_excel_bytes(hostile, sheet="Projects: [x]")))
    sheet = book.worksheets[0]
    assert sheet.title == "Projects   x"
    cells = [c.value for c in sheet["A"]][1:]
    assert cells[0] == "'" + hostile["project_name"][0]
    assert all(c is None or not str(c).startswith("=") for row in sheet.iter_rows() for c in
               (cell.value for cell in row))
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert [c.value for c in sheet["B"]][1:4] == [1.5, -2.0, 3.0]


def test_excel_with_several_sheets_and_time_zones():
    a = pd.DataFrame({"t": pd.to_datetime(["2025-01-01 10:00"]).tz_localize("UTC")})
    book = openpyxl.load_workbook(io.BytesIO(downloads.to_excel_bytes({"one": a, "One": a})))
    assert [s.title for s in book.worksheets] == ["one", "One_2"]


def test_a_table_too_long_for_excel_is_refused(monkeypatch):
    monkeypatch.setattr(downloads, "EXCEL_MAX_ROWS", 2)
    with pytest.raises(ValueError, match="CSV"):
        downloads.to_excel_bytes(pd.DataFrame({"a": [1, 2, 3]}))


def test_file_stem():
    assert downloads.file_stem("Largest variances 2025-03") == "largest_variances_2025-03"
    assert downloads.file_stem("../../etc/passwd") == "etc_passwd"
    assert downloads.file_stem("") == "table"


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_a_zip_is_unpacked_flat_and_cannot_escape(tmp_path):
    data = _zip({"../../outside/projects.csv": b"a\n1\n", "export/risks.csv": b"b\n", "__MACOSX/._x": b"",
                 "mapping.toml": b"x = 1\n", "notes.docx": b"?"})
    staged = downloads.stage_upload([("batch.zip", data)], tmp_path / "up")
    assert staged.batch_path == tmp_path / "up" / "batch"
    assert sorted(staged.files) == ["projects.csv", "risks.csv"]
    assert staged.mapping_path == tmp_path / "up" / "mapping.toml"
    assert staged.ignored == ["notes.docx"]
    assert not (tmp_path / "outside").exists()
    assert sorted(p.name for p in (tmp_path / "up" / "batch").iterdir()) == ["projects.csv", "risks.csv"]


def test_one_workbook_is_the_batch(tmp_path):
    staged = downloads.stage_upload([("pmis.xlsx", b"PK")], tmp_path)
    assert staged.batch_path == tmp_path / "batch" / "pmis.xlsx"


def test_an_upload_without_tables_is_refused(tmp_path):
    with pytest.raises(downloads.UploadError, match="no table files"):
        downloads.stage_upload([("readme.md", b"x")], tmp_path)
    with pytest.raises(downloads.UploadError, match="cannot be opened"):
        downloads.stage_upload([("x.zip", b"not a zip")], tmp_path / "b")
    with pytest.raises(downloads.UploadError, match="both named"):
        downloads.stage_upload([("a/projects.csv", b"x"), ("b/projects.csv", b"y")], tmp_path / "c")


def test_a_zip_bomb_is_refused(tmp_path):
    data = _zip({"projects.csv": b"0" * 5000})
    with pytest.raises(downloads.UploadError, match="unpacks to more than"):
        downloads.stage_upload([("big.zip", data)], tmp_path, max_bytes=1000)


def test_a_member_that_lies_about_its_size_is_refused(tmp_path):
    data = bytearray(_zip({"projects.csv": b"0" * 5000}))
    # shrink the declared size in the central directory and the local header: the member now inflates
    # beyond what it says, which the cap is computed from
    import struct

    cd = data.rfind(b"PK\x01\x02")
    struct.pack_into("<I", data, cd + 24, 10)
    struct.pack_into("<I", data, 0 + 22, 10)
    with pytest.raises(downloads.UploadError, match="cannot be unpacked"):
        downloads.stage_upload([("lying.zip", bytes(data))], tmp_path, max_bytes=1000)


def test_a_zip_with_too_many_members_is_refused(tmp_path):
    data = _zip({f"f{i}.csv": b"" for i in range(downloads.MAX_ZIP_ENTRIES + 1)})
    with pytest.raises(downloads.UploadError, match="holds 2,001 files"):
        downloads.stage_upload([("many.zip", data)], tmp_path)


def test_an_upload_larger_than_the_limit_is_refused(tmp_path):
    with pytest.raises(downloads.UploadError, match="larger than"):
        downloads.stage_upload([("projects.csv", b"x" * 3 * 1024 ** 2)], tmp_path,
                                max_upload_bytes=2 * 1024 ** 2)
    assert not (tmp_path / "batch").exists()


@pytest.mark.parametrize("name", ["/etc/projects.csv", "C:\\\\Windows\\\\projects.csv", "..\\\\..\\\\projects.csv",
                                  "../../../projects.csv", "./projects.csv"])
def test_member_paths_never_leave_the_staging_folder(tmp_path, name):
    staged = downloads.stage_upload([("batch.zip", _zip({name: b"a\n1\n", ".hidden.csv": b"x"}))], tmp_path / "up")
    assert staged.files == ["projects.csv"] and staged.ignored == [".hidden.csv"]
    assert [p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()] == [
        "up/batch/projects.csv"]


def test_unsupported_types_are_named_in_the_refusal(tmp_path):
    with pytest.raises(downloads.UploadError, match=r"no table files found \(run\.exe, notes\.docx are not a "
                                                    r"supported type\)"):
        downloads.stage_upload([("run.exe", b"MZ"), ("notes.docx", b"PK")], tmp_path)


def test_a_download_has_the_screens_headings_words_and_number_formats():
    from openpyxl import load_workbook

    frame = pd.DataFrame({"key": ["on_hold", "execution"], "bac": [1234567.891, None], "rag": ["red", "green"],
                          "share": [0.6835, 0.5], "internal": [1, 2]})
    fields = [downloads.Field("key", "Stage", "enum", "stage"), downloads.Field("rag", "RAG", "rag", "rag"),
              downloads.Field("bac", "Budget (BAC)", "money"), downloads.Field("share", "Progress", "share")]
    shown = downloads.as_shown(frame, fields)
    assert list(shown.columns) == ["Stage", "RAG", "Budget (BAC)", "Progress"]
    assert list(shown["Stage"]) == ["On hold", "Execution"] and list(shown["RAG"]) == ["Red", "Green"]
    assert shown["Progress"].iloc[0] == pytest.approx(0.6835)   # a number, formatted by Excel
    data = downloads.to_excel_bytes(shown, sheet="t", number_formats=downloads.excel_formats(fields, "£"),
                                    rag_columns=("RAG",))
    ws = load_workbook(io.BytesIO(data))["t"]
    assert [c.value for c in ws[1]] == ["Stage", "RAG", "Budget (BAC)", "Progress"]
    assert ws["C2"].value == pytest.approx(1234567.891) and ws["C2"].number_format == '"£"#,##0;-"£"#,##0;0'
    assert ws["D2"].number_format == "0.0%"
    rules = [r for rng in ws.conditional_formatting for r in rng.rules]
    assert {r.formula[0] for r in rules} == {'"Green"', '"Amber"', '"Red"', '"No report"'}
    assert b"internal" not in downloads.to_csv_bytes(shown)


@pytest.mark.parametrize("empty", [
    pd.Series([float("nan"), float("nan")]),                       # a date column the query left all NULL
    pd.Series([pd.NaT, pd.NaT], dtype=object),                     # … or as pandas' missing time, as objects
    pd.Series([pd.NaT, pd.NaT], dtype="datetime64[ns]"),
    pd.Series([None, None], dtype=object),
], ids=["float-nan", "object-nat", "datetime-nat", "object-none"])
def test_an_all_empty_date_column_still_makes_a_workbook(empty):
    frame = pd.DataFrame({"Milestone": ["Beta", "Go live"], "Actual date": empty})
    data = downloads.to_excel_bytes(frame, sheet="Missed milestones", number_formats={"Actual date": "yyyy-mm-dd"})
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["Milestone", "Actual date"], ["Beta", None], ["Go live", None]]
    assert sheet.column_dimensions["B"].width >= len("Actual date")
