"""What a mapping may reach: only files inside its batch folder, only allow-listed environment
variables, no database at all when it was uploaded (unless an administrator allows it), and never
a secret echoed back in a message."""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from pmo_metrics.findings import BatchError
from pmo_metrics.settings import load_settings
from pmo_metrics.sources import read_batch
from pmo_metrics.sources.policy import SourcePolicy, parse_patterns
from pmo_metrics.warehouse import load_batch, validate_batch

PROJECTS = ("project_id,project_name,portfolio,business_unit,delivery_approach,stage,start_date,"
            "baseline_finish_date,budget_at_completion\n"
            "P-1,Alpha,Digital,IT,agile,execution,2025-01-01,2025-12-31,1000\n")
SECRET_TEXT = "db.internal:5432:pmis:pmis_admin:S3cretPgPass!\n"


@pytest.fixture()
def layout(tmp_path):
    """A batch folder beside a folder of server files it must never read."""
    batch, server = tmp_path / "batch", tmp_path / "server"
    batch.mkdir()
    server.mkdir()
    (batch / "projects_export.csv").write_text(PROJECTS, encoding="utf-8")
    (server / ".pgpass").write_text(SECRET_TEXT, encoding="utf-8")
    (server / "projects.csv").write_text(PROJECTS.replace("Alpha", "S3cretPgPass!"), encoding="utf-8")
    return batch, server


def _mapping(batch: Path, path: str) -> Path:
    m = batch / "mapping.toml"
    m.write_text(f'[tables.projects]\nfrom = {path!r}\n', encoding="utf-8")
    return m


def _refused(batch: Path, mapping: Path) -> str:
    with pytest.raises(BatchError) as e:
        read_batch(batch, mapping)
    text = str(e.value)
    assert "\n" not in text
    assert "S3cret" not in text and "pmis_admin" not in text
    return text


@pytest.mark.parametrize("how", ["absolute", "dotdot", "dotdot-glob", "home"])
def test_a_mapping_path_outside_the_batch_folder_is_refused(layout, how):
    batch, server = layout
    path = {"absolute": str(server / ".pgpass"), "dotdot": "../server/.pgpass",
            "dotdot-glob": "../server/*", "home": "~/.pgpass"}[how]
    text = _refused(batch, _mapping(batch, path))
    assert "is outside the batch folder" in text and repr(path) in text


def test_a_missing_file_outside_the_folder_is_refused_the_same_way(layout):
    """Nothing tells a mapping whether a file outside its folder exists."""
    batch, server = layout
    there = _refused(batch, _mapping(batch, str(server / ".pgpass")))
    missing = _refused(batch, _mapping(batch, str(server / "nothing-here")))
    assert there.replace(".pgpass", "X") == missing.replace("nothing-here", "X")


def test_a_symlink_out_of_the_folder_is_refused_by_path_by_glob_and_by_name(layout):
    batch, server = layout
    (batch / "exports").mkdir()
    (batch / "exports" / "link.csv").symlink_to(server / ".pgpass")
    assert "is outside the batch folder" in _refused(batch, _mapping(batch, "exports/link.csv"))
    assert "(exports/link.csv) is outside" in _refused(batch, _mapping(batch, "exports/*.csv"))
    (batch / "link.csv").symlink_to(server / ".pgpass")   # in the folder itself: refused when listed
    assert "link.csv (a symlink) is outside the batch folder" in _refused(batch, _mapping(batch, "projects_export.csv"))
    (batch / "mapping.toml").unlink()
    (batch / "link.csv").unlink()
    (batch / "projects.csv").symlink_to(server / "projects.csv")  # picked up by its name, no mapping
    with pytest.raises(BatchError, match=r"projects.csv \(a symlink\) is outside the batch folder") as e:
        read_batch(batch)
    assert "S3cret" not in str(e.value)


def test_paths_inside_the_folder_still_work(layout):
    batch, _ = layout
    (batch / "sub").mkdir()
    for path in ("projects_export.csv", "sub/../projects_export.csv", str(batch / "projects_export.csv"),
                 "projects_*.csv"):
        got = read_batch(batch, _mapping(batch, path)).tables["projects"].data
        assert got.get_column("project_id").to_list() == ["P-1"], path


def test_a_sqlite_attach_outside_the_folder_is_refused(layout, monkeypatch):
    batch, server = layout
    sqlite3.connect(batch / "pmis.sqlite").close()
    sqlite3.connect(server / "hr.sqlite").close()
    monkeypatch.setenv("PMIS_DB_URL", f"sqlite:///{batch / 'pmis.sqlite'}")
    m = batch / "mapping.toml"
    m.write_text('[sources.pmis]\nkind = "database"\nurl = "${PMIS_DB_URL}"\nattach = { hr = "../server/hr.sqlite" }\n'
                 '[tables.projects]\nfrom = "pmis"\ntable = "proj"\n', encoding="utf-8")
    assert "attach hr is outside the batch folder" in _refused(batch, m)


