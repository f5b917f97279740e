"""Mapping features real exports need (CONTRACT §1, docs/mappings.md), each with a bad variant."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from pmo_metrics.findings import BatchError
from pmo_metrics.sources import read_batch

DATA = Path(__file__).parent / "data"
# Six rows of two projects over 2019–2021, the years out of order (2021, 2019, 2020, 2019, 2020,
# 2021): the first published end date is the 2019 one, the latest the 2021 one.
COMBINED = DATA / "combined_years"


def copy(src: Path, dest: Path, mapping: str | None = None, rows: str | None = None) -> Path:
    shutil.copytree(src, dest)
    if mapping is not None:
        (dest / "mapping.toml").write_text(mapping, encoding="utf-8")
    if rows is not None:
        (dest / "portfolio.csv").write_text(rows, encoding="utf-8")
    return dest


def projects(folder: Path) -> dict[str, dict]:
    batch = read_batch(folder, folder / "mapping.toml")
    try:
        return {r["project_id"]: r for r in batch.tables["projects"].data.iter_rows(named=True)}
    finally:
        batch.close()


def test_order_by_makes_first_and_latest_follow_the_dates_not_the_file():
    rows = projects(COMBINED)
    assert rows["HS-1"]["baseline_finish_date"] == dt.date(2026, 3, 31)   # 2019's, row 3
    assert rows["HS-1"]["forecast_finish_date"] == dt.date(2031, 3, 31)   # 2021's, row 2
    assert rows["HS-1"]["budget_at_completion"] == 98_000_000_000        # £98,000m, scaled
    assert rows["EC-2"]["baseline_finish_date"] == dt.date(2019, 12, 31)  # 2019's, row 5
    assert (rows["EC-2"]["forecast_finish_date"], rows["EC-2"]["_row"]) == (dt.date(2026, 12, 31), 7)


def test_without_order_by_file_order_decides(tmp_path):
    """The silent error order_by exists for: the first row in the file is taken as the baseline."""
    text = (COMBINED / "mapping.toml").read_text().replace('order_by = ["Year"], ', "")
    rows = projects(copy(COMBINED, tmp_path / "b", text))
    assert rows["HS-1"]["baseline_finish_date"] == dt.date(2031, 3, 31)
    assert rows["HS-1"]["forecast_finish_date"] == dt.date(2029, 3, 31)


def test_order_by_a_date_column_with_the_declared_formats(tmp_path):
    text = (COMBINED / "mapping.toml").read_text().replace('order_by = ["Year"]', 'order_by = ["As at"]')
    csv = (COMBINED / "portfolio.csv").read_text().splitlines()
    csv = [csv[0] + ",As at"] + [line + f",31/03/{line[:4]}" for line in csv[1:]]
    rows = projects(copy(COMBINED, tmp_path / "b", text, "\n".join(csv) + "\n"))
    assert rows["HS-1"]["baseline_finish_date"] == dt.date(2026, 3, 31)
    assert rows["HS-1"]["forecast_finish_date"] == dt.date(2031, 3, 31)


def test_an_order_value_that_is_no_date_is_an_error_naming_the_row(tmp_path):
    csv = (COMBINED / "portfolio.csv").read_text().replace("2020,EC-2", "twenty,EC-2")
    folder = copy(COMBINED, tmp_path / "b", rows=csv)
    batch = read_batch(folder, folder / "mapping.toml")
    bad = [f for f in batch.findings if f.severity == "error"]
    batch.close()
    assert [(f.rule_id, f.file, f.row, f.column, f.value) for f in bad] == [
        ("SCHEMA", "portfolio.csv", 4, "Year", "twenty")]
    assert "order_by" in bad[0].message


@pytest.mark.parametrize("change, message", [
    (('order_by = ["Year"]', 'order_by = ["Yaer"]'), "Yaer"),
    (('keep = "latest"', 'keep = "newest"'), "keep must be"),
])
def test_a_bad_order_declaration_is_refused_in_one_line(tmp_path, change, message):
    text = (COMBINED / "mapping.toml").read_text().replace(*change)
    folder = copy(COMBINED, tmp_path / "b", text)
    with pytest.raises(BatchError, match=message):
        read_batch(folder, folder / "mapping.toml")


# --- MAP-CHECK: checks the mapping declares per column ----------------------------------------

CHECKS = """
[tables.projects.checks.budget_at_completion]
min = 1_000_000
max = 50e9            # no project of this portfolio costs more than £50bn
severity = "error"

