"""Fuzzing the readers: whatever the extract or the mapping, `validate_batch` returns a report or
raises a one-line BatchError, never any other exception (a traceback is a bug)."""
from __future__ import annotations

import csv
import functools
import io
import json
import tempfile
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings, strategies as st

from pmo_metrics import contract as c
from pmo_metrics.findings import BatchError
from pmo_metrics.warehouse import validate_batch

from batches import tiny_tables, write_batch

LOAD_DATE = date(2025, 6, 15)
FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
TABLES = sorted(c.TABLES)
EXTS = ["csv", "tsv", "txt", "xlsx", "parquet"]


@contextmanager
def folder():
    with tempfile.TemporaryDirectory(prefix="fuzz-") as d:
        yield Path(d)


def check(batch: Path, mapping: Path | None = None) -> None:
    try:
        _, report = validate_batch(batch, mapping, db_path=None, load_date=LOAD_DATE)
    except BatchError as exc:
        assert "\n" not in str(exc), str(exc)
        return
    assert report.frame.columns[0] == "rule_id"


# --- 1. arbitrary bytes named after a table ----------------------------------------------------

@functools.cache
def _valid_prefix(ext: str) -> bytes:
    """A real file of that kind, so that mutations get past the first byte check (made once: a
    workbook holds its creation time, and the examples must not change between runs)."""
    if ext == "parquet":
        buf = io.BytesIO()
        pl.DataFrame({"project_id": ["P1"], "report_date": ["2025-06-12"], "overall_rag": ["green"]}).write_parquet(buf)
        return buf.getvalue()
    if ext == "xlsx":
        with folder() as d:
            pl.DataFrame({"project_id": ["P1"], "report_date": ["2025-06-12"], "overall_rag": ["green"]}).write_excel(
                d / "x.xlsx", worksheet="status_reports")
            return (d / "x.xlsx").read_bytes()
    return b"project_id,report_date,overall_rag\nP1,2025-06-12,green\n"


@st.composite
def mangled(draw, ext: str) -> bytes:
    how = draw(st.sampled_from(["random", "text", "truncate", "flip", "splice"]))
    if how == "random":
        return draw(st.binary(max_size=400))
    if how == "text":  # UTF-8 text made of what delimited files are made of
        alphabet = st.one_of(st.sampled_from(list(',;\t|"\'\n\r =-.') + ["project_id", "overall_rag", "\ufeff"]),
                             st.characters(codec="utf-8"))
        return "".join(draw(st.lists(alphabet, max_size=80))).encode("utf-8", "surrogatepass")
    good = _valid_prefix(ext)
    if how == "truncate":
        return good[: draw(st.integers(0, len(good)))]
    if how == "flip":
        data = bytearray(good)
        for _ in range(draw(st.integers(1, 8))):
            i = draw(st.integers(0, len(data) - 1))
            data[i] = draw(st.integers(0, 255))
        return bytes(data)
    i = draw(st.integers(0, len(good)))
    return good[:i] + draw(st.binary(max_size=64)) + good[i:]


@FUZZ
@given(data=st.data(), table=st.sampled_from(TABLES), ext=st.sampled_from(EXTS))
def test_arbitrary_bytes_as_a_table_file(data, table, ext):
    content = data.draw(mangled(ext))
    with folder() as d:
        (d / f"{table}.{ext}").write_bytes(content)
        check(d)


# --- 2. arbitrary cell values in otherwise valid CSVs ------------------------------------------

NASTY = st.sampled_from([
    "", " ", '"', '""', "'", ",", ";", "\t", "\n", "\r\n", "a\nb", '"quoted, with comma"', "=1+2", "=HYPERLINK(\"x\")",
    "+SUM(A1)", "-5", "@cmd", "1e308", "1e309", "-1e309", "NaN", "inf", "-0", "99999999999999999999999999",
    "0x1F", "1_000", "(300)", "£1,234.50", "1.234,56", "1,2,3", "%", "50%", "2025-02-30", "0000-00-00",
    "9999-12-31", "31.12.99", "12/31/2024", "2024-03", "Mar-24", "yes", "NULL", "None", "n/a", "\x00", "\ufeff",
    "\u202e", "é", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "\ud7ff", "x" * 300])