# -- environment variables --------------------------------------------------------------------------

def _db_mapping(batch: Path, url: str) -> Path:
    m = batch / "mapping.toml"
    m.write_text(f'[sources.pmis]\nkind = "database"\nurl = "{url}"\n'
                 '[tables.projects]\nfrom = "pmis"\ntable = "proj"\n', encoding="utf-8")
    return m


def test_only_allow_listed_variables_expand(layout, monkeypatch):
    batch, _ = layout
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "AKIA-very-secret")
    text = _refused(batch, _db_mapping(batch, "sqlite:///${AWS_SECRET_ACCESS_KEY}.db"))
    assert "environment variable AWS_SECRET_ACCESS_KEY is not one a mapping may use" in text
    assert "AKIA" not in text
    # the administrator's list decides
    monkeypatch.setenv("PMO_MAPPING_VARIABLES", "AWS_SECRET_*")
    text = _refused(batch, _db_mapping(batch, "sqlite:///${AWS_SECRET_ACCESS_KEY}.db"))
    assert "cannot connect" in text and "AKIA" not in text


def test_parse_patterns():
    assert parse_patterns(" A_URL, *_DB_URL  B ") == ("A_URL", "*_DB_URL", "B")
    assert SourcePolicy(("*_DB_URL",)).allows_variable("PMIS_DB_URL")
    assert not SourcePolicy(("*_DB_URL",)).allows_variable("PMIS_DB_URL_X")
    assert not SourcePolicy(()).allows_variable("ANY")


def test_a_connection_error_masks_expanded_values(layout, monkeypatch):
    batch, _ = layout
    monkeypatch.setenv("PMIS_DB_URL", "sqlite:////nonexistent/aws-key-AKIAIOSFODNN7EXAMPLE.db")
    text = _refused(batch, _db_mapping(batch, "${PMIS_DB_URL}"))
    assert "cannot connect to ${PMIS_DB_URL}" in text
    assert "AKIA" not in text and "nonexistent" not in text
    monkeypatch.setenv("PMIS_DB_PASSWORD", "hunter2-Passw0rd")
    text = _refused(batch, _db_mapping(batch, "postgresql+psycopg://pmo:${PMIS_DB_PASSWORD}@127.0.0.1:1/pmis"))
    assert "hunter2" not in text and "${PMIS_DB_PASSWORD}" in text


# -- uploaded mappings ------------------------------------------------------------------------------

def test_an_uploaded_mapping_may_not_read_a_database_unless_allowed(layout, monkeypatch, tmp_path):
    batch, _ = layout
    src = sqlite3.connect(batch / "pmis.sqlite")
    src.execute("CREATE TABLE proj (project_id, project_name, portfolio, business_unit, delivery_approach, "
                "stage, start_date, baseline_finish_date, budget_at_completion)")
    src.execute("INSERT INTO proj VALUES ('P-1', 'A', 'D', 'IT', 'agile', 'execution', '2025-01-01', "
                "'2025-12-31', 1000)")
    src.commit()
    src.close()
    monkeypatch.setenv("PMIS_DB_URL", f"sqlite:///{batch / 'pmis.sqlite'}")
    mapping = _db_mapping(batch, "${PMIS_DB_URL}")
    upload = SourcePolicy.for_upload(load_settings())
    assert not upload.database_sources
    with pytest.raises(BatchError, match=r"\[sources.pmis\] reads a database; a mapping uploaded on the "
                                         r"Data loads page may not"):
        validate_batch(batch, mapping, None, policy=upload)
    db = tmp_path / "pmo.duckdb"
    with pytest.raises(BatchError, match="may not"):
        load_batch(batch, db, mapping, policy=upload)
    assert not db.exists()
    # an administrator may allow it; the variables' allow-list still applies
    allowed = SourcePolicy.for_upload(load_settings(upload_database_sources=True))
    _, report = validate_batch(batch, mapping, None, policy=allowed)
    assert report.rows_read == {"projects": 1}
    monkeypatch.setenv("PMO_MAPPING_VARIABLES", "NOTHING")
    with pytest.raises(BatchError, match="PMIS_DB_URL is not one a mapping may use"):
        validate_batch(batch, mapping, None, policy=SourcePolicy.for_upload(load_settings(upload_database_sources=True)))


def test_settings_read_the_new_switches_from_the_environment():
    s = load_settings({"PMO_UPLOAD_DATABASE_SOURCES": "yes", "PMO_MAPPING_VARIABLES": "A B"})
    assert s.upload_database_sources is True and SourcePolicy.for_upload(s).variables == ("A", "B")
    assert load_settings({}).upload_database_sources is False
    assert os.environ.get("PMO_UPLOAD_DATABASE_SOURCES") is None
