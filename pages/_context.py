"""What a page run knows about itself: the run's context (settings, database version, filters,
scope), decided once by app.py; who is looking (secrets, business-unit scope); and the guarantee
that a page runs inside the entry file.

The context lives in the session state because app.py sets it before it runs the page; a page
reads it with `context()` (or gets it from `_widgets.header`).
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import streamlit as st

from pmo_metrics import access
from pmo_metrics.db import database_version
from pmo_metrics.filters import Filters
from pmo_metrics.settings import Settings, load_settings

CONTEXT_KEY = "pmo_context"
try:
    SETTINGS = load_settings()  # cache sizes are fixed when the cache decorators are applied
except ValueError:
    SETTINGS = load_settings({})  # app.py reports the bad variable on the page


@dataclass(frozen=True)
class Context:
    """Everything a page needs to know about this run, decided once by app.py."""

    settings: Settings
    db_path: str
    token: str | None                 # identity of the published database; None when there is none
    filters: Filters                  # as_of resolved to a month when there is data
    has_data: bool
    provenance: dict[str, Any] | None
    options: dict[str, list[str]] = field(default_factory=dict)
    data_months: dict[str, str | None] = field(default_factory=dict)
    scope: access.Scope = access.UNRESTRICTED  # already applied to `filters`; pages use it for views
                                               # that are not built from the filters
    held: dict[str, int] = field(default_factory=dict)   # what each KPI input holds (pmo_metrics.coverage)

    @property
    def as_of(self) -> str | None:
        return self.filters.as_of

    @property
    def currency(self) -> str:
        return self.settings.currency_symbol


def set_context(ctx: Context) -> None:
    st.session_state[CONTEXT_KEY] = ctx


def context() -> Context:
    ctx = st.session_state.get(CONTEXT_KEY)
    if ctx is None:  # a page run on its own (e.g. `streamlit run pages/x.py`): open the default database
        settings = load_settings()
        version = database_version(settings.database_path)
        ctx = Context(settings, settings.database_path, version.token if version else None, Filters(),
                      False, None)
    return ctx


# -- who is looking ------------------------------------------------------------------------------------

def secrets() -> dict[str, Any]:
    """The app's secrets as a plain dict; empty when there is no secrets file."""
    try:
        return st.secrets.to_dict()
    except Exception:  # noqa: BLE001 — no secrets file at all is a normal deployment
        return {}


def current_scope() -> access.Scope:
    """The business units this person may see (see pmo_metrics.access.resolve_scope). With an
    `[auth]` section in the secrets the identity is the signed-in account, and a visitor who has not
    signed in is asked to, and sees nothing else."""
    conf = secrets()
    if not access.scoping_configured(conf):
        return access.UNRESTRICTED
    user = None
    if "auth" in conf:
        if not st.user.get("is_logged_in"):
            st.title("PMO analytics")
            st.info("Sign in to see the dashboard.")
            st.button("Sign in", on_click=st.login, icon=":material/login:", key="sign_in")
            st.stop()
        user = st.user.get("email") or st.user.get("name")
    return access.resolve_scope(conf, user)


def identity() -> str:
    """Who is writing, for what a person saves (a scenario): the signed-in account where Streamlit
    authentication is configured, else PMO_USER, else `[scoping] default_user`, else "anonymous"."""
    conf = secrets()
    user = None
    if "auth" in conf and st.user.get("is_logged_in"):
        user = st.user.get("email") or st.user.get("name")
    return access.author(user, conf)


# -- the entry file ----------------------------------------------------------------------------------

ENTRY_FILE = Path(__file__).resolve().parent.parent / "app.py"
# Whether app.py is running the page on this thread (each session's script runs on its own thread).
# Not in st.session_state: a value removed there after st.stop() is not removed for the next run.
_entry = threading.local()


@contextmanager
def running_page():
    """app.py runs the page inside this block."""
    _entry.depth = getattr(_entry, "depth", 0) + 1
    try:
        yield
    finally:
        _entry.depth -= 1


def ensure_entry() -> None:
    """Make sure the page runs inside app.py (filters, context), not on its own.

    Until some session has called st.navigation, Streamlit serves a `pages/` folder next to the entry
    file the old way — the page alone. That happens to the first request after a server start that
    opens a page link directly, and to every AppTest run. The entry file is then run here, in this
    same script run (so a button click or an upload in it is not lost), and it runs this page; its
    st.navigation switches the old mode off for good.
    """
    if getattr(_entry, "depth", 0):
        return
    # exec, not runpy.run_path: runpy swaps sys.modules["__main__"] for the run, under every other
    # session's script thread too.
    code = compile(ENTRY_FILE.read_text(encoding="utf-8"), str(ENTRY_FILE), "exec")
    exec(code, {"__name__": "__main__", "__file__": str(ENTRY_FILE)})  # noqa: S102 — our own entry file
    st.stop()
