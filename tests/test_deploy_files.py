"""docs/deploy.md and the files in deploy/ are one thing: the blocks the guide shows are the files, the
systemd units pass `systemd-analyze verify`, and the configuration it shows is read as it says.

The nginx file is run for real by tests/e2e/test_scale_out.py.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pmo_metrics import settings

ROOT = Path(__file__).resolve().parents[1]
GUIDE = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
UNITS = sorted((ROOT / "deploy" / "systemd").iterdir())
VENV_BIN = "/opt/pmo/.venv/bin/"


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```$", GUIDE, re.M | re.S)


@pytest.mark.parametrize("lang, path", [("ini", "deploy/systemd/pmo-dashboard@.service"),
                                        ("nginx", "deploy/nginx/pmo.conf")])
def test_the_guide_shows_the_files_that_are_run(lang, path):
    assert (ROOT / path).read_text(encoding="utf-8") in _blocks(lang), f"docs/deploy.md's {lang} block is not {path}"


def test_every_file_in_deploy_is_named_in_the_guide():
    for path in (ROOT / "deploy").rglob("*"):
        if path.is_file():
            assert path.name.split(".")[0] in GUIDE, f"docs/deploy.md does not mention {path.relative_to(ROOT)}"


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_systemd_units_verify(unit, tmp_path):
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing (apt-get install systemd; .ci/run does)"
    # The venv's commands, as §1 installs them, stand in by executables of this machine.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in re.findall(re.escape(VENV_BIN) + r"([\w-]+)", unit.read_text(encoding="utf-8")):
        (bin_dir / name).symlink_to(shutil.which("true"))
    text = unit.read_text(encoding="utf-8").replace(VENV_BIN, f"{bin_dir}/")
    rendered = tmp_path / unit.name
    rendered.write_text(text, encoding="utf-8")
    if unit.suffix in (".timer", ".path"):      # the unit it starts must be there beside it
        partner = unit.with_suffix(".service")
        (tmp_path / partner.name).write_text(partner.read_text(encoding="utf-8").replace(VENV_BIN, f"{bin_dir}/"))
    done = subprocess.run([analyze, "verify", "--man=no", str(rendered)], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "SYSTEMD_LOG_LEVEL": "warning"}, cwd=tmp_path)
    problems = [l for l in (done.stdout + done.stderr).splitlines() if unit.stem.split("@")[0] in l or "rror" in l]
    assert done.returncode == 0 and not problems, done.stdout + done.stderr


def test_the_dashboard_unit_runs_serve_py_as_the_scale_out_test_does():
    unit = (ROOT / "deploy" / "systemd" / "pmo-dashboard@.service").read_text(encoding="utf-8")
    start = re.search(r"^ExecStart=(.*?)(?<!\\)$", unit, re.M | re.S).group(1).replace("\\\n", " ")
    args = start.split()
    assert args[:3] == [f"{VENV_BIN}streamlit", "run", "serve.py"] and (ROOT / "serve.py").is_file()
    assert args[args.index("--server.port") + 1] == "%i"
    test = (ROOT / "tests" / "e2e" / "test_scale_out.py").read_text(encoding="utf-8")
    assert '"streamlit", "run", "serve.py"' in test and "deploy\" / \"nginx\" / \"pmo.conf\"" in test


def test_the_configuration_the_guide_shows_is_read_as_it_says(tmp_path):
    toml_blocks = _blocks("toml")
    config = next(b for b in toml_blocks if "database_path" in b)
    secrets = next(b for b in toml_blocks if "[settings]" in b)
    (tmp_path / "pmo.toml").write_text(config, encoding="utf-8")
    (tmp_path / "secrets.toml").write_text(secrets, encoding="utf-8")
    s, sources = settings.resolve_settings({"PMO_CONFIG": str(tmp_path / "pmo.toml")},
                                           secrets_files=[tmp_path / "secrets.toml"])
    assert s.database_path == "/srv/pmo/data/pmo.duckdb" and s.log_format == "json"
    assert s.build_demo_when_empty is False
    assert s.store_url.startswith("postgresql+psycopg://") and sources["app_state_url"].startswith("secrets.toml")
    env = next(b for b in _blocks("bash") if b.startswith("PMO_CONFIG="))
    assert env.strip() == "PMO_CONFIG=/etc/pmo/pmo.toml"


def test_ci_installs_what_the_deployment_tests_need_and_the_pinned_versions():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    for package in ("nginx", "systemd", "openssl", "postgresql", "chromium"):
        assert f"need_apt+=({package})" in ci, f".ci/run does not install {package} when it is missing"
    assert "-r requirements-dev.txt -c constraints.txt" in ci
