"""One configuration for app and CLI: every setting from the environment, secrets.toml or a config file,
the CLI's --db defaulting to the database the app serves, and `config` saying where each value came from."""
from __future__ import annotations

import io
import json
from argparse import Namespace

import pytest

from pmo_metrics import settings
from pmo_metrics.cli import main
from pmo_metrics.config_cli import run_config

from batches import write_batch


def _config(environ, secrets_files=(), fmt="json"):
    out, err = io.StringIO(), io.StringIO()
    code = run_config(Namespace(format=fmt), environ=environ, secrets_files=secrets_files, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_cli_db_defaults_to_pmo_db_like_the_app(tmp_path, monkeypatch, capsys):
    batch = write_batch(tmp_path / "batch")
    target = tmp_path / "served" / "pmo.duckdb"
    target.parent.mkdir()
    monkeypatch.chdir(tmp_path)                     # so a stray data/pmo.duckdb cannot be the one written
    monkeypatch.setenv("PMO_DB", str(target))
    assert main(["load", str(batch), "--quiet"]) == 0
    assert target.is_file() and not (tmp_path / "data").exists()
    capsys.readouterr()
    assert main(["months"]) == 0
    assert "2025-06" in capsys.readouterr().out.split()
    assert settings.load_settings().db_path == target   # the path the app opens
    # An explicit --db still wins over the setting.
    assert main(["months", "--db", str(tmp_path / "absent.duckdb")]) == 2
    assert "absent.duckdb" in capsys.readouterr().err


def test_cli_refuses_a_malformed_setting_naming_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PMO_MAX_UPLOAD_MB", "lots")
    assert main(["months"]) == 2
    err = capsys.readouterr().err
    assert "PMO_MAX_UPLOAD_MB" in err and "whole number" in err and "Traceback" not in err


def test_each_value_says_where_it_came_from(tmp_path):
    config = tmp_path / "pmo.toml"
    config.write_text('max_upload_mb = 50\ncurrency_symbol = "£"\ntable_row_limit = 10\n', encoding="utf-8")
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[settings]\napp_state_url = "postgresql+psycopg://pmo:Sup3r-Secret@db.internal/pmo"\n'
                       'table_row_limit = 20\n[data_loads]\npassword = "hunter2"\n', encoding="utf-8")
    environ = {"PMO_CONFIG": str(config), "PMO_DB": "/srv/pmo/pmo.duckdb", "PMO_TABLE_ROW_LIMIT": "30"}
    code, out, err = _config(environ, [secrets])
    assert code == 0, err
    rows = {r["setting"]: r for r in json.loads(out)}
    assert set(rows) == {s.name for s in settings.SETTINGS}
    assert rows["database_path"]["value"] == "/srv/pmo/pmo.duckdb"
    assert rows["database_path"]["from"] == "environment PMO_DB"
    assert (rows["max_upload_mb"]["value"], rows["max_upload_mb"]["from"]) == ("50", f"config file {config}")
    assert rows["currency_symbol"]["value"] == "£"
    assert rows["table_row_limit"]["value"] == "30"                  # environment > secrets.toml > config file
    assert rows["app_state_url"]["from"] == f"secrets.toml {secrets}"
    assert rows["app_state_url"]["value"] == "postgresql+psycopg://pmo:***@db.internal/pmo"
    assert rows["smtp_host"]["from"] == "default"
    assert "Sup3r-Secret" not in out and "hunter2" not in out
    # The app reads the same values the same way.
    s = settings.load_settings(environ, secrets_files=[secrets])
    assert (s.max_upload_mb, s.table_row_limit, s.store_url) == (50, 30, "postgresql+psycopg://pmo:Sup3r-Secret@db.internal/pmo")
    code, table, _ = _config(environ, [secrets], fmt="table")
    assert code == 0 and "Sup3r-Secret" not in table
    assert any(line.split()[:2] == ["max_upload_mb", "50"] and "config file" in line for line in table.splitlines())


@pytest.mark.parametrize("config_text, secrets_text, environ, named", [
    ("", "", {"PMO_SEND_ATTEMPTS": "twice"}, "PMO_SEND_ATTEMPTS"),
    ("", "", {"PMO_QUARANTINE_UPLOADS": "perhaps"}, "PMO_QUARANTINE_UPLOADS"),
    ("max_upload_mb = -5\n", "", {}, "max_upload_mb"),
    ('build_demo_when_empty = "sometimes"\n', "", {}, "build_demo_when_empty"),
    ("cache_ttl_seconds = 1.5\n", "", {}, "cache_ttl_seconds"),
    ("max_upload_mbs = 5\n", "", {}, "max_upload_mbs"),
    ("max_upload_mb = \n", "", {}, "cannot be read as TOML"),
    ("", "[settings]\ndemo_seed = true\n", {}, "demo_seed"),
    ("", "[settings]\nno_such_setting = 1\n", {}, "no_such_setting"),
])
def test_a_bad_value_is_refused_naming_the_variable(tmp_path, config_text, secrets_text, environ, named):
    config, secrets = tmp_path / "pmo.toml", tmp_path / "secrets.toml"
    config.write_text(config_text, encoding="utf-8")
    secrets.write_text(secrets_text, encoding="utf-8")
    environ = {"PMO_CONFIG": str(config), **environ}
    code, out, err = _config(environ, [secrets])
    assert code == 2 and out == ""
    assert named in err and err.count("\n") == 1
    with pytest.raises(ValueError, match=named):
        settings.load_settings(environ, secrets_files=[secrets])


def test_an_empty_store_url_says_which_file_it_means(tmp_path):
    code, out, _ = _config({"PMO_DB": str(tmp_path / "w.duckdb")})
    row = next(r for r in json.loads(out) if r["setting"] == "app_state_url")
    assert code == 0 and row["value"] == f"(empty: sqlite:///{tmp_path / 'appstate.sqlite'})"


def test_a_missing_config_file_is_an_error():
    code, _, err = _config({"PMO_CONFIG": "/nonexistent/pmo.toml"})
    assert code == 2 and "PMO_CONFIG" in err and "/nonexistent/pmo.toml" in err


def test_urls_lose_their_passwords_when_shown():
    assert settings.masked("postgresql+psycopg://u:pa@ss@h/db") == "postgresql+psycopg://u:***@h/db"
    assert settings.masked("https://pmo.example.org/x?y=1") == "https://pmo.example.org/x?y=1"
    assert settings.masked(8) == "8"
