"""The shipped mappings on the real public exports in examples/real (see examples/real/SOURCES.md).

Values asserted here were read by hand from the files (file and row named next to each); rows
are spreadsheet rows: the header is row 1.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import polars as pl
import pytest

from pmo_metrics import contract as c
from pmo_metrics.sources import load_mapping, read_batch

REPO = Path(__file__).resolve().parents[1]
REAL = REPO / "examples" / "real"
GMPP_MAPPING = REPO / "examples" / "gmpp_uk" / "mapping.toml"
US_MAPPING = REPO / "examples" / "us_it_dashboard" / "mapping.toml"



def test_the_real_exports_ship_with_their_sources():
    # Copied into the repository with where they came from and under which licence.
    sources = (REAL / "SOURCES.md").read_text(encoding="utf-8")
    for folder in ("gmpp_uk", "us_it_dashboard"):
        assert any((REAL / folder).glob("*.csv")) and f"## {folder}/" in sources
    assert sources.count("Licence") >= 2


@pytest.fixture(scope="module")
def gmpp():
    return read_batch(REAL / "gmpp_uk", GMPP_MAPPING)


@pytest.fixture(scope="module")
def us():
    return read_batch(REAL / "us_it_dashboard", US_MAPPING)


def row_of(table, file: str, row: int) -> dict:
    hits = table.data.filter((pl.col("_file") == file) & (pl.col("_row") == row))
    assert hits.height == 1, (file, row, hits)
    return hits.row(0, named=True)


@pytest.mark.parametrize("path", [GMPP_MAPPING, US_MAPPING])
def test_shipped_mappings_load(path):
    m = load_mapping(path)
    assert m.tables and m.description


# --- UK GMPP ---------------------------------------------------------------------------------

def test_gmpp_reads_every_row_of_every_year(gmpp):
    # Row counts from SOURCES.md: 133, 133, 125, 184, 235 projects.
    raw = gmpp.tables["projects"].raw
    assert Counter(raw["_file"].to_list()) == {"uk_2018.csv": 133, "uk_2019.csv": 133, "uk_2020.csv": 125,
                                               "uk_2021.csv": 184, "uk_2022.csv": 235}
    assert set(gmpp.tables) == {"projects", "status_reports", "financials"}
    assert [f.name for f in gmpp.files] == [f"uk_{y}.csv" for y in range(2018, 2023)] + ["mapping.toml"]
    # Every value parses or is declared not a value: no SCHEMA errors, no unknown files.
    assert not [f for f in gmpp.findings if f.severity == "error"]
    assert not [f for f in gmpp.findings if f.rule_id == "UNKNOWN-FILE"]
    # uk_2022.csv's duplicated header is kept as colour_rating and colour_rating_2.
    assert {"colour_rating", "colour_rating_2"} <= set(raw.columns)


def test_gmpp_tables_have_the_contract_shape_and_unique_keys(gmpp):
    for name, t in gmpp.tables.items():
        assert t.data.columns == c.TABLES[name].column_names + ["_file", "_row"]
        key = list(c.TABLES[name].key)
        assert t.data.select(key).is_duplicated().sum() == 0, name
        assert t.data.select(key).null_count().sum_horizontal().item() == 0, name
    p = gmpp.tables["projects"].data
    # One row per project: ids resolved across years by number (2020+) or name.
    assert p.height == 361
    refs = pl.concat([gmpp.tables[t].data.select("project_id") for t in ("status_reports", "financials")])
    assert refs.join(p, on="project_id", how="anti").height == 0
    assert set(gmpp.tables["status_reports"].data["overall_rag"].unique()) == {"green", "amber", "red"}


def test_gmpp_maritime_patrol_aircraft(gmpp):
    # uk_2019.csv row 107: "Maritime Patrol Aircraft ", MOD, Amber/Red, yearly_budget £186.19,
    # yearly_forecast £177.90. uk_2021.csv row 2: MOD_0106_1617-Q1, Amber/red, total_baseline
    # £654.46, yearly_forecast £654.11, start 2014-07-08, end 2024-04-01.
    s2019 = row_of(gmpp.tables["status_reports"], "uk_2019.csv", 107)
    assert (s2019["project_id"], s2019["report_date"], s2019["overall_rag"]) == (
        "MOD_0106_1617-Q1", dt.date(2018, 9, 30), "red")
    f2019 = row_of(gmpp.tables["financials"], "uk_2019.csv", 107)
    assert (f2019["period"], f2019["planned_cost"], f2019["forecast_cost"]) == ("2019-03", 186_190_000.0, 177_900_000.0)
    s2021 = row_of(gmpp.tables["status_reports"], "uk_2021.csv", 2)
    assert (s2021["project_id"], s2021["overall_rag"], s2021["report_date"]) == (
        "MOD_0106_1617-Q1", "red", dt.date(2021, 3, 31))
    f2021 = row_of(gmpp.tables["financials"], "uk_2021.csv", 2)
    assert (f2021["planned_cost"], f2021["forecast_cost"]) == (654_460_000.0, 654_110_000.0)
    # uk_2022.csv row 132: IPA rating Amber, wlc £1,933 (£m) → the project row (latest year).
    p = gmpp.tables["projects"].data.filter(pl.col("project_id") == "MOD_0106_1617-Q1").row(0, named=True)
    assert (p["_file"], p["_row"], p["project_name"], p["business_unit"]) == (
        "uk_2022.csv", 132, "Maritime Patrol Aircraft", "MOD")
    assert p["budget_at_completion"] == 1_933_000_000.0
    assert p["start_date"] == dt.date(2014, 7, 8) and p["baseline_finish_date"] == dt.date(2024, 4, 1)
    rags = (gmpp.tables["status_reports"].data.filter(pl.col("project_id") == "MOD_0106_1617-Q1")
            .sort("report_date")["overall_rag"].to_list())
    assert rags == ["red", "red", "amber", "red", "amber"]  # Amber/Red, Amber/Red, Amber, Amber/red, Amber


def test_gmpp_geological_disposal_facility(gmpp):
    # uk_2018.csv row 2 (no project number): Amber/Red, start 30.06.08, end 31.12.40, yearly_budget
    # £32.24. uk_2019.csv row 2: Amber, £40.27. uk_2022.csv row 87: DECC_0005_1112-Q1, IPA rating
    # empty and SRO rating Amber (the 2nd colour_rating), wlc £20,300 (£m).
    s2018 = row_of(gmpp.tables["status_reports"], "uk_2018.csv", 2)
    assert (s2018["project_id"], s2018["overall_rag"], s2018["report_date"]) == (
        "DECC_0005_1112-Q1", "red", dt.date(2017, 9, 30))
    assert row_of(gmpp.tables["status_reports"], "uk_2019.csv", 2)["overall_rag"] == "amber"
    assert row_of(gmpp.tables["financials"], "uk_2018.csv", 2)["planned_cost"] == 32_240_000.0
    assert row_of(gmpp.tables["financials"], "uk_2019.csv", 2)["planned_cost"] == 40_270_000.0
    assert row_of(gmpp.tables["status_reports"], "uk_2022.csv", 87)["overall_rag"] == "amber"
    p = gmpp.tables["projects"].data.filter(pl.col("project_id") == "DECC_0005_1112-Q1").row(0, named=True)
    assert p["start_date"] == dt.date(2008, 6, 30) and p["baseline_finish_date"] == dt.date(2040, 12, 31)
    assert p["budget_at_completion"] == 20_300_000_000.0 and p["portfolio"] == "Infrastructure and Construction"


def test_gmpp_exemption_text_is_a_warning_naming_the_row(gmpp):
    # uk_2018.csv row 3, Heat Networks Investment Project: the rating reads "Exempt under
    # Section 43 of the Freedom of Information Act 2000 (Commercial Interests)".
    hits = [f for f in gmpp.findings if f.rule_id == "MAP-VALUE" and f.file == "uk_2018.csv" and f.row == 3
            and f.table == "status_reports"]
    assert len(hits) == 1 and hits[0].severity == "warning" and hits[0].value.startswith("Exempt under Section 43")
    assert gmpp.tables["status_reports"].data.filter(
        (pl.col("_file") == "uk_2018.csv") & (pl.col("_row") == 3)).height == 0  # no report that year
    assert gmpp.tables["status_reports"].data.height == 779  # 810 rows less 31 without a rating
    # financials: 810 rows less 72 with an exempt budget, less 6 blank budgets in uk_2022.csv
    assert gmpp.tables["financials"].data.height == 732
    blank = [f for f in gmpp.findings if f.table == "financials" and f.value is None]
    assert sorted(f.row for f in blank) == [6, 112, 147, 162, 186, 227] and {f.file for f in blank} == {"uk_2022.csv"}


def test_gmpp_2020_stray_byte_is_replaced_not_guessed(gmpp):
    # uk_2020.csv row 120 (Prison Technology Transformation Programme): "Quantum" + byte 0x9d.
    raw = gmpp.tables["projects"].raw.filter((pl.col("_file") == "uk_2020.csv") & (pl.col("_row") == 120))
    assert "Quantum\ufffd" in raw["description_aims"].item()
    assert "’" in "".join(gmpp.tables["projects"].raw.filter(pl.col("_file") == "uk_2020.csv")["rating_comment"]
                          .drop_nulls().to_list())


# --- US IT Dashboard -------------------------------------------------------------------------

def test_us_projects(us):
    t = us.tables["projects"]
    assert t.data.height == 2468 and t.raw.height == 2468  # SOURCES.md: 2,468 projects
    assert t.raw.width == 23 + 2
    assert t.data["project_id"].n_unique() == 2468
    assert t.data["portfolio"].n_unique() == 26 and t.data["program"].n_unique() == 599
    # Projects_CW1_clean.csv row 2: Project ID 2 "Windows 7", Department of Homeland Security,
    # CBP - Infrastructure, start 2009-01-01, B1 completion 2014-04-30, projected/actual
    # 2012-09-29, lifecycle cost 19 ($M).
    p = row_of(t, "Projects_CW1_clean.csv", 2)
    assert (p["project_id"], p["project_name"], p["business_unit"], p["program"]) == (
        "2", "Windows 7", "Department of Homeland Security", "CBP - Infrastructure")
    assert (p["start_date"], p["baseline_finish_date"], p["forecast_finish_date"]) == (
        dt.date(2009, 1, 1), dt.date(2014, 4, 30), dt.date(2012, 9, 29))
    assert p["budget_at_completion"] == 19_000_000.0
    assert not [f for f in us.findings if f.severity == "error"]


def test_us_status_reports_from_variance_bands(us):
    s = us.tables["status_reports"]
    # 17 rows carry no variance at all: warned and left out.
    assert s.data.height == 2451
    assert len([f for f in us.findings if f.rule_id == "MAP-VALUE"]) == 17
    # Row 2: cost variance 41.22 %, schedule variance 0 %, updated 2012-04-30.
    r = row_of(s, "Projects_CW1_clean.csv", 2)
    assert (r["report_date"], r["overall_rag"], r["cost_rag"], r["schedule_rag"]) == (
        dt.date(2012, 4, 30), "red", "red", "green")
    assert Counter(s.data["cost_rag"].to_list()) == {"green": 1947, "amber": 262, "red": 242}


# --- loaded with quarantine: nothing left pointing at a set-aside row -------------------------

@pytest.mark.parametrize("example, rejected", [
    # gmpp_uk: 37 projects have a start date, end date or whole-life cost withheld in every year
    # (examples/README.md); their 56 status reports and 23 financial rows go with them.
    ("gmpp_uk", {"projects": 37, "status_reports": 56, "financials": 23}),
    # us_it_dashboard: 19 projects fail a check; 2 of them have a status report.
    ("us_it_dashboard", {"projects": 19, "status_reports": 2}),
])
def test_examples_load_with_quarantine_and_leave_no_orphan(example, rejected, tmp_path):
    from pmo_metrics.warehouse import load_batch
    from references import broken_references, counts_add_up

    db = tmp_path / "pmo.duckdb"
    result = load_batch(REAL / example, db, REPO / "examples" / example / "mapping.toml", quarantine=True,
                        archive=False, load_date=dt.date(2026, 12, 1))
    assert result.status == "loaded", result.message
    assert result.rows_rejected == rejected
    assert broken_references(db) == {}
    assert counts_add_up(db) == {}


def test_gmpp_a_project_missing_from_the_newest_year_has_left_the_portfolio(gmpp):
    # "Maritime Sustainment Programme" (MOD, Green in 2020) is in uk_2018, uk_2019 and uk_2020.csv
    # and in neither uk_2021 nor uk_2022.csv: by the 2021 report (as at 2021-03-31) it had left.
    p = gmpp.tables["projects"].data.filter(pl.col("project_name") == "Maritime Sustainment Programme").row(0, named=True)
    assert (p["project_id"], p["_file"], p["stage"], p["actual_finish_date"]) == (
        "MOD_0036_1112-Q1", "uk_2020.csv", "closed", dt.date(2021, 3, 31))
    # Maritime Patrol Aircraft is in uk_2022.csv: still running.
    still = gmpp.tables["projects"].data.filter(pl.col("project_id") == "MOD_0106_1617-Q1").row(0, named=True)
    assert (still["stage"], still["actual_finish_date"]) == ("execution", None)
    # 235 projects are in uk_2022.csv; the other 126 of the 361 have left.
    assert Counter(gmpp.tables["projects"].data["stage"].to_list()) == {"execution": 235, "closed": 126}
    notes = [f.message for f in gmpp.findings if "departed" in f.message]
    assert notes == ["126 project(s) absent from the newest snapshot (2022-03-31) have left the portfolio: "
                     "stage closed (the mapping's departed)"]


def test_us_budget_check_flags_the_implausible_lifecycle_costs(us):
    # Projects_CW1_clean.csv row 1188: "NAEP Web Operations and Maintenance", Lifecycle Cost($M)
    # 25654.96; row 1986: Naval Tactical Command Support System, 31112.9. No other row reaches $10,000M.
    hits = [f for f in us.findings if f.rule_id == "MAP-CHECK"]
    assert [(f.severity, f.row, f.column, f.value) for f in hits] == [
        ("warning", 1188, "budget_at_completion", "25654960000.0"),
        ("warning", 1986, "budget_at_completion", "31112900000.0")]
    assert "at most 10000000000.0" in hits[0].message
