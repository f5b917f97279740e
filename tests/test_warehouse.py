"""Load semantics (CONTRACT §2): all or nothing, quarantine, load log, skip, archive, readers following loads."""
from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pmo_metrics.cli import main
from pmo_metrics.db import Warehouse, open_readonly, cursor_for
from pmo_metrics.warehouse import LoadBusy, _exclusive, load_batch, load_history

from batches import tiny_tables, write_batch
from references import broken_references, counts_add_up

LOAD_DATE = date(2025, 6, 15)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def contents(path: Path) -> dict[str, list]:
    """Every row of every table, sorted: what 'the database is unchanged' means."""
    con = open_readonly(path)
    cur = cursor_for(con)
    names = cur.execute("SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'pmo' UNION ALL "
                        "SELECT schema_name, view_name FROM duckdb_views() WHERE database_name = 'pmo' "
                        "AND NOT internal ORDER BY 1, 2").fetchall()
    out = {f"{s}.{t}": sorted(map(repr, cur.execute(f'SELECT CAST(COLUMNS(*) AS VARCHAR) FROM {s}."{t}"').fetchall())) for s, t in names}
    con.close()
    return out


@pytest.fixture()
def loaded_db(tmp_path):
    db = tmp_path / "pmo.duckdb"
    result = load_batch(write_batch(tmp_path / "batch"), db, load_date=LOAD_DATE)
    assert result.status == "loaded", result.report.render()
    return db


def test_load_writes_every_layer(loaded_db, tmp_path):
    con = open_readonly(loaded_db)
    cur = cursor_for(con)
    assert cur.execute("SELECT count(*) FROM projects").fetchone()[0] == 2
    assert cur.execute("SELECT sum(hours) FROM timesheets").fetchone()[0] == pytest.approx(15.5)
    # lineage: each row names the file and spreadsheet row it came from
    assert cur.execute("SELECT _file, _row FROM status_reports WHERE report_date = DATE '2025-06-10'").fetchone() == (
        "status_reports.csv", 3)
    assert cur.execute("SELECT count(*) FROM raw.projects").fetchone()[0] == 2
    log = cur.execute("SELECT status, files FROM meta.load_log").fetchall()
    assert log[0][0] == "loaded" and "projects.csv" in log[0][1]
    con.close()
    history = load_history(loaded_db)
    assert history[0]["status"] == "loaded" and history[0]["finished_at"]
    sha = {f["name"]: f["sha256"] for f in history[0]["files"]}
    assert sha["projects.csv"] == digest(tmp_path / "batch" / "projects.csv")
    archived = next((loaded_db.parent / "archive" / "pmo").iterdir())
    assert digest(archived / "projects.csv") == sha["projects.csv"]
    assert json.loads((archived / "manifest.json").read_text())


def test_identical_batch_is_reported_and_skipped(loaded_db, tmp_path):
    before = digest(loaded_db)
    result = load_batch(tmp_path / "batch", loaded_db, load_date=LOAD_DATE)
    assert result.status == "skipped" and "identical" in result.message
    assert digest(loaded_db) == before
    assert [h["status"] for h in load_history(loaded_db)] == ["skipped", "loaded"]


def test_partial_batch_replaces_only_its_tables(loaded_db, tmp_path):
    tables = tiny_tables()
    tables["risks"].append(dict(risk_id="K2", project_id="P2", title="Audit", probability="1", impact="2",
                                status="closed", raised_date="2024-03-01", closed_date="2024-04-01"))
    write_batch(tmp_path / "risks_only", tables, only=("risks",))
    before = contents(loaded_db)
    assert load_batch(tmp_path / "risks_only", loaded_db, load_date=LOAD_DATE).status == "loaded"
    after = contents(loaded_db)
    assert len(after["main.risks"]) == 2
    for table in ("main.projects", "main.timesheets", "main.benefits", "raw.projects"):
        assert after[table] == before[table]


def test_reader_follows_a_new_load_without_restart(loaded_db, tmp_path):
    wh = Warehouse(loaded_db)
    old_cursor = wh.cursor()
    assert old_cursor.execute("SELECT count(*) FROM risks").fetchone()[0] == 1
    tables = tiny_tables()
    tables["risks"] = tables["risks"] * 1 + [dict(risk_id="K9", project_id="P1", title="New", probability="2",
                                                  impact="2", status="open", raised_date="2025-06-01")]
    load_batch(write_batch(tmp_path / "b2", tables, only=("risks",)), loaded_db, load_date=LOAD_DATE)
    assert wh.cursor().execute("SELECT count(*) FROM risks").fetchone()[0] == 2
    # a query already under way on the old version keeps its consistent view
    assert old_cursor.execute("SELECT count(*) FROM risks").fetchone()[0] == 1


