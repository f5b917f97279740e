"""The archive's housekeeping: retention of published loads' raw files, orphans of killed loads,
its size, and no leftovers of a rebuild."""
from __future__ import annotations

from datetime import date, datetime

from batches import tiny_tables, write_batch
from pmo_metrics.archive import archive_bytes, kept
from pmo_metrics.warehouse import archive_dir, load_batch, load_history, rebuild_marts

LOAD_DATE = date(2025, 6, 15)


def test_retention_keeps_the_last_loads_and_every_load_of_the_last_months():
    published = {"a": datetime(2025, 1, 5), "b": datetime(2025, 3, 1), "c": datetime(2025, 4, 30),
                 "d": datetime(2025, 5, 2), "e": datetime(2025, 6, 1)}
    today = date(2025, 6, 15)
    assert kept(published, 2, 0, today) == {"d", "e"}
    assert kept(published, 0, 2, today) == {"d", "e"}            # May and June
    assert kept(published, 1, 3, today) == {"c", "d", "e"}       # April to June
    assert kept(published, 4, 1, today) == {"b", "c", "d", "e"}
    assert kept({"x": datetime(2024, 12, 31)}, 0, 6, date(2025, 1, 1)) == {"x"}  # across a year
    assert kept(published, 0, 0, today) == set()


def _batch(tmp_path, n: int):
    tables = tiny_tables()
    tables["projects"][0]["project_name"] = f"Web shop {n}"  # each batch differs, so each one loads
    return write_batch(tmp_path / f"batch{n}", tables)


def test_each_load_prunes_the_archive_and_removes_orphans(tmp_path):
    db = tmp_path / "pmo.duckdb"
    folder = archive_dir(db)
    folder.mkdir(parents=True)
    (folder / "20200101T000000-dead00.partial").mkdir()          # a load killed while archiving
    (folder / "20200101T000000-dead01").mkdir()                  # a load killed before publishing
    (folder / "20200101T000000-dead01" / "projects.csv").write_text("x")
    for n in range(3):
        result = load_batch(_batch(tmp_path, n), db, load_date=LOAD_DATE, keep_loads=2, keep_months=0)
        assert result.status == "loaded", result.message
    published = [r["load_id"] for r in load_history(db) if r["status"] == "loaded"]
    assert sorted(p.name for p in folder.iterdir()) == sorted(published[:2])
    folders, size = archive_bytes(folder)
    assert folders == 2 and size > 0


def test_rebuild_leaves_no_new_files_and_removes_those_of_killed_loads(tmp_path):
    db = tmp_path / "pmo.duckdb"
    assert load_batch(write_batch(tmp_path / "b"), db, load_date=LOAD_DATE, archive=False).status == "loaded"
    leftover = tmp_path / "pmo.duckdb.new-999-deadbeef"
    leftover.write_bytes(b"half a database")
    rebuild_marts(db)
    assert not list(tmp_path.glob("pmo.duckdb.new-*"))


# -- the Data loads page: the archive's size, and upload folders that do not outlive their use ----------

import gc  # noqa: E402
import tempfile  # noqa: E402

from pmo_metrics.downloads import StagingFolder  # noqa: E402
from test_app import app, open_data_loads, problems, use_db  # noqa: E402,F401 — use_db is a fixture


def test_a_staging_folder_is_removed_when_asked_or_when_collected(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    first = StagingFolder()
    (first.path / "projects.csv").write_text("x")
    first.remove()
    assert not first.path.exists()
    second = StagingFolder()
    path = second.path
    del second
    gc.collect()
    assert not path.exists()


def test_the_page_shows_the_archive_and_drops_an_unreadable_upload(tmp_path, use_db, monkeypatch):
    db = tmp_path / "pmo.duckdb"
    assert load_batch(write_batch(tmp_path / "b"), db, load_date=LOAD_DATE).status == "loaded"
    use_db(db, loads=True)
    staging = tmp_path / "tmp"
    staging.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(staging))
    at = open_data_loads(app())
    shown = " ".join(c.value for c in at.caption)
    assert "raw files of 1 load(s)" in shown and "MB" in shown
    at.file_uploader[0].upload("batch.zip", b"not a zip at all", "application/zip")
    at.run()
    assert any("cannot be read as a batch" in e.value for e in at.error), problems(at)
    assert not [p for p in staging.iterdir() if p.name.startswith("pmo-upload-")]
