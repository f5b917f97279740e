"""One home per rule: each threshold the rules and KPIs share is a named constant of
pmo_metrics/contract.py, bound into SQL as a parameter and read by the pages' wording, never a literal
spelled again in the library, its SQL, the pages or the oracle; every query runs through
pmo_metrics.queries; no module grows past 500 lines without saying why at its top."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from pmo_metrics import contract
from pmo_metrics.marts import SQL_DIR, sql_params

ROOT = Path(__file__).resolve().parents[2]
# The loader's readers and the demo generator describe extracts, not rules; the contract is the home.
NOT_SEARCHED = ("pmo_metrics/contract.py", "pmo_metrics/demo.py", "pmo_metrics/sources/")

# A copy of a rule's literal, in Python: the number beside the words it goes with.
PYTHON_COPIES = {
    "stale report days": re.compile(r"(?<![\w.])35(?![\w.])"),
    "high-risk score": re.compile(r"(≥|>=)\s*15\b|\b15\b.*\b(risk|impact)|\b(risk|impact)\b.*[^\w.]15\b"),
    "benefit on track": re.compile(r"\b0?\.8\b.*\b(benefit|progress)|\b(benefit|progress)\b.*[^\w.]0?\.8\b|\b80 ?%"),
    "FIN-BAC tolerance": re.compile(r"\b0?\.05\b.*\b(bac|budget|planned)|\b(bac|budget|planned)\b.*\b0?\.05\b|\b5 ?%",
                                    re.I),
    "day hours limit": re.compile(r"\b12 hours\b|hours.*>\s*12\b"),
    "RAG order": re.compile(r"""['"](red|green)['"],\s*['"]amber['"],\s*['"](green|red)['"]"""
                            r"""|['"]green['"]:\s*3\b|['"]red['"]:\s*1\b"""),
    "excluded stages": re.compile(r"""['"]idea['"],\s*['"]cancelled['"]"""),
}
# In SQL any of these numbers is a copy: no query has another use for them.
SQL_COPIES = {
    "a threshold literal": re.compile(r"(?<![\w.$])(35|15|0?\.8|0?\.05)(?![\w.])"),
    "RAG order": re.compile(r"'(green|amber|red)'\s+then\s+\d"),
    "excluded stages": re.compile(r"'idea',\s*'cancelled'"),
}


def searched(suffix: str) -> list[Path]:
    places = [ROOT / "pmo_metrics", ROOT / "pages", ROOT / "app.py", ROOT / "tests" / "oracle.py"]
    files = []
    for place in places:
        files += [place] if place.is_file() else sorted(place.rglob(f"*{suffix}"))
    return [f for f in files if f.suffix == suffix and not f.relative_to(ROOT).as_posix().startswith(NOT_SEARCHED)]


def copies(patterns: dict[str, re.Pattern], text: str) -> list[str]:
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        code = line.split("--")[0] if patterns is SQL_COPIES else line
        found += [f"line {number}: {what}: {line.strip()}" for what, p in patterns.items() if p.search(code)]
    return found


def test_no_threshold_is_spelled_twice():
    found = []
    for path in searched(".py"):
        found += [f"{path.relative_to(ROOT)} {c}" for c in copies(PYTHON_COPIES, path.read_text(encoding="utf-8"))]
    for path in searched(".sql"):
        found += [f"{path.relative_to(ROOT)} {c}" for c in copies(SQL_COPIES, path.read_text(encoding="utf-8"))]
    assert found == []


@pytest.mark.parametrize("patterns, line", [
    (PYTHON_COPIES, '    st.markdown("**New high risks** (probability × impact ≥ 15)")'),
    (PYTHON_COPIES, '    fell = b_now[(b_now["previous_progress"] >= 0.8) & (b_now["progress"] < 0.8)]'),
    (PYTHON_COPIES, '"Benefits at risk (progress below 80 % of plan, or no actual yet)"'),
    (PYTHON_COPIES, 'empty_message=f"Every active project reported within 35 days of the end of {m}."'),
    (PYTHON_COPIES, '"differs from budget at completion {} by more than 5 %"'),
    (PYTHON_COPIES, '    rank = {"green": 3, "amber": 2, "red": 1}'),
    (PYTHON_COPIES, '    for rag in ("red", "amber", "green", "none"):'),
    (SQL_COPIES, "    where r.probability * r.impact >= 15"),
    (SQL_COPIES, "        report_date is null or date_diff('day', report_date, month_end) > 35 as is_stale"),
    (SQL_COPIES, "        when (case f.overall_rag when 'green' then 3 when 'amber' then 2 else 1 end)"),
    (SQL_COPIES, "        coalesce(p.stage not in ('idea', 'cancelled'), false) as is_selectable"),
])
def test_the_search_finds_the_copies_this_layout_removed(patterns, line):
    assert copies(patterns, line)


def test_every_bound_constant_is_used_and_none_is_a_literal_instead():
    used = set()
    for path in SQL_DIR.rglob("*.sql"):
        used |= sql_params(path.read_text(encoding="utf-8"))
    assert set(contract.SQL_CONSTANTS) <= used


# The modules that may run SQL: the one helper, the mart builder and the connection plumbing, the
# loader (which writes the database: its readers, its rules and their findings, run inside DuckDB
# on the batch), the oracle, which reads the tables its own way on purpose, and
# the app-state store's modules, which speak SQLAlchemy Core to their own store, not the warehouse.
RUNS_SQL = ("pmo_metrics/queries.py", "pmo_metrics/marts.py", "pmo_metrics/db.py", "pmo_metrics/warehouse.py",
            "pmo_metrics/sources/", "pmo_metrics/schemas/", "pmo_metrics/findings.py", "tests/oracle.py", "pmo_metrics/appstate/", "pmo_metrics/distribution/store.py")


def test_every_query_runs_through_the_one_helper():
    found = []
    for path in searched(".py"):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(RUNS_SQL):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in ("execute", "executemany", "sql", "query"):
                found.append(f"{rel}:{node.lineno}: .{node.func.attr}()")
    assert found == []


# Modules the loader's rewrite owns keep their own sizes.
LOADER_MODULES = ("pmo_metrics/sources/", "pmo_metrics/demo.py", "pmo_metrics/warehouse.py", "pmo_metrics/cli.py",
                  "pmo_metrics/schemas/", "pmo_metrics/findings.py")


def test_modules_are_small_or_say_why():
    long = []
    for path in searched(".py"):
        rel = path.relative_to(ROOT).as_posix()
        lines = path.read_text(encoding="utf-8").count("\n")
        if rel.startswith(LOADER_MODULES) or lines <= 500:
            continue
        docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        if "500 lines" not in docstring:
            long.append(f"{rel}: {lines} lines")
    assert long == []
