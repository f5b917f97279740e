"""`python -m pmo_metrics kpis` prints, byte for byte, what it printed before the reading side was
reorganised, for every month of the seeded demo (and one before and one after it), filtered and not,
as JSON and as the table.

The expected outputs (tests/data/kpis_output.json) were captured from the command line of the
product as it was before that change (commit c2076c9), on the same seeded demo the tests load
(conftest.demo_warehouse). They change only when a formula changes on purpose; then regenerate them
with `python tests/kpis/test_kpis_output.py --write DB`, and say why in the commit.

One allowance, and only one: a JSON number may differ in its last binary digit. DuckDB sums the
scores of a mean in whatever order its threads finish, so the maturity score's last bit can differ
between two runs of the same query on the same database (before the change as after it); every key,
its order, every count, every empty figure and every printed table must match exactly.
"""
from __future__ import annotations

import contextlib
import io
import json
import math
import sys
from pathlib import Path


from pmo_metrics.cli import main
from pmo_metrics.filters import month_add, months_between

EXPECTED = Path(__file__).resolve().parents[1] / "data" / "kpis_output.json"
FIRST_MONTH = "2024-04"        # the demo's first month with data
# Filtered variants: one or several portfolios, a program, a business unit, an objective, a
# department, and all of them together.
VARIANTS = [
    ["--portfolio", "Customer Experience"],
    ["--portfolio", "Customer Experience", "--portfolio", "Regulatory & Risk"],
    ["--program", "Data Platform"],
    ["--business-unit", "Retail"],
    ["--objective", "SO-02"],
    ["--department", "Engineering"],
    ["--department", "Engineering", "--portfolio", "Digital Transformation", "--business-unit", "Logistics"],
]


def cases(last_month: str) -> list[list[str]]:
    """The argument lists compared: every month as JSON (one before and one after the data too),
    every filter variant at three months, and the table format."""
    months = [month_add(FIRST_MONTH, -3)] + months_between(FIRST_MONTH, last_month) + [month_add(last_month, 6)]
    out = [["--as-of", m, "--format", "json"] for m in months]
    for variant in VARIANTS:
        for m in (month_add(last_month, -16), month_add(last_month, -8), last_month):
            out.append(["--as-of", m, "--format", "json", *variant])
    out.append(["--format", "json"])
    out.append(["--format", "table"])
    out.append(["--format", "table", *VARIANTS[-1]])
    return out


def run(db: Path, args: list[str]) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["kpis", "--db", str(db), "--quiet", *args])
    assert code == 0, args
    return out.getvalue()


def same_output(got: str, wanted: str) -> bool:
    """The same text; for JSON, the same keys in the same order and the same values (a float to its
    last binary digit or so — see the module docstring)."""
    if got == wanted or not wanted.startswith("{"):
        return got == wanted
    a, b = json.loads(got), json.loads(wanted)
    if list(a) != list(b):
        return False
    for k in b:
        x, y = a[k], b[k]
        if isinstance(y, float) and isinstance(x, float):
            if not math.isclose(x, y, rel_tol=1e-15, abs_tol=0.0):
                return False
        elif x != y or type(x) is not type(y):
            return False
    return True


def test_kpis_output_is_unchanged(demo_warehouse):
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    assert expected["last_month"] == demo_warehouse.as_of
    wanted = {json.dumps(c["args"]): c["stdout"] for c in expected["cases"]}
    assert set(wanted) == {json.dumps(args) for args in cases(demo_warehouse.as_of)}
    changed = [key for key, text in wanted.items() if not same_output(run(demo_warehouse.db, json.loads(key)), text)]
    assert changed == []


def test_the_comparison_can_fail():
    wanted = '{\n  "as_of": "2025-03",\n  "cpi": 0.9782504054858232,\n  "active_projects": 21\n}'
    assert same_output(wanted.replace("0.9782504054858232", "0.9782504054858233"), wanted)
    assert not same_output(wanted.replace("0.9782504054858232", "0.97825040548583"), wanted)
    assert not same_output(wanted.replace("21", "21.0"), wanted)
    assert not same_output(wanted.replace('"cpi"', '"spi"'), wanted)
    assert not same_output("KPIs as of 2025-03\n  Active  21", "KPIs as of 2025-03\n  Active  22")


if __name__ == "__main__":   # python tests/kpis/test_kpis_output.py --write DB [LAST_MONTH]
    if len(sys.argv) < 3 or sys.argv[1] != "--write":
        sys.exit(__doc__)
    db, last = Path(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else "2026-10"
    EXPECTED.write_text(json.dumps({"last_month": last, "cases": [
        {"args": args, "stdout": run(db, args)} for args in cases(last)]}, indent=1, ensure_ascii=False) + "\n",
        encoding="utf-8")