CELL = st.one_of(NASTY, st.text(max_size=30), st.integers(-10**30, 10**30).map(str),
                 st.floats(allow_nan=True, allow_infinity=True).map(repr))


@FUZZ
@given(data=st.data(), table=st.sampled_from(["projects", "status_reports", "financials", "timesheets", "resources",
                                              "benefits", "maturity_assessments", "risks"]))
def test_arbitrary_cells_in_valid_csvs(data, table):
    tables = tiny_tables()
    rows = tables[table]
    cols = c.TABLES[table].column_names
    for _ in range(data.draw(st.integers(1, 4))):
        row = data.draw(st.integers(0, len(rows) - 1))
        rows[row] = {**rows[row], data.draw(st.sampled_from(cols)): data.draw(CELL).replace("\x00", "")}
    header = [data.draw(st.one_of(st.just(col), CELL.map(lambda s: s.replace("\x00", ""))), label="header")
              if data.draw(st.booleans()) and i == len(cols) - 1 else col for i, col in enumerate(cols)]
    with folder() as d:
        write_batch(d, tables, only=("strategic_objectives", "projects", "resources", "benefits", table))
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows([[r.get(k, "") for k in cols] for r in rows])
        (d / f"{table}.csv").write_text(out.getvalue(), encoding="utf-8", errors="surrogatepass")
        check(d)


# --- 3. arbitrary small mappings from the documented keys --------------------------------------

def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v) if v == v and v not in (float("inf"), float("-inf")) else "nan"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)} = {toml_value(x)}" for k, x in v.items()) + "}"


def toml_text(doc: dict) -> str:
    lines = []
    for section, body in doc.items():
        if not isinstance(body, dict):
            lines.append(f"{section} = {toml_value(body)}")
    for section, body in doc.items():
        if isinstance(body, dict):
            for name, table in body.items():
                if isinstance(table, dict) and section in ("sources", "tables"):
                    lines.append(f"[{section}.{json.dumps(name, ensure_ascii=False)}]")
                    lines += [f"{json.dumps(k, ensure_ascii=False)} = {toml_value(v)}" for k, v in table.items()]
            if section == "defaults":
                lines.append("[defaults]")
                lines += [f"{json.dumps(k, ensure_ascii=False)} = {toml_value(v)}" for k, v in body.items()]
    return "\n".join(lines) + "\n"


SR_COLUMNS = ["project_id", "report_date", "overall_rag", "percent_complete", "summary"]
WORDS = st.sampled_from(SR_COLUMNS + ["Project", "RAG", "", "{project_id|upper}", "PRJ-{project_id}",
                                      "{nope}", "{project_id|lookup:none}", "{{", "*", "overall_rag_2"])