[tables.projects.checks.project_id]
pattern = "[A-Z]{2}-[0-9]+"

[tables.projects.checks.business_unit]
values = ["dft", "DWP"]

[tables.projects.checks.start_date]
min = 2015-01-01
"""


def findings_of(folder: Path):
    batch = read_batch(folder, folder / "mapping.toml")
    try:
        return [f for f in batch.findings if f.rule_id == "MAP-CHECK"]
    finally:
        batch.close()


def test_declared_checks_name_the_row_with_their_severity(tmp_path):
    folder = copy(COMBINED, tmp_path / "b", (COMBINED / "mapping.toml").read_text() + CHECKS)
    found = findings_of(folder)
    assert [(f.severity, f.row, f.column, f.value) for f in found] == [
        ("error", 2, "budget_at_completion", "98000000000.0"),   # the kept HS-1 row (2021)
        ("warning", 7, "business_unit", "HO"),
        ("warning", 7, "start_date", "2014-09-01"),
    ]
    assert "at most 50000000000.0" in found[0].message and "dft, DWP" in found[1].message
    assert "at least 2015-01-01" in found[2].message


def test_a_declared_error_sets_the_row_aside_under_quarantine(tmp_path):
    from pmo_metrics.warehouse import load_batch

    folder = copy(COMBINED, tmp_path / "b", (COMBINED / "mapping.toml").read_text() + CHECKS)
    db = tmp_path / "pmo.duckdb"
    strict = load_batch(folder, db, folder / "mapping.toml", load_date=dt.date(2025, 6, 15), archive=False)
    assert strict.status == "rejected"
    result = load_batch(folder, db, folder / "mapping.toml", quarantine=True, load_date=dt.date(2025, 6, 15),
                        archive=False)
    assert result.status == "loaded" and result.rows_rejected == {"projects": 1}


def test_a_pattern_check_names_the_value(tmp_path):
    csv = (COMBINED / "portfolio.csv").read_text().replace("2019,EC-2", "2019,ec2")
    folder = copy(COMBINED, tmp_path / "b", (COMBINED / "mapping.toml").read_text() + CHECKS, csv)
    hits = [f for f in findings_of(folder) if f.column == "project_id"]
    assert [(f.row, f.value) for f in hits] == [(5, "ec2")] and "pattern" in hits[0].message


@pytest.mark.parametrize("check, message", [
    ("[tables.projects.checks.project_name]\nmin = 3\n", "min applies to number"),
    ("[tables.projects.checks.budget_at_completion]\nmin = \"big\"\n", "min must be a number"),
    ("[tables.projects.checks.start_date]\nmax = 2020\n", "a date"),
    ("[tables.projects.checks.budget_at_completion]\nmin = 5\nmax = 1\n", "min is greater than max"),
    ("[tables.projects.checks.project_id]\npattern = \"([A-Z\"\n", "not a regular expression"),
    ("[tables.projects.checks.project_id]\nvalues = []\n", "non-empty list"),
    ("[tables.projects.checks.project_id]\npattern = \"x\"\nseverity = \"fatal\"\n", "severity must be"),
    ("[tables.projects.checks.project_id]\nseverity = \"error\"\n", "declares no check"),
    ("[tables.projects.checks.budget]\nmin = 0\n", "no column of projects"),
    ("[tables.projects.checks.project_id]\nregex = \"x\"\n", "unknown key 'regex'"),
])
def test_a_bad_check_declaration_is_refused_in_one_line(tmp_path, check, message):
    folder = copy(COMBINED, tmp_path / "b", (COMBINED / "mapping.toml").read_text() + "\n" + check)
    with pytest.raises(BatchError, match=message):
        read_batch(folder, folder / "mapping.toml")


def test_collapsed_duplicates_are_counted_apart_from_rows_read(tmp_path):
    """Six rows of two projects: 2 read into the table, 4 collapsed; read − loaded = rejected."""
    from pmo_metrics.warehouse import load_batch, load_history

    db = tmp_path / "pmo.duckdb"
    result = load_batch(COMBINED, db, COMBINED / "mapping.toml", load_date=dt.date(2025, 6, 15), archive=False)
    assert result.status == "loaded"
    assert result.report.rows_read == {"projects": 2} and result.report.rows_collapsed == {"projects": 4}
    assert "(4 duplicate row(s) collapsed" in result.report.summary()
    last = load_history(db)[0]
    assert last["rows_read"] == {"projects": 2} and last["rows_collapsed"] == {"projects": 4}
    assert last["rows_loaded"] == {"projects": 2} and last["rows_rejected"] == {"projects": 0}


# --- skip_rows: row filters --------------------------------------------------------------------

def test_skip_rows_leave_out_totals_and_other_years_with_a_count(tmp_path):
    csv = (COMBINED / "portfolio.csv").read_text() + ",TOTAL,,,,,216500\n2022,,Grand total,,,,\n"
    text = (COMBINED / "mapping.toml").read_text() + """