def test_quarantine_loads_valid_rows_and_keeps_rejected_ones(tmp_path):
    tables = tiny_tables()
    tables["timesheets"].append(dict(resource_id="R1", project_id="P1", work_date="2025-06-04", hours="30"))
    tables["timesheets"].append(dict(resource_id="R1", project_id="NOPE", work_date="2025-06-05", hours="4"))
    db = tmp_path / "pmo.duckdb"
    strict = load_batch(write_batch(tmp_path / "b", tables), db, load_date=LOAD_DATE)
    assert strict.status == "rejected" and not db.exists()
    result = load_batch(tmp_path / "b", db, quarantine=True, load_date=LOAD_DATE)
    assert result.status == "loaded"
    assert result.rows_loaded["timesheets"] == 2 and result.rows_rejected["timesheets"] == 2
    cur = cursor_for(open_readonly(db))
    rows = cur.execute('SELECT "row", rule_ids, reasons, record FROM meta.quarantine ORDER BY "row"').fetchall()
    assert [(r[0], r[1]) for r in rows] == [(4, "TS-HOURS"), (5, "REF-PROJECT")]
    assert "30" in rows[0][3] and "NOPE" in rows[1][2]
    assert broken_references(db) == {} and counts_add_up(db) == {}


def test_second_load_waits_then_is_refused_clearly(loaded_db, tmp_path):
    with _exclusive(loaded_db, 0):
        with pytest.raises(LoadBusy, match="another load"):
            load_batch(tmp_path / "batch", loaded_db, wait_seconds=0.3)


# --- Bad input: non-zero exit, a message naming the problem, the database unchanged ---------------

