"""The loader loads what it always loaded: every table of three batches, row for row.

tests/data/make_equivalence.py wrote the expected tables with the loader that read extracts with
polars and checked them with pandera, before the loader moved into DuckDB. Each case here is
loaded again, with quarantine on and the same load date, and every contract table of `main`, the
raw layer it materialised, the findings, the quarantined rows and the row counts must be exactly
what that loader wrote; the printed report must hold the same lines.
"""
from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import duckdb
import pytest

from pmo_metrics import contract as c
from pmo_metrics.warehouse import load_batch, validate_batch

DATA = Path(__file__).parent / "data" / "equivalence"
LOAD_DATE = dt.date(2025, 6, 15)
CASES = {"gmpp_uk": "mapping.toml", "synthetic": "mapping.toml", "messy": None}
# Rules built after that loader (issue #20): their findings are compared with these, not with it.
LATER_RULES = ("KEY-NEAR-DUPLICATE", "DATE-PLAUSIBLE", "XLSX-FORMULA", "XLSX-HIDDEN", "STS-FUTURE-REPORT",
               "HDR-DUPLICATE")
LATER_FINDINGS = {"messy": [("HDR-DUPLICATE", "status_reports.csv", "overall_rag", "overall_rag_2")]}


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[str], list[tuple]]:
    cur = con.execute(sql)
    return [d[0] for d in cur.description], cur.fetchall()


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return a == b and type(a) is type(b)


def assert_same_rows(got: tuple[list[str], list[tuple]], want: tuple[list[str], list[tuple]], what: str) -> None:
    (got_cols, got_rows), (want_cols, want_rows) = got, want
    assert got_cols == want_cols, f"{what}: columns {got_cols} != {want_cols}"
    assert len(got_rows) == len(want_rows), f"{what}: {len(got_rows)} rows, expected {len(want_rows)}"
    for i, (g, w) in enumerate(zip(got_rows, want_rows)):
        diff = [(col, x, y) for col, x, y in zip(got_cols, g, w) if not _same(x, y)]
        assert not diff, f"{what} row {i} ({dict(zip(got_cols, w))}): got != expected in {diff}"


@pytest.fixture(scope="module", params=sorted(CASES))
def loaded(request, tmp_path_factory):
    case = request.param
    folder = DATA / case
    mapping = folder / CASES[case] if CASES[case] else None
    db = tmp_path_factory.mktemp(case) / "pmo.duckdb"
    result = load_batch(folder, db, mapping, quarantine=True, load_date=LOAD_DATE)
    assert result.status == "loaded", result.message
    con = duckdb.connect(str(db), read_only=True)
    yield case, folder, mapping, con, result
    con.close()


def _expected(case: str, name: str) -> Path:
    return DATA / "expected" / case / f"{name}.parquet"


# Tables the contract gained after the expected outputs were captured: these batches have no file for
# them, so each loads empty.
ADDED_AFTER_CAPTURE = ("gate_reviews", "change_requests", "pmo_costs", "project_scores")


def test_every_contract_table_row_for_row(loaded):
    case, _, _, con, _ = loaded
    for name in c.LOAD_ORDER:
        if name in ADDED_AFTER_CAPTURE:
            assert not _expected(case, f"main.{name}").exists()
            assert con.execute(f'SELECT count(*) FROM main."{name}"').fetchone() == (0,), name
            continue
        want = _rows(con, f"SELECT * FROM '{_expected(case, f'main.{name}')}'")
        got = _rows(con, f'SELECT * EXCLUDE (_load_id) FROM main."{name}" ORDER BY _file, _row')
        assert_same_rows(got, want, f"{case}: main.{name}")


def test_the_raw_layer_it_materialises(loaded):
    case, _, _, con, _ = loaded
    for path in sorted((DATA / "expected" / case).glob("raw.*.parquet")):
        name = path.stem.split(".", 1)[1]
        want = _rows(con, f"SELECT * FROM '{path}'")
        got = _rows(con, f'SELECT * EXCLUDE (_load_id) FROM raw."{name}" ORDER BY _file, _row')
        assert_same_rows(got, want, f"{case}: raw.{name}")


@pytest.mark.parametrize("meta", ["findings", "quarantine", "table_rows"])
def test_findings_quarantine_and_row_counts(loaded, meta):
    case, _, _, con, result = loaded
    order = "ALL"
    want = _rows(con, f"SELECT * FROM '{_expected(case, f'meta.{meta}')}' ORDER BY {order}")
    later = "WHERE NOT list_contains($later, rule_id)" if meta == "findings" else ""
    cur = con.execute(f"SELECT * EXCLUDE (load_id) FROM meta.{meta} {later} ORDER BY {order}",
                      {"later": list(LATER_RULES)} if later else None)
    got = [d[0] for d in cur.description], cur.fetchall()
    assert_same_rows(got, want, f"{case}: meta.{meta}")
    if meta == "findings":
        newer = con.execute('SELECT rule_id, file, "column", value FROM meta.findings WHERE list_contains(?, rule_id) '
                            "ORDER BY ALL", [list(LATER_RULES)]).fetchall()
        assert newer == LATER_FINDINGS.get(case, [])
    counts = json.loads((DATA / "expected" / case / "rows.json").read_text())
    assert (result.rows_loaded, result.rows_rejected) == (counts["loaded"], counts["rejected"])


def test_the_report_says_the_same(loaded):
    case, folder, mapping, _, _ = loaded
    _, report = validate_batch(folder, mapping, None, LOAD_DATE)
    want = (DATA / "expected" / case / "report.txt").read_text(encoding="utf-8").splitlines()
    got = report.render(None).splitlines()
    later = [line for line in got[1:] if any(f" {rule}]" in line for rule in LATER_RULES)]
    assert len(later) == len(LATER_FINDINGS.get(case, []))
    if later:  # the summary counts them as warnings: the rows read are the same
        assert got[0].split(";")[0] == want[0].split(";")[0]
    else:
        assert got[0] == want[0]
    assert sorted(line for line in got[1:] if line not in later) == sorted(want[1:])


def test_a_quarantined_load_leaves_no_orphan(loaded):
    """Every case is loaded with quarantine on: nothing loaded points at a parent that is not there,
    and every table's rows read − loaded = rejected."""
    from references import broken_references, counts_add_up

    case, _, _, con, _ = loaded
    db = Path(con.execute("SELECT path FROM duckdb_databases() WHERE NOT internal AND database_name <> 'temp' "
                          "LIMIT 1").fetchone()[0])
    assert broken_references(db) == {}, case
    assert counts_add_up(db) == {}, case
