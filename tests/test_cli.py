"""The command line of CONTRACT §5: output shapes, exit codes, one-line reasons."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from pmo_metrics.cli import main
from pmo_metrics.db import cursor_for, open_readonly
from pmo_metrics.filters import Filters
from pmo_metrics.kpis import compute_kpis
from pmo_metrics.metrics import METRICS
from pmo_metrics.warehouse import load_batch

from batches import write_batch

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli")
    path = tmp / "pmo.duckdb"
    assert load_batch(write_batch(tmp / "batch"), path, load_date=date(2025, 6, 15)).status == "loaded"
    return path


def test_kpis_json_is_one_object_of_every_kpi_plus_as_of(db, capsys):
    assert main(["kpis", "--db", str(db), "--format", "json", "--as-of", "2025-06"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["as_of"] == "2025-06"
    assert set(out) == set(METRICS) | {"as_of"}
    assert all(v is None or isinstance(v, (int, float)) for k, v in out.items() if k != "as_of")
    cur = cursor_for(open_readonly(db))
    expected = compute_kpis(cur, Filters(as_of="2025-06"))
    for k in METRICS:
        assert (out[k] is None) == (expected[k] is None), k
        assert out[k] is None or out[k] == pytest.approx(expected[k]), k
    # the tiny batch by hand: P1 is the one active project (P2 closed in 2024), its latest report is amber
    assert out["active_projects"] == 1 and out["rag_amber_share"] == 1.0


def test_kpis_default_month_and_filters(db, capsys):
    assert main(["kpis", "--db", str(db), "--format", "json", "--portfolio", "Back office"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["as_of"] == "2025-06"      # the month of the latest status report
    assert out["active_projects"] == 0    # the back-office project closed in 2024
    assert out["rag_green_share"] is None  # no active project: an empty share, never 0


def test_kpis_table_lists_every_metric(db, capsys):
    assert main(["kpis", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("KPIs as of 2025-06")
    assert all(mid in out for mid in METRICS)


@pytest.mark.parametrize("args, words", [
    (["kpis", "--as-of", "2025-13"], "not a month"),
    (["bogus"], "invalid choice"),
    ([], "required"),
    (["kpis", "--db", "/nonexistent/pmo.duckdb"], "no database"),
    (["validate", "/nonexistent/batch"], "nonexistent"),
    (["select", "--db", "/nonexistent/pmo.duckdb", "--budget", "10"], "no database"),
    (["select", "--budget", "lots"], "'lots' is not a number"),
    (["send", "--db", "/nonexistent/pmo.duckdb", "--dry-run", "/nonexistent/out"], "no database"),
])
def test_failures_exit_non_zero_with_one_line(args, words):
    proc = subprocess.run([sys.executable, "-m", "pmo_metrics", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode != 0
    # progress lines may come first; the reason is one line, the last
    errors = [line for line in proc.stderr.strip().splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and words in errors[0], proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == errors[0]


def test_select_and_send_are_commands_of_the_product(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = " ".join(capsys.readouterr().out.split())   # help wraps its lines
    assert "select" in out and "optimal funded set" in out and "send" in out and "digests" in out
    with pytest.raises(SystemExit):
        main(["select", "--help"])
    assert capsys.readouterr().out.startswith("usage: python -m pmo_metrics select")


def test_send_on_marts_of_another_version_is_one_line_not_a_traceback(db, tmp_path, capsys, monkeypatch):
    import shutil

    import duckdb

    stale = tmp_path / "stale.duckdb"
    shutil.copy(db, stale)
    with duckdb.connect(str(stale)) as con:
        con.execute("UPDATE marts.build_info SET marts_version = 'an older release'")
    monkeypatch.setenv("PMO_APP_STATE_URL", f"sqlite:///{tmp_path / 'state.sqlite'}")
    code = main(["send", "--db", str(stale), "--dry-run", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().splitlines() == ["error: the database's KPI marts were built by another version of the "
                                        "product; rebuild them with `python -m pmo_metrics rebuild`"]


CASCADE = REPO / "tests" / "data" / "quarantine_cascade"


def test_validate_json_is_one_document_with_every_finding(tmp_path, capsys):
    code = main(["validate", str(CASCADE), "--db", str(tmp_path / "none.duckdb"), "--format", "json", "--quiet"])
    assert code == 1
    doc = json.loads(capsys.readouterr().out)
    assert (doc["command"], doc["status"], doc["ok"], doc["errors"]) == ("validate", "invalid", False, 2)
    assert doc["rows_read"]["projects"] == 3 and doc["files"]["projects"] == ["projects.csv"]
    assert len(doc["findings"]) == doc["errors"] + doc["warnings"]
    first = doc["findings"][0]
    assert {k: first[k] for k in ("rule_id", "severity", "file", "row", "column", "value")} == {
        "rule_id": "PRJ-BUDGET", "severity": "error", "file": "projects.csv", "row": 3,
        "column": "budget_at_completion", "value": "-500.0"}
    assert [f["severity"] for f in doc["findings"]][:2] == ["error", "error"]  # errors first


def test_load_json_reports_the_load_and_the_cascade(tmp_path, capsys):
    db = tmp_path / "pmo.duckdb"
    assert main(["load", str(CASCADE), "--db", str(db), "--format", "json", "--quiet", "--quarantine"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] == "loaded" and doc["ok"] and doc["load_id"]
    assert doc["rows_rejected"]["benefit_measurements"] == 2 and doc["rows_loaded"]["projects"] == 2
    assert sum(f["rule_id"] == "REF-QUARANTINED" for f in doc["findings"]) == 11


def test_json_output_of_a_batch_that_cannot_be_read_is_json_too(tmp_path, capsys):
    code = main(["load", str(tmp_path / "missing"), "--db", str(tmp_path / "pmo.duckdb"), "--format", "json", "--quiet"])
    out = capsys.readouterr()
    assert code == 2
    assert json.loads(out.out) == {"command": "load", "batch": str(tmp_path / "missing"), "status": "failed",
                                   "message": f"{tmp_path / 'missing'}: batch path does not exist"}
    assert out.err.startswith("error: ") and len(out.err.strip().splitlines()) == 1


def test_the_line_past_the_limit_says_where_the_rest_is(tmp_path, capsys):
    args = ["validate", str(CASCADE), "--db", str(tmp_path / "none.duckdb"), "--quiet", "--limit", "1"]
    main(args)
    assert "more (--all prints every one; --report-csv FILE writes them to a file)" in capsys.readouterr().out
    main(args + ["--report-csv", str(tmp_path / "r.csv")])
    assert f"more (the full list is in {tmp_path / 'r.csv'})" in capsys.readouterr().out
    assert (tmp_path / "r.csv").read_text().startswith("rule_id,")


def test_a_statement_duckdb_interrupts_says_interrupted_and_exits_130(tmp_path, monkeypatch, capsys):
    # Ctrl-C while DuckDB runs a statement: its client stops it and raises its own error, not
    # KeyboardInterrupt — "Query interrupted" (a RuntimeError) from SIGINT in a terminal, an
    # InterruptException when the connection is interrupted. Either way the command says so.
    import threading

    import duckdb

    from pmo_metrics import warehouse

    def interrupted_statement(*args, **kwargs):
        con, stop = duckdb.connect(), threading.Event()
        threading.Thread(target=lambda: [con.interrupt() for _ in iter(lambda: stop.wait(0.1), True)],
                         daemon=True).start()
        try:
            con.execute("SELECT count(*) FROM range(100000000000) t(i) WHERE i % 7 = 3").fetchall()
        finally:
            stop.set()

    def sigint_in_a_terminal(*args, **kwargs):
        raise RuntimeError("Query interrupted")

    for statement in (interrupted_statement, sigint_in_a_terminal):
        monkeypatch.setattr(warehouse, "validate_batch", statement)
        assert main(["validate", str(tmp_path), "--quiet"]) == 130
        assert capsys.readouterr().err.strip().splitlines()[-1] == "error: interrupted; the database is unchanged"
    monkeypatch.setattr(warehouse, "validate_batch", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("disk gone")))
    assert main(["validate", str(tmp_path), "--quiet"]) == 4
    assert "validate failed (RuntimeError: disk gone)" in capsys.readouterr().err
