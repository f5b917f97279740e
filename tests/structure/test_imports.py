"""The library's import graph: importing any of it never imports streamlit; no module imports
itself back through others; imports sit at the top of a module unless a comment says why."""
from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import pmo_metrics

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "pmo_metrics"
# The loader's modules are kept as they are by this layout's owners; the rules below hold for the rest.
LOADER = ("pmo_metrics.sources", "pmo_metrics.schemas", "pmo_metrics.warehouse", "pmo_metrics.findings",
          "pmo_metrics.demo", "pmo_metrics.cli")


def modules() -> dict[str, Path]:
    found = {}
    for info in pkgutil.walk_packages(pmo_metrics.__path__, "pmo_metrics."):
        path = PACKAGE.joinpath(*info.name.split(".")[1:])
        found[info.name] = path / "__init__.py" if info.ispkg else path.with_suffix(".py")
    found["pmo_metrics"] = PACKAGE / "__init__.py"
    return found


def test_the_library_never_imports_streamlit():
    code = ("import importlib, pkgutil, sys, pmo_metrics\n"
            "for m in pkgutil.walk_packages(pmo_metrics.__path__, 'pmo_metrics.'):\n"
            "    importlib.import_module(m.name)\n"
            "print(len(sys.modules)); assert 'streamlit' not in sys.modules, 'streamlit was imported'\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def _imported(name: str, path: Path, known: set[str]) -> set[str]:
    """The package modules `name` imports, at its top or inside a function (an import put off
    until a call is still a dependency: kpis and maturity once imported each other that way)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name in known}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([node.module] if node.module else []))
            # `from package import module` imports the module; `from module import name`, the module
            submodules = {f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in known}
            out |= submodules
            if base in known and len(submodules) < len(node.names):
                out.add(base)
    return out - {name}


def test_no_import_cycles():
    found = modules()
    graph = {name: _imported(name, path, set(found)) for name, path in found.items()}
    cycles = []

    def visit(node: str, trail: list[str]) -> None:
        for nxt in graph[node]:
            if nxt in trail:
                cycles.append(trail[trail.index(nxt):] + [nxt])
            elif nxt not in done:
                visit(nxt, trail + [nxt])
        done.add(node)

    done: set[str] = set()
    for start in graph:
        if start not in done:
            visit(start, [start])
    # The loader's readers and its database source import each other (SQLAlchemy is optional and
    # read only when a mapping asks for a database); that package is rewritten on its own.
    assert [cycle for cycle in cycles if not all(m.startswith(LOADER) for m in cycle)] == []


def test_imports_inside_functions_say_why():
    unexplained = []
    for name, path in modules().items():
        if name.startswith(LOADER):
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for inner in ast.walk(node):
                    if isinstance(inner, (ast.Import, ast.ImportFrom)):
                        here, above = lines[inner.lineno - 1], lines[inner.lineno - 2] if inner.lineno > 1 else ""
                        if "#" not in here and not above.strip().startswith("#"):
                            unexplained.append(f"{name}:{inner.lineno}: {here.strip()}")
    assert unexplained == []


def test_the_graph_reader_sees_imports():
    found = modules()
    assert "pmo_metrics.kpis" in _imported("pmo_metrics.lineage", found["pmo_metrics.lineage"], set(found))
    assert "pmo_metrics.views" in _imported("pmo_metrics.views.finance", found["pmo_metrics.views.finance"],
                                            set(found))


def test_validating_a_clean_csv_batch_loads_neither_pandas_nor_polars(tmp_path):
    """The loader reads, types and checks in DuckDB: the frame libraries (half a second of CPU to
    import) load only for what needs them — a cell for the lenient parsers, a workbook, a page;
    nor Arrow (0.25 s), nor numpy (0.1-0.2 s, which DuckDB's create_function imports): look-alikes'
    NFKC is Python's own, on the texts fetched, with no function registered."""
    code = ("import sys\n"
            "sys.path.insert(0, 'tests')\n"
            "from pathlib import Path\n"
            "from batches import tiny_tables, write_batch\n"
            "from pmo_metrics.warehouse import validate_batch\n"
            f"batch = write_batch(Path({str(tmp_path)!r}) / 'b', tiny_tables())\n"
            "ok, report = validate_batch(batch, db_path=None)\n"
            "assert ok, [f for f in report.findings() if f.severity == 'error'][:3]\n"
            "print(sorted(m for m in ('pandas', 'polars', 'pyarrow', 'numpy') if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