[[tables.projects.skip_rows]]
column = "Project"
matches = ["*total*"]

[[tables.projects.skip_rows]]
column = "Year"
other_than = [2020, 2021]
"""
    folder = copy(COMBINED, tmp_path / "b", text, csv)
    batch = read_batch(folder, folder / "mapping.toml")
    try:
        data = {r["project_id"]: r for r in batch.tables["projects"].data.iter_rows(named=True)}
        skipped = [f for f in batch.findings if f.rule_id == "MAP-VALUE"]
        errors = [f for f in batch.findings if f.severity == "error"]
    finally:
        batch.close()
    assert not errors  # the total lines, with no id or dates, never reach validation
    # 2019 is left out, so the first published end date is 2020's.
    assert data["HS-1"]["baseline_finish_date"] == dt.date(2029, 3, 31)
    assert data["EC-2"]["baseline_finish_date"] == dt.date(2024, 12, 31)
    assert [(f.column, f.message.split(":")[0]) for f in skipped] == [
        ("Project", "1 row(s) left out of projects"), ("Year", "3 row(s) left out of projects")]
    assert "is not '2020', '2021'" in skipped[1].message


@pytest.mark.parametrize("skip, message", [
    ('[[tables.projects.skip_rows]]\nmatches = "x"\n', "needs column"),
    ('[[tables.projects.skip_rows]]\ncolumn = "Year"\n', "says what to look for"),
    ('[[tables.projects.skip_rows]]\ncolumn = "Year"\nregex = "(("\n', "not a regular expression"),
    ('[[tables.projects.skip_rows]]\ncolumn = "Year"\nlike = "x"\n', "unknown key 'like'"),
    ('[[tables.projects.skip_rows]]\ncolumn = "Yaer"\nequals = "x"\n', "Yaer"),
])
def test_a_bad_row_filter_is_refused_in_one_line(tmp_path, skip, message):
    folder = copy(COMBINED, tmp_path / "b", (COMBINED / "mapping.toml").read_text() + "\n" + skip)
    with pytest.raises(BatchError, match=message):
        read_batch(folder, folder / "mapping.toml")


# --- optional sources --------------------------------------------------------------------------

LATER_YEAR = '''
[sources.next_year]
path = "portfolio_2022.csv"
optional = true
'''


def test_an_optional_source_that_is_absent_adds_nothing(tmp_path):
    text = (COMBINED / "mapping.toml").read_text().replace('from = ["all_years"]', 'from = ["all_years", "next_year"]')
    folder = copy(COMBINED, tmp_path / "b", text + LATER_YEAR)
    assert set(projects(folder)) == {"HS-1", "EC-2"}
    header = (COMBINED / "portfolio.csv").read_text().splitlines()[0]
    (folder / "portfolio_2022.csv").write_text(header + "\n2022,NW-3,New wing,DHSC,01/01/2022,31/12/2027,450\n")
    rows = projects(folder)
    assert set(rows) == {"HS-1", "EC-2", "NW-3"} and rows["NW-3"]["_file"] == "portfolio_2022.csv"


@pytest.mark.parametrize("optional, message", [
    ("", "matches no file .*declare the source optional = true"),
    ("optional = \"yes\"\n", "optional must be true or false"),
])
def test_a_source_that_is_not_optional_must_be_there(tmp_path, optional, message):
    text = (COMBINED / "mapping.toml").read_text().replace('from = ["all_years"]', 'from = ["all_years", "next_year"]')
    folder = copy(COMBINED, tmp_path / "b", text + LATER_YEAR.replace("optional = true\n", optional))
    with pytest.raises(BatchError, match=message):
        read_batch(folder, folder / "mapping.toml")


# --- MAP-DATE-AMBIGUOUS ------------------------------------------------------------------------

def test_a_date_two_declared_formats_read_differently_is_a_warning_with_its_count(tmp_path):
    text = (COMBINED / "mapping.toml").read_text().replace('date_formats = ["%d/%m/%Y"]',
                                                           'date_formats = ["%d/%m/%Y", "%m/%d/%Y"]')
    folder = copy(COMBINED, tmp_path / "b", text)
    batch = read_batch(folder, folder / "mapping.toml")
    try:
        found = [f for f in batch.findings if f.rule_id == "MAP-DATE-AMBIGUOUS"]
        rows = {r["project_id"]: r for r in batch.tables["projects"].data.iter_rows(named=True)}
    finally:
        batch.close()
    # 01/04/2015 (HS-1, rows 2, 3, 6) and 01/09/2014 (EC-2, rows 4, 5, 7); 31/03/2031 reads one way only.
    assert [(f.severity, f.file, f.row, f.column, f.value) for f in found] == [
        ("warning", "portfolio.csv", 2, "start_date", "01/04/2015"),
        ("warning", "portfolio.csv", 4, "start_date", "01/09/2014")]
    assert "%d/%m/%Y: 2015-04-01, %m/%d/%Y: 2015-01-04" in found[0].message
    assert "3 cell(s) of start_date hold it" in found[0].message
    assert rows["HS-1"]["start_date"] == dt.date(2015, 4, 1)  # the first declared format decides


def test_one_declared_format_is_never_ambiguous():
    batch = read_batch(COMBINED, COMBINED / "mapping.toml")
    try:
        assert not [f for f in batch.findings if f.rule_id == "MAP-DATE-AMBIGUOUS"]
    finally:
        batch.close()


# --- conditional values: when ------------------------------------------------------------------

STATUS_EXPORT = """ID,Name,Unit,Start,Planned end,Completion,Status
A1,Archive,Ops,2024-01-01,2024-12-31,2024-11-30,Closed
A2,Billing,Ops,2024-01-01,2025-12-31,2025-03-01,In progress
A3,Cloud,Ops,2024-01-01,2025-06-30,,Live - closed
A4,Data,Ops,2024-01-01,2025-06-30,,
"""
STATUS_MAPPING = """
[tables.projects.columns]
project_id = "ID"
project_name = "Name"
business_unit = "Unit"
portfolio = "Unit"
start_date = "Start"
baseline_finish_date = "Planned end"
# The export fills "Completion" with the forecast while a project runs: an actual only once closed.
actual_finish_date = { from = "Completion", when = { column = "Status", matches = ["closed", "* closed"] } }
stage = [
  { value = "closed", when = { column = "Status", matches = ["*closed"] } },
  { value = "idea", when = { column = "Status", empty = true } },
  { value = "execution" },
]

