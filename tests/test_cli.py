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
