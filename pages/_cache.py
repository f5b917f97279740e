"""Library calls cached per published database version, and what the database offers a run.

`cached(fn)` turns a library function `fn(con, *args)` into a function of `*args` that runs on a
cursor of this run's database version and keeps its result, keyed by the version, the function and
its arguments: a load publishes a new file, the version changes, and every result is computed afresh
on the next click without a restart. Only functions that went through `cached` can be called this
way, and the page names each one where it calls it (`cached(views.finance.by_group)(filters, by)`),
so no list of them is kept by hand.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable

import streamlit as st

from pmo_metrics import coverage, kpis
from pmo_metrics.db import DatabaseChanged, DatabaseError, Warehouse, database_version
from pmo_metrics.filters import Filters
from pmo_metrics.marts import MartsMissing
from pmo_metrics.settings import Settings
from pmo_metrics.views import quality

from pages._context import SETTINGS, Context, context, set_context


@st.cache_resource(show_spinner=False)
def warehouse(path: str) -> Warehouse:
    """One reader per database path for the whole server; it reopens by itself after a load."""
    return Warehouse(path)


@st.cache_resource(show_spinner=False)
def app_state(url: str):
    """One connection pool to the app-state store per URL for the whole server (migrated on first use)."""
    # SQLAlchemy and Alembic load only on the pages that use the store
    from pmo_metrics.appstate import AppState

    return AppState.open(url)


# Every cache `_runner` made, so that a load can empty them all (see `forget_old_versions`).
_RUNNERS: list[Callable] = []


@st.cache_resource(show_spinner=False)
def _latest_tokens() -> dict[str, str]:
    """The newest database version seen per path, for the whole server."""
    return {}


def forget_old_versions(db_path: str, token: str) -> None:
    """Drop every cached result once a load has published a new version: results are keyed by the
    version, so those of older ones can never be asked for again, yet they stayed until their TTL
    or the entry limit — an hour of every filter combination per load, the server's RSS growing
    with each load. A run still pinned to an old version gets DatabaseChanged and reruns anyway."""
    latest = _latest_tokens()
    previous = latest.get(db_path)
    latest[db_path] = token
    if previous is not None and previous != token:
        for run in list(_RUNNERS):
            run.clear()


@functools.cache
def _runner(spinner: str | bool, max_entries: int) -> Callable:
    """The cache for one set of options (st.cache_data keeps one store per function it wraps)."""
    def run(name: str, db_path: str, token: str, args: tuple, kwargs: tuple, _fn: Callable) -> Any:
        # `name` keys the entry (`_fn`, like every parameter named with a leading underscore, is not
        # hashed). The cursor is pinned to `token`: a load published since this run began raises
        # DatabaseChanged (never cached), and app.py reruns the page on the new data.
        cur = warehouse(db_path).cursor(token)
        try:
            return _fn(cur, *args, **dict(kwargs))
        finally:
            cur.close()

    # st.cache_data tells caches apart by the wrapped function's qualified name.
    run.__qualname__ = f"cached_call[{spinner}, {max_entries}]"
    cache = st.cache_data(show_spinner=spinner, max_entries=max_entries, ttl=SETTINGS.cache_ttl_seconds)(run)
    _RUNNERS.append(cache)
    return cache


def cached(fn: Callable | None = None, *, spinner: str | bool = False, max_entries: int | None = None):
    """`fn(con, *args, **kwargs)` as a function of `(*args, **kwargs)` on this run's database version,
    cached (see the module docstring). Also a decorator: `@cached(spinner="…", max_entries=32)`."""
    def wrap(fn: Callable) -> Callable:
        run = _runner(spinner, max_entries or SETTINGS.cache_max_entries)
        name = f"{fn.__module__}.{fn.__qualname__}"

        @functools.wraps(fn)
        def call(*args, **kwargs):
            ctx = context()
            if ctx.token is None:
                raise RuntimeError("no database")
            return run(name, ctx.db_path, ctx.token, args, tuple(sorted(kwargs.items())), _fn=fn)
        return call
    return wrap(fn) if fn is not None else wrap


@dataclass(frozen=True)
class DataState:
    """What the database offers this run: its version, the filter choices, where the data came from."""

    db_path: str
    token: str | None
    options: dict[str, list[str]]
    default_as_of: str | None
    has_data: bool
    provenance: dict[str, Any] | None
    data_months: dict[str, str | None]
    problem: str | None = None
    held: dict[str, int] | None = None


def open_data(settings: Settings) -> DataState:
    """Read the published database's identity and the values the filters may take (cached per version)."""
    db_path = str(settings.database_path)
    for attempt in range(3):  # a load may publish between reading the version and the queries
        version = database_version(db_path)
        if version is None:
            return DataState(db_path, None, {}, None, False, None, {})
        forget_old_versions(db_path, version.token)
        set_context(Context(settings, db_path, version.token, Filters(), False, None))
        try:
            return DataState(db_path, version.token, cached(kpis.filter_options)(), cached(kpis.default_as_of)(),
                             not cached(quality.is_empty)(), cached(quality.data_provenance)(),
                             cached(quality.data_months)(), held=cached(coverage.held)())
        except DatabaseChanged:
            if attempt == 2:
                raise
        except (MartsMissing, DatabaseError) as exc:
            return DataState(db_path, None, {}, None, False, None, {}, problem=str(exc).splitlines()[0])
    raise AssertionError("unreachable")