[tables.projects.constants]
delivery_approach = "predictive"
budget_at_completion = 0
"""


def test_when_takes_a_value_only_where_a_column_says_so(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "export.csv").write_text(STATUS_EXPORT)
    (tmp_path / "b" / "mapping.toml").write_text('[tables.projects]\nfrom = ["export.csv"]\n' + STATUS_MAPPING)
    rows = projects(tmp_path / "b")
    assert (rows["A1"]["actual_finish_date"], rows["A1"]["stage"]) == (dt.date(2024, 11, 30), "closed")
    assert (rows["A2"]["actual_finish_date"], rows["A2"]["stage"]) == (None, "execution")  # a forecast, not an actual
    assert (rows["A3"]["actual_finish_date"], rows["A3"]["stage"]) == (None, "closed")
    assert (rows["A4"]["actual_finish_date"], rows["A4"]["stage"]) == (None, "idea")


@pytest.mark.parametrize("spec, message", [
    ('{ when = { column = "Status", equals = "x" } }', "either from .* or value"),
    ('{ from = "Completion", value = "x" }', "either from .* or value"),
    ('[{ value = "x" }, { value = "y", when = { column = "Status", empty = true } }]', "only the last case"),
    ('{ from = "Completion", when = { column = "Status" } }', "says what to look for"),
    ('{ from = "Completion", when = { column = "Status", empty = "yes" } }', "empty must be true or false"),
    ('{ from = "Completion", when = { column = "Stat", equals = "x" } }', "names column 'Stat'"),
    ('{ from = "Completion", if = { column = "Status", equals = "x" } }', "unknown key 'if'"),
])
def test_a_bad_condition_is_refused_in_one_line(tmp_path, spec, message):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "export.csv").write_text(STATUS_EXPORT)
    mapping = "\n".join(f"actual_finish_date = {spec}" if line.startswith("actual_finish_date") else line
                        for line in STATUS_MAPPING.split("\n"))
    (tmp_path / "b" / "mapping.toml").write_text('[tables.projects]\nfrom = ["export.csv"]\n' + mapping)
    with pytest.raises(BatchError, match=message):
        read_batch(tmp_path / "b", tmp_path / "b" / "mapping.toml")


# --- departed: portfolio semantics for snapshots -----------------------------------------------

def test_a_project_absent_from_the_newest_snapshot_has_left_the_portfolio(tmp_path):
    csv = (COMBINED / "portfolio.csv").read_text() + (
        "2019,OL-9,Old ledger,HMRC,01/01/2016,31/12/2019,40\n"
        "2020,OL-9,Old ledger,HMRC,01/01/2016,31/12/2020,42\n")
    text = (COMBINED / "mapping.toml").read_text() + '\n[tables.projects.departed]\nstage = "closed"\n'
    folder = copy(COMBINED, tmp_path / "b", text, csv)
    batch = read_batch(folder, folder / "mapping.toml")
    try:
        rows = {r["project_id"]: r for r in batch.tables["projects"].data.iter_rows(named=True)}
        notes = [f for f in batch.findings if f.rule_id == "MAP-VALUE"]
    finally:
        batch.close()
    # Last seen in 2020, missing from 2021 (the newest): closed, by the 2021 snapshot's date.
    assert (rows["OL-9"]["stage"], rows["OL-9"]["actual_finish_date"]) == ("closed", dt.date(2021, 1, 1))
    assert (rows["HS-1"]["stage"], rows["HS-1"]["actual_finish_date"]) == ("execution", None)
    assert [n.message for n in notes] == [
        "1 project(s) absent from the newest snapshot (2021-01-01) have left the portfolio: stage closed "
        "(the mapping's departed)"]


def test_departed_with_a_stated_stage_sets_no_finish(tmp_path):
    csv = (COMBINED / "portfolio.csv").read_text() + "2019,OL-9,Old ledger,HMRC,01/01/2016,31/12/2019,40\n"
    text = (COMBINED / "mapping.toml").read_text() + '\n[tables.projects.departed]\nstage = "on_hold"\n'
    rows = projects(copy(COMBINED, tmp_path / "b", text, csv))
    assert (rows["OL-9"]["stage"], rows["OL-9"]["actual_finish_date"]) == ("on_hold", None)


@pytest.mark.parametrize("change, message", [
    (('', '\n[tables.projects.departed]\nstage = "gone"\n'), "stage must be one of"),
    (('order_by = ["Year"], ', '\n[tables.projects.departed]\n'), "needs dedupe.order_by"),
    (('', '\n[tables.projects.departed]\nwhen = "x"\n'), "unknown key 'when'"),
])
def test_a_bad_departed_declaration_is_refused(tmp_path, change, message):
    text = (COMBINED / "mapping.toml").read_text()
    text = (text.replace(change[0], "") if change[0] else text) + change[1]
    folder = copy(COMBINED, tmp_path / "b", text)
    with pytest.raises(BatchError, match=message):
        read_batch(folder, folder / "mapping.toml")


# --- value tables declared once ----------------------------------------------------------------

RAG_EXPORT = """Project,Date,Overall,Schedule
P1,2025-06-01,On Track,on-track
P2,2025-06-01,AMBER / RED,Amber-Red
P3,2025-06-01,green,At risk
P4,2025-06-01,Late!,at risk
P5,2025-06-01,Late,
"""
RAG_MAPPING = """
[value_tables.rag]
"On track" = "green"
"Amber/Red" = "red"
"At risk" = "amber"

