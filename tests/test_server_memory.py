"""One server over time: it lets go of what older database versions cached once a load publishes a
new one, its garbage collector walks only what runs allocate, and no script is rewritten for
Streamlit's "magic" on every run."""
from __future__ import annotations

import ast
import gc
import tomllib
import weakref
from pathlib import Path

import pytest

from pages import _cache, _heap

ROOT = Path(__file__).resolve().parents[1]


class _Store:
    def __init__(self):
        self.cleared = 0

    def clear(self):
        self.cleared += 1


def test_a_new_version_empties_every_cache_and_the_same_version_none(monkeypatch):
    store = _Store()
    monkeypatch.setattr(_cache, "_RUNNERS", [store])
    _cache._latest_tokens.clear()
    _cache.forget_old_versions("/db/pmo.duckdb", "v1")
    _cache.forget_old_versions("/db/pmo.duckdb", "v1")
    assert store.cleared == 0                     # the first version seen, then the same one: kept
    _cache.forget_old_versions("/db/pmo.duckdb", "v2")
    assert store.cleared == 1                     # a load published: the old results go
    _cache.forget_old_versions("/other/pmo.duckdb", "w1")
    assert store.cleared == 1                     # another database's first version clears nothing
    _cache._latest_tokens.clear()


def test_every_cache_the_pages_use_is_registered_for_clearing():
    run = _cache._runner("registered?", 3)
    assert run in _cache._RUNNERS


# -- the garbage collector ---------------------------------------------------------------------------

@pytest.fixture()
def heap(monkeypatch):
    """pages._heap as a server that has not frozen yet; the test process's heap thawed afterwards."""
    monkeypatch.setattr(_heap, "_frozen_at", None)
    monkeypatch.setattr(_heap, "_gap", _heap.FIRST_GAP_SECONDS)
    yield _heap
    gc.unfreeze()


def test_the_heap_is_frozen_at_once_then_at_gaps_doubling_up_to_the_limit(heap):
    times = [t / 4 for t in range(4 * 300)]                     # a run every quarter second, 5 minutes
    frozen = [t for t in times if heap.freeze_if_due(t)]
    assert frozen[:7] == [0, 1, 3, 7, 15, 31, 63]              # gaps of 1, 2, 4, … seconds
    gaps = [b - a for a, b in zip(frozen, frozen[1:])]
    assert max(gaps) == heap.REFREEZE_SECONDS and gaps[-1] == heap.REFREEZE_SECONDS
    assert gc.get_freeze_count() > 0                            # the collections after a run skip these


class _Node:
    pass


def test_an_object_frozen_alive_is_freed_at_the_next_freeze_once_it_is_garbage(heap):
    node = _Node()
    node.cycle = node                                            # freed only by the collector
    alive = weakref.ref(node)
    assert heap.freeze_if_due(0.0)
    del node
    gc.collect()
    assert alive() is not None                                   # frozen: the collection after a run skips it
    assert not heap.freeze_if_due(heap.FIRST_GAP_SECONDS / 2)
    assert heap.freeze_if_due(heap.FIRST_GAP_SECONDS)
    assert alive() is None                                       # thawed and collected: never a lasting leak


# -- no magic ----------------------------------------------------------------------------------------

def test_scripts_are_not_rewritten_for_magic():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["runner"]["magicEnabled"] is False


def _shown_by_magic(tree: ast.Module) -> list[int]:
    """Lines of statements Streamlit's magic would have written to the page: a bare expression that
    is not a call, an await or a docstring."""
    lines = []
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        for i, stmt in enumerate(body if isinstance(body, list) else []):   # a lambda's body is one expression
            if not isinstance(stmt, ast.Expr) or isinstance(stmt.value, (ast.Call, ast.Await, ast.Yield)):
                continue
            docstring = (i == 0 and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)
                         and isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)))
            if not docstring:
                lines.append(stmt.lineno)
    return lines


def test_no_page_leaves_a_value_for_magic_to_show():
    scripts = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]
    found = {p.name: lines for p in scripts if (lines := _shown_by_magic(ast.parse(p.read_text(encoding="utf-8"))))}
    assert not found, f"bare expressions that show nothing with magic off: {found}"
    assert _shown_by_magic(ast.parse('"""doc"""\nst.write(1)\nx = 1\nx\n')) == [4]   # the check sees one