OPTION = {
    "encoding": st.sampled_from(["utf-8", "cp1252", "latin-1", "utf-16", "ascii", "utf-8-sig"] * 3 + ["no-such-codec", ""]),
    "encoding_errors": st.sampled_from(["strict", "replace", "ignore", ""]),
    "separator": st.sampled_from([",", ";", "tab", "|", "", ",,", "\n"]),
    "empty": st.lists(st.sampled_from(["n/a", "-", "", "TBC", "green"]), max_size=3),
    "decimal": st.sampled_from([".", ",", ";", ""]),
    "thousands": st.sampled_from([",", ".", " ", "'", "", "x"]),
    "currency": st.lists(st.sampled_from(["£", "GBP", "", "1", "."]), max_size=3),
    "date_formats": st.lists(st.sampled_from(["%d.%m.%y", "%m/%d/%Y", "%Y", "%d/%m/%Y", "%y.%m.%d"] * 4 + ["", "%Q", "%%"]),
                             max_size=3),
    "not_values": st.lists(st.sampled_from(["Exempt*", "*", "?", "[", "green", ""]), max_size=3),
}
TABLE_OPTION = {
    "columns": st.dictionaries(st.sampled_from(SR_COLUMNS + ["bogus"]),
                               st.one_of(WORDS, st.lists(WORDS, max_size=3)), max_size=3),
    "constants": st.dictionaries(st.sampled_from(SR_COLUMNS), st.one_of(st.text(max_size=8), st.integers(), st.booleans()),
                                 max_size=2),
    "values": st.dictionaries(st.sampled_from(["overall_rag", "report_date", "percent_complete"]),
                              st.dictionaries(st.text(max_size=8), st.sampled_from(["green", "red", "", "2025-01-01"]),
                                              max_size=2), max_size=2),
    "not_value_action": st.sampled_from(["null", "drop", "explode"]),
    "drop_if_empty": st.lists(st.sampled_from(SR_COLUMNS + ["bogus"]), max_size=2),
    "scale": st.dictionaries(st.sampled_from(["percent_complete", "summary"]),
                             st.one_of(st.integers(-10, 10**6), st.floats(-1e6, 1e6)), max_size=1),
    "dedupe": st.one_of(st.booleans(), st.fixed_dictionaries({}, optional={
        "key": st.lists(st.sampled_from(SR_COLUMNS), max_size=2), "keep": st.sampled_from(["first", "last", "x"]),
        "fill": st.booleans(), "from_first": st.lists(st.sampled_from(SR_COLUMNS), max_size=1)})),
    "from": st.lists(st.sampled_from(["status_reports.csv", "sr", "*.csv", "missing.csv"]), max_size=2),
    "bands": st.dictionaries(st.sampled_from(["cost_rag", "overall_rag"]), st.fixed_dictionaries(
        {"columns": st.lists(st.sampled_from(["percent_complete", "summary"]), min_size=1, max_size=2),
         "limits": st.lists(st.integers(0, 100), max_size=3),
         "labels": st.lists(st.sampled_from(["green", "amber", "red"]), max_size=4)}), max_size=1),
}


@st.composite
def mappings(draw) -> str:
    doc: dict = {}
    if draw(st.booleans()):
        doc["defaults"] = draw(st.fixed_dictionaries({}, optional=OPTION))
    if draw(st.booleans()):
        doc["sources"] = {"sr": draw(st.fixed_dictionaries({"path": st.sampled_from(["status_reports.csv", "nope.csv"])},
                                                           optional={**OPTION, "columns": TABLE_OPTION["columns"]}))}
    doc["tables"] = {draw(st.sampled_from(["status_reports"] * 6 + ["projects", "nope"])):
                     draw(st.fixed_dictionaries({}, optional={**TABLE_OPTION, **{k: OPTION[k] for k in (
                         "empty", "decimal", "currency", "date_formats", "not_values")}}))}
    text = toml_text(doc)
    if draw(st.integers(0, 9)) == 5:  # now and then a cut
        text = text[: draw(st.integers(0, len(text)))]
    return text


@settings(FUZZ, max_examples=120)
@given(mapping=mappings(), csv_text=st.sampled_from([
    "project_id,report_date,overall_rag,percent_complete,summary\nP1,2025-06-12,green,40,ok\nP1,2025-06-13,Exempt,,\n",
    "project_id;report_date;overall_rag;percent_complete\nP1;12.06.25;amber;40,5\n",
    "Project,RAG\nP1,red\n"]))
def test_arbitrary_mappings(mapping, csv_text):
    with folder() as d:
        write_batch(d, only=("strategic_objectives", "projects"))
        (d / "status_reports.csv").write_text(csv_text, encoding="utf-8")
        (d / "mapping.toml").write_text(mapping, encoding="utf-8", errors="surrogatepass")
        check(d, d / "mapping.toml")