[tables.status_reports]
from = ["reports.csv"]
columns = { project_id = "Project", report_date = "Date", overall_rag = "Overall", schedule_rag = "Schedule" }
values = { overall_rag = "rag", schedule_rag = "rag" }
"""


def read_rag(tmp_path, mapping: str = RAG_MAPPING):
    (tmp_path / "b").mkdir(exist_ok=True)
    (tmp_path / "b" / "reports.csv").write_text(RAG_EXPORT)
    (tmp_path / "b" / "mapping.toml").write_text(mapping)
    return read_batch(tmp_path / "b", tmp_path / "b" / "mapping.toml")


def test_one_value_table_serves_several_columns_matched_loosely(tmp_path):
    batch = read_rag(tmp_path)
    try:
        rows = [(r["overall_rag"], r["schedule_rag"]) for r in batch.tables["status_reports"].data.iter_rows(named=True)]
        notes = [f for f in batch.findings if f.rule_id == "MAP-VALUE"]
    finally:
        batch.close()
    assert rows[:3] == [("green", "green"), ("red", "red"), ("green", "amber")]
    # "Late!" and "Late" are listed with counts (a valid "green" is not), and offered ready to paste.
    assert [(n.column, n.file) for n in notes] == [("overall_rag", "reports.csv")]
    assert notes[0].message == ("2 value(s) match nothing in value table 'rag': 'Late!' (1), 'Late' (1); to translate "
                                "them, add to [value_tables.rag]: \"Late!\" = \"\" \"Late\" = \"\"")


@pytest.mark.parametrize("change, message", [
    (('values = { overall_rag = "rag"', 'values = { overall_rag = "ragg"'), "names no value table"),
    (('"At risk" = "amber"', '"At risk" = "amber"\n"at-risk" = "red"'), "same value once case"),
    (('"At risk" = "amber"', '"At risk" = ["amber"]'), "a value must be a string"),
])
def test_a_bad_value_table_is_refused_in_one_line(tmp_path, change, message):
    with pytest.raises(BatchError, match=message):
        read_rag(tmp_path, RAG_MAPPING.replace(*change))


# --- clean: pattern clean-up before a value is read --------------------------------------------

MONEY_EXPORT = """ID,Budget,Start
P1,£363m,30-06-2019 (rebaselined)
P2,Â£1.2bn,2020-01-15
P3,$48.5 m,2021-04-01
"""
MONEY_MAPPING = """
[tables.projects]
from = ["money.csv"]
columns = { project_id = "ID", project_name = "ID", business_unit = "ID", portfolio = "ID", start_date = "Start", baseline_finish_date = "Start", budget_at_completion = "Budget" }
constants = { delivery_approach = "agile", stage = "execution" }
scale = { budget_at_completion = 1e6 }