def _bad_batches(tmp_path: Path) -> dict[str, tuple[list[str], str]]:
    """name -> (extra CLI args, expected words in the output)."""
    cases = {}

    def batch(name, mutate=None, only=None, files=None):
        tables = tiny_tables()
        if mutate:
            mutate(tables)
        folder = write_batch(tmp_path / name, tables, only=only)
        for fname, content in (files or {}).items():
            (folder / fname).write_bytes(content)
        return folder

    folder = batch("missing_column", only=("projects",))
    text = (folder / "projects.csv").read_text().replace("portfolio,", "")
    lines = text.splitlines()
    lines = [lines[0]] + [",".join(x for i, x in enumerate(line.split(",")) if i != 2) for line in lines[1:]]
    (folder / "projects.csv").write_text("\n".join(lines) + "\n")
    cases["missing_column"] = ([str(folder)], "portfolio")
    cases["wrong_type"] = ([str(batch("wrong_type", lambda t: t["projects"][0].update(budget_at_completion="lots"),
                                      only=("projects",)))], "lots")
    cases["duplicate_key"] = ([str(batch("duplicate_key", lambda t: t["projects"].append(dict(t["projects"][0])),
                                         only=("projects",)))], "duplicate")
    cases["orphan_project"] = ([str(batch("orphan", lambda t: t["risks"][0].update(project_id="P404"),
                                          only=("risks",)))], "P404")
    cases["bad_enum"] = ([str(batch("bad_enum", lambda t: t["projects"][0].update(stage="in flight"),
                                    only=("projects",)))], "stage: value 'in_flight'")
    cases["finish_before_start"] = ([str(batch("dates", lambda t: t["projects"][0].update(
        baseline_finish_date="2024-01-01"), only=("projects",)))], "PRJ-DATES")
    cases["empty_file"] = ([str(batch("empty", only=("risks",), files={"risks.csv": b""}))], "empty")
    cases["header_only"] = ([str(batch("header", only=("risks",), files={
        "risks.csv": b"risk_id,project_id,title,probability,impact,status,owner,raised_date,closed_date\n"}))], "no data rows")
    cases["not_utf8"] = ([str(batch("latin", only=("risks",), files={
        "risks.csv": "risk_id,project_id,title,probability,impact,status,raised_date\nK1,P1,Fournisseur en retard \u00e9t\u00e9,4,4,open,2025-02-01\n".encode("cp1252")}))],
        "encoding")
    cases["corrupt_xlsx"] = ([str(batch("xlsx", only=(), files={"projects.xlsx": b"PK\x03\x04 this is not a workbook"}))],
                             "projects.xlsx")
    import polars as pl
    folder = batch("parquet", only=())
    pl.DataFrame({"risk_id": ["K1"] * 1000, "title": ["x" * 50] * 1000}).write_parquet(folder / "risks.parquet")
    data = (folder / "risks.parquet").read_bytes()
    (folder / "risks.parquet").write_bytes(data[: len(data) // 2])
    cases["truncated_parquet"] = ([str(folder)], "risks.parquet")
    folder = batch("mapping_missing_col", only=("risks",))
    (folder / "mapping.toml").write_text('[tables.risks]\nfrom = ["risks.csv"]\n[tables.risks.columns]\nrisk_id = "Risk Ref"\n')
    cases["mapping_names_missing_column"] = ([str(folder), "--mapping", str(folder / "mapping.toml")], "Risk Ref")
    folder = batch("mapping_malformed", only=("risks",))
    (folder / "mapping.toml").write_text("[risks\nfiles = risks.csv\n")
    cases["malformed_mapping"] = ([str(folder), "--mapping", str(folder / "mapping.toml")], "mapping.toml")
    cases["no_such_path"] = ([str(tmp_path / "does-not-exist")], "does-not-exist")
    return cases


BAD_CASES = ["missing_column", "wrong_type", "duplicate_key", "orphan_project", "bad_enum", "finish_before_start",
             "empty_file", "header_only", "not_utf8", "corrupt_xlsx", "truncated_parquet",
             "mapping_names_missing_column", "malformed_mapping", "no_such_path"]


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_input_is_refused_and_the_database_is_unchanged(case, loaded_db, tmp_path, capsys):
    args, expected = _bad_batches(tmp_path)[case]
    before_bytes, before = digest(loaded_db), contents(loaded_db)
    code = main(["load", *args, "--db", str(loaded_db), "--quiet"])
    out, err = capsys.readouterr()
    assert code != 0
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert expected.lower() in (out + err).lower()
    assert digest(loaded_db) == before_bytes
    assert contents(loaded_db) == before


def test_unknown_file_is_warned_not_silently_ignored(loaded_db, tmp_path, capsys):
    folder = write_batch(tmp_path / "extra", only=("risks",))
    (folder / "budget_notes.csv").write_text("a,b\n1,2\n")
    code = main(["validate", str(folder), "--db", str(loaded_db), "--quiet"])
    out, _ = capsys.readouterr()
    assert code == 0
    assert "budget_notes.csv" in out and "WARNING" in out


def test_validate_writes_nothing(tmp_path, capsys):
    db = tmp_path / "pmo.duckdb"
    assert main(["validate", str(write_batch(tmp_path / "b")), "--db", str(db), "--quiet"]) == 0
    assert not db.exists()


def test_report_lists_every_failure_not_the_first(tmp_path, capsys):
    tables = tiny_tables()
    for r in tables["timesheets"]:
        r["hours"] = "25"
    tables["projects"][0]["stage"] = "nope"
    code = main(["validate", str(write_batch(tmp_path / "b", tables)), "--db", str(tmp_path / "x.duckdb"), "--quiet",
                 "--all"])
    out, err = capsys.readouterr()
    assert code == 1
    assert out.count("TS-HOURS") == 2 and "nope" in out
    assert "2 error(s)" in err or "3 error(s)" in err


def test_milestone_snapshots_are_kept_per_month_and_carried_across_loads(loaded_db, tmp_path):
    def snapshots() -> list[tuple]:
        cur = cursor_for(open_readonly(loaded_db))
        return cur.execute("SELECT snapshot_month, milestone_id, project_id, milestone_name, is_gate, "
                           "CAST(baseline_date AS VARCHAR), CAST(forecast_date AS VARCHAR), "
                           "CAST(actual_date AS VARCHAR) FROM meta.milestone_snapshots ORDER BY ALL").fetchall()

    # the first load: its latest status report is dated June, so its milestones stand for 2025-06
    june = [("2025-06", "M1", "P1", "Beta", True, "2025-05-01", None, "2025-05-03")]
    assert snapshots() == june
    # July's extract of the PMIS tables moves a forecast and adds a milestone: a second month, June kept
    tables = tiny_tables()
    tables["status_reports"].append(dict(project_id="P1", report_date="2025-07-10", overall_rag="amber",
                                         percent_complete="50", summary="Supplier late"))
    tables["milestones"].append(dict(milestone_id="M2", project_id="P1", milestone_name="Launch", is_gate="false",
                                     baseline_date="2025-09-01", forecast_date="2025-09-20"))
    july_batch = write_batch(tmp_path / "july", tables, only=("status_reports", "milestones"))
    assert load_batch(july_batch, loaded_db, load_date=date(2025, 7, 15)).status == "loaded"
    july = [("2025-07", "M1", "P1", "Beta", True, "2025-05-01", None, "2025-05-03"),
            ("2025-07", "M2", "P1", "Launch", False, "2025-09-01", "2025-09-20", None)]
    assert snapshots() == june + july
    # a batch without milestones leaves every snapshot as it was; one that carries them again in July
    # replaces July's, not June's
    tables["risks"].append(dict(risk_id="K2", project_id="P1", title="Audit", probability="1", impact="2",
                                status="open", raised_date="2025-07-01"))
    assert load_batch(write_batch(tmp_path / "risks", tables, only=("risks",)), loaded_db,
                      load_date=date(2025, 7, 20)).status == "loaded"
    assert snapshots() == june + july
    tables["milestones"][1]["forecast_date"] = "2025-10-01"
    again = write_batch(tmp_path / "july_again", tables, only=("milestones",))
    assert load_batch(again, loaded_db, load_date=date(2025, 7, 25)).status == "loaded"
    assert snapshots() == june + [july[0], july[1][:6] + ("2025-10-01", None)]
    # and the projects snapshots keep their own months: only the first batch carried projects
    cur = cursor_for(open_readonly(loaded_db))
    assert cur.execute("SELECT DISTINCT snapshot_month FROM meta.project_snapshots").fetchall() == [("2025-06",)]


def test_the_new_database_is_synced_once_complete_before_it_is_swapped_in(tmp_path, monkeypatch):
    """DuckDB does not sync the file it builds (fsync_mode NONE): the loader syncs it once, after its
    last checkpoint and close, then swaps it in and syncs the folder, so a published database is on
    disk whole even though no commit before was synced."""
    import os

    import pmo_metrics.warehouse as wh
    from pmo_metrics.sources.workspace import Workspace

    modes = []
    real_init = Workspace.__init__

    def spy_init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        modes.append(self.con.execute("SELECT current_setting('fsync_mode')").fetchone()[0])

    events: list[tuple[str, str]] = []
    real_fsync, real_replace = wh._fsync, os.replace

    def spy_fsync(path):
        events.append(("fsync", Path(path).name))
        real_fsync(path)

    def spy_replace(src, dst):
        events.append(("replace", Path(src).name))
        real_replace(src, dst)

    monkeypatch.setattr(Workspace, "__init__", spy_init)
    monkeypatch.setattr(wh, "_fsync", spy_fsync)
    monkeypatch.setattr(wh.os, "replace", spy_replace)
    db = tmp_path / "pmo.duckdb"
    assert load_batch(write_batch(tmp_path / "batch"), db, load_date=LOAD_DATE, archive=False).status == "loaded"
    assert modes == ["NONE"]
    new = [name for kind, name in events if kind == "replace" and name.startswith("pmo.duckdb.new-")]
    assert len(new) == 1
    i = events.index(("replace", new[0]))
    assert events[i - 1] == ("fsync", new[0])            # the complete file, synced before the swap
    assert events[i + 1] == ("fsync", tmp_path.name)     # and the folder that now names it
    assert not Path(str(db) + ".wal").exists()           # nothing left to replay: the file is whole
    con = open_readonly(db)
    assert cursor_for(con).execute("SELECT count(*) FROM projects").fetchone()[0] == 2
    con.close()


def test_validate_works_out_no_checksum_and_a_load_of_the_same_batch_does(tmp_path):
    from pmo_metrics.warehouse import validate_batch

    batch_dir = write_batch(tmp_path / "batch")
    batch, report = validate_batch(batch_dir, db_path=None, load_date=LOAD_DATE)
    try:
        assert report.ok and batch.files and all(f.sha256 is None for f in batch.files)
    finally:
        batch.close()
    db = tmp_path / "pmo.duckdb"
    assert load_batch(batch_dir, db, load_date=LOAD_DATE).status == "loaded"
    files = load_history(db)[0]["files"]
    assert {f["name"]: f["sha256"] for f in files} == {p.name: digest(p) for p in batch_dir.iterdir()}
