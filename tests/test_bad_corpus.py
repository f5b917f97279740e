"""The bad-input corpus (tests/data/bad/cases.toml): every malformed extract gives the expected
findings or a one-line BatchError, never another exception, and a rejected load leaves the
database byte for byte as it was."""
from __future__ import annotations

import hashlib
import shutil
import tomllib
from datetime import date
from pathlib import Path

import pytest

from pmo_metrics.findings import BatchError
from pmo_metrics.warehouse import load_batch, validate_batch

from batches import write_batch

BAD = Path(__file__).parent / "data" / "bad"
CASES = tomllib.loads((BAD / "cases.toml").read_text(encoding="utf-8"))
LOAD_DATE = date(2025, 6, 15)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def preloaded(tmp_path_factory) -> Path:
    """A database holding the tiny valid batch, built once; each case works on a copy."""
    root = tmp_path_factory.mktemp("preloaded")
    db = root / "pmo.duckdb"
    result = load_batch(write_batch(root / "batch"), db, load_date=LOAD_DATE, archive=False)
    assert result.status == "loaded", result.report.render()
    return db


def test_every_folder_is_a_case():
    folders = {p.name for p in BAD.iterdir() if p.is_dir()}
    assert folders <= set(CASES), f"folders without an entry in cases.toml: {sorted(folders - set(CASES))}"
    assert len(CASES) >= 30


def _shown(value) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_case(name, preloaded, tmp_path):
    case = CASES[name]
    folder = BAD / name
    mapping = folder / case["mapping"] if "mapping" in case else None
    db = tmp_path / "pmo.duckdb"
    shutil.copyfile(preloaded, db)
    before = sha256(db)

    if "batch_error" in case:
        with pytest.raises(BatchError) as exc:
            validate_batch(folder, mapping, db, LOAD_DATE)
        message = str(exc.value)
        assert "\n" not in message, message
        for words in case["batch_error"]:
            assert words in message, message
        with pytest.raises(BatchError):
            load_batch(folder, db, mapping, load_date=LOAD_DATE, archive=False)
        assert sha256(db) == before
        return

    batch, report = validate_batch(folder, mapping, db, LOAD_DATE)
    shown = report.render(limit=None)
    assert report.rule_ids("error") == set(case["errors"]), shown
    assert set(case.get("warnings", [])) <= report.rule_ids("warning"), shown
    findings = report.findings()
    for want in case.get("findings", []):
        hits = [f for f in findings if f.rule_id == want["rule"]
                and all(getattr(f, k) == want[k] for k in ("row", "column", "value") if k in want)
                and want.get("message", "") in f.message]
        assert hits, f"no finding {want}:\n{shown}"
    for key, values in case.get("values", {}).items():
        table, column = key.split(".")
        got = {_shown(v) for v in batch.tables[table].data.get_column(column).to_list()}
        assert set(values) <= got, (key, got)
    for key, values in case.get("absent_values", {}).items():
        table, column = key.split(".")
        got = {_shown(v) for v in batch.tables[table].data.get_column(column).to_list()}
        assert not set(values) & got, (key, got)

    result = load_batch(folder, db, mapping, load_date=LOAD_DATE, archive=False)
    if case["errors"]:
        assert result.status == "rejected", result.message
        assert sha256(db) == before, "a rejected load changed the database"
    else:
        assert result.status == "loaded", result.message