[tables.projects.clean]
budget_at_completion = [
  { pattern = "Â?£", replace = "" },                    # £, also mis-encoded as Â£
  { pattern = "([0-9.]+)\\\\s*bn$", replace = "\\\\1e3" },  # £bn → £m
  { pattern = "\\\\s*m$", replace = "" },
]
start_date = { pattern = "^([0-9]{2})-([0-9]{2})-([0-9]{4}).*", replace = "\\\\3-\\\\2-\\\\1" }
baseline_finish_date = { pattern = " [(].*", replace = "" }   # a note after the date
"""


def test_clean_rewrites_numbers_and_dates_before_they_are_read(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "money.csv").write_text(MONEY_EXPORT, encoding="utf-8")
    (tmp_path / "b" / "mapping.toml").write_text(MONEY_MAPPING, encoding="utf-8")
    batch = read_batch(tmp_path / "b", tmp_path / "b" / "mapping.toml")
    try:
        rows = {r["project_id"]: r for r in batch.tables["projects"].data.iter_rows(named=True)}
        errors = [f for f in batch.findings if f.severity == "error"]
    finally:
        batch.close()
    assert not errors
    assert [rows[p]["budget_at_completion"] for p in ("P1", "P2", "P3")] == [363e6, 1.2e9, 48.5e6]
    assert rows["P1"]["start_date"] == dt.date(2019, 6, 30)


@pytest.mark.parametrize("clean, message", [
    ('budget_at_completion = [{ pattern = "(" }]', "not a regular expression"),
    ('budget_at_completion = [{ replace = "x" }]', "pattern must be a non-empty string"),
    ('budget_at_completion = []', "must be a list"),
    ('budget_at_completion = [{ pattern = "x", with = "y" }]', "unknown key 'with'"),
    ('budget = [{ pattern = "x" }]', "no column of projects"),
])
def test_a_bad_clean_rule_is_refused_in_one_line(tmp_path, clean, message):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "money.csv").write_text(MONEY_EXPORT, encoding="utf-8")
    mapping = MONEY_MAPPING.split("[tables.projects.clean]")[0] + "[tables.projects.clean]\n" + clean + "\n"
    (tmp_path / "b" / "mapping.toml").write_text(mapping, encoding="utf-8")
    with pytest.raises(BatchError, match=message):
        read_batch(tmp_path / "b", tmp_path / "b" / "mapping.toml")


def test_a_lookup_takes_first_and_last_by_its_declared_order(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "units.csv").write_text("Project,Unit,Year\nEC-2,Home Office,2021\nEC-2,HO,2019\n")
    text = (COMBINED / "mapping.toml").read_text().replace('business_unit = "Department"',
                                                           'business_unit = "{Project ID|lookup:unit}"')
    lookup = '\n[sources.units]\npath = "units.csv"\n\n[lookups.unit]\nfrom = ["units"]\nkey = "{Project}"\nvalue = "{Unit}"\n'
    for f in ("portfolio.csv",):
        shutil.copy(COMBINED / f, tmp_path / "b" / f)
    (tmp_path / "b" / "mapping.toml").write_text(text.replace("[tables.projects]", lookup + "\n[tables.projects]", 1)
                                                 .replace('key = "{Project}"', 'key = "{Project}"\norder_by = ["Year"]'))
    assert projects(tmp_path / "b")["EC-2"]["business_unit"] == "Home Office"   # 2021's, though earlier in the file
    (tmp_path / "b" / "mapping.toml").write_text(text.replace("[tables.projects]", lookup + "\n[tables.projects]", 1))
    assert projects(tmp_path / "b")["EC-2"]["business_unit"] == "HO"            # without an order: the file's last
