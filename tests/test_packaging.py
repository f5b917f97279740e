"""The product installs as a package: `pip install .` gives a `pmo-metrics` command with its SQL.

The install runs offline (`--no-deps --no-build-isolation` into a target folder, the dependencies
being those of this environment), from a copy of the sources so the checkout gets no build folders.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import pmo_metrics

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from freeze_constraints import closure, requirement_lines  # noqa: E402 — a script, not a package

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("pkg")
    src = work / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "pmo_metrics", src / "pmo_metrics", ignore=shutil.ignore_patterns("__pycache__"))
    target = work / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
                    "--no-build-isolation", "--no-compile", "--target", str(target), str(src)],
                   check=True, capture_output=True, text=True, timeout=120)
    return target


def _run_installed(target: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(target)}
    # Run from the target's parent so the checkout's own pmo_metrics cannot be imported instead.
    return subprocess.run([sys.executable, str(target / "bin" / "pmo-metrics"), *args], cwd=target.parent,
                          env=env, capture_output=True, text=True, timeout=60)


def test_console_script_help_and_version(installed):
    helped = _run_installed(installed, "--help")
    assert helped.returncode == 0, helped.stderr
    for command in ("load", "validate", "kpis", "rebuild", "config"):
        assert command in helped.stdout
    version = _run_installed(installed, "--version")
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"pmo-metrics {pmo_metrics.__version__}"


def test_installed_package_is_the_copy_and_holds_every_data_file(installed):
    where = subprocess.run([sys.executable, "-c", "import pmo_metrics; print(pmo_metrics.__file__)"],
                           cwd=installed.parent, env={**os.environ, "PYTHONPATH": str(installed)},
                           capture_output=True, text=True, check=True).stdout.strip()
    assert Path(where).resolve().is_relative_to(installed.resolve())
    package = ROOT / "pmo_metrics"
    wanted = {p.relative_to(package) for p in package.rglob("*")
              if p.is_file() and "__pycache__" not in p.parts and p.suffix in {".sql", ".mako", ".py"}}
    got = {p.relative_to(installed / "pmo_metrics") for p in (installed / "pmo_metrics").rglob("*")
           if p.is_file() and "__pycache__" not in p.parts}
    assert sum(1 for p in wanted if p.suffix == ".sql") > 50
    assert not wanted - got, f"missing from the installed package: {sorted(map(str, wanted - got))[:10]}"


def test_console_script_is_python_dash_m():
    assert PYPROJECT["project"]["scripts"]["pmo-metrics"] == "pmo_metrics.cli:main"
    from pmo_metrics.__main__ import main
    from pmo_metrics.cli import main as cli_main
    assert main is cli_main


def _by_name(lines) -> dict[str, Requirement]:
    reqs = [Requirement(line) for line in lines]
    return {canonicalize_name(r.name): r for r in reqs}


def test_requirements_txt_is_the_package_with_its_runtime_extras():
    project = PYPROJECT["project"]
    declared = _by_name(project["dependencies"] + project["optional-dependencies"]["db"])
    auth = _by_name(project["optional-dependencies"]["auth"])
    listed = _by_name(requirement_lines(ROOT / "requirements.txt"))
    # requirements.txt installs streamlit with its auth extra; the package keeps it optional.
    assert listed.pop("streamlit").extras == {"auth"} and "streamlit" in auth
    declared_specs = {n: str(r.specifier) for n, r in declared.items() if n != "streamlit"}
    assert {n: str(r.specifier) for n, r in listed.items()} == declared_specs


def test_the_dev_extra_is_requirements_dev():
    dev = [r for r in PYPROJECT["project"]["optional-dependencies"]["dev"] if not r.startswith("pmo-metrics[")]
    own = [line for line in (ROOT / "requirements-dev.txt").read_text().splitlines()
           if line.strip() and not line.startswith(("-r", "#"))]
    assert {n: str(r.specifier) for n, r in _by_name(dev).items()} == \
        {n: str(r.specifier) for n, r in _by_name(own).items()}


def test_constraints_pin_every_package_the_dev_requirements_need():
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version
    roots = [Requirement(line) for line in requirement_lines(ROOT / "requirements-dev.txt")]
    for req in roots:
        name = canonicalize_name(req.name)
        assert name in pins, f"constraints.txt does not pin {req.name}: run scripts/freeze_constraints.py"
        assert req.specifier.contains(pins[name], prereleases=True), f"{req} but constraints.txt pins {pins[name]}"
    needed = closure(roots)
    assert not set(needed) - set(pins), f"not pinned: {sorted(set(needed) - set(pins))}"
