"""Mapping features real exports need (CONTRACT §1, docs/mappings.md), each with a bad variant."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from pmo_metrics.findings import BatchError
from pmo_metrics.sources import read_batch

DATA = Path(__file__).parent / "data"
# Six rows of two projects over 2019–2021, the years out of order (2021, 2019, 2020, 2019, 2020,
# 2021): the first published end date is the 2019 one, the latest the 2021 one.
COMBINED = DATA / "combined_years"


def copy(src: Path, dest: Path, mapping: str | None = None, rows: str | None = None) -> Path:
    shutil.copytree(src, dest)
    if mapping is not None:
        (dest / "mapping.toml").write_text(mapping, encoding="utf-8")
    if rows is not None:
        (dest / "portfolio.csv").write_text(rows, encoding="utf-8")
    return dest


def projects(folder: Path) -> dict[str, dict]:
    batch = read_batch(folder, folder / "mapping.toml")
    try:
        return {r["project_id"]: r for r in batch.tables["projects"].data.iter_rows(named=True)}
    finally:
        batch.close()


def test_order_by_makes_first_and_latest_follow_the_dates_not_the_file():
    rows = projects(COMBINED)
    assert rows["HS-1"]["baseline_finish_date"] == dt.date(2026, 3, 31)   # 2019's, row 3
    assert rows["HS-1"]["forecast_finish_date"] == dt.date(2031, 3, 31)   # 2021's, row 2
    assert rows["HS-1"]["budget_at_completion"] == 98_000_000_000        # £98,000m, scaled
    assert rows["EC-2"]["baseline_finish_date"] == dt.date(2019, 12, 31)  # 2019's, row 5
    assert (rows["EC-2"]["forecast_finish_date"], rows["EC-2"]["_row"]) == (dt.date(2026, 12, 31), 7)


def test_without_order_by_file_order_decides(tmp_path):
    """The silent error order_by exists for: the first row in the file is taken as the baseline."""
    text = (COMBINED / "mapping.toml").read_text().replace('order_by = ["Year"], ', "")
    rows = projects(copy(COMBINED, tmp_path / "b", text))
    assert rows["HS-1"]["baseline_finish_date"] == dt.date(2031, 3, 31)
    assert rows["HS-1"]["forecast_finish_date"] == dt.date(2029, 3, 31)


def test_order_by_a_date_column_with_the_declared_formats(tmp_path):
    text = (COMBINED / "mapping.toml").read_text().replace('order_by = ["Year"]', 'order_by = ["As at"]')
    csv = (COMBINED / "portfolio.csv").read_text().splitlines()
    csv = [csv[0] + ",As at"] + [line + f",31/03/{line[:4]}" for line in csv[1:]]
    rows = projects(copy(COMBINED, tmp_path / "b", text, "\n".join(csv) + "\n"))
    assert rows["HS-1"]["baseline_finish_date"] == dt.date(2026, 3, 31)
    assert rows["HS-1"]["forecast_finish_date"] == dt.date(2031, 3, 31)


def test_an_order_value_that_is_no_date_is_an_error_naming_the_row(tmp_path):
    csv = (COMBINED / "portfolio.csv").read_text().replace("2020,EC-2", "twenty,EC-2")
    folder = copy(COMBINED, tmp_path / "b", rows=csv)
    batch = read_batch(folder, folder / "mapping.toml")
    bad = [f for f in batch.findings if f.severity == "error"]
    batch.close()
    assert [(f.rule_id, f.file, f.row, f.column, f.value) for f in bad] == [
        ("SCHEMA", "portfolio.csv", 4, "Year", "twenty")]
    assert "order_by" in bad[0].message


@pytest.mark.parametrize("change, message", [
    (('order_by = ["Year"]', 'order_by = ["Yaer"]'), "Yaer"),
    (('keep = "latest"', 'keep = "newest"'), "keep must be"),
])
def test_a_bad_order_declaration_is_refused_in_one_line(tmp_path, change, message):
    text = (COMBINED / "mapping.toml").read_text().replace(*change)
    folder = copy(COMBINED, tmp_path / "b", text)
    with pytest.raises(BatchError, match=message):
        read_batch(folder, folder / "mapping.toml")
