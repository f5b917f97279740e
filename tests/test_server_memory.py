"""The server lets go of what older database versions cached once a load publishes a new one."""
from __future__ import annotations

from pages import _cache


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
