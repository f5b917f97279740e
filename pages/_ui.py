"""What every page shares: the run's context (set by app.py), cached library calls, KPI cards, tables
with downloads, figures and empty states.

Only rendering lives here; numbers come from `pmo_metrics`. Text that comes from the data (project
names, commentary, file names) never reaches markdown unescaped: it goes through `esc()` or is shown
with `st.text` or in a dataframe.
"""
from __future__ import annotations

import inspect
import logging
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pandas as pd
import PIL.Image  # noqa: F401 — see below
import streamlit as st

from pmo_metrics import access, downloads, kpis, metrics, views
from pmo_metrics.db import DatabaseChanged, Warehouse, database_version
from pmo_metrics.filters import Filters, month_end
from pmo_metrics.settings import Settings, load_settings

log = logging.getLogger("pmo_dashboard")

# plotly's JSON encoder imports PIL lazily, on the first figure drawn. When the first sessions of a
# fresh server draw figures at the same moment, two threads import PIL at once and one of them gets
# a partially initialised module (PIL's circular imports). Importing it here, inside this module's
# own import (which the other script threads wait for), makes that first import happen once.

CONTEXT_KEY = "pmo_context"
try:
    _SETTINGS = load_settings()  # cache sizes are fixed when the decorators below are applied
except ValueError:
    _SETTINGS = load_settings({})  # app.py reports the bad variable on the page


# -- context ----------------------------------------------------------------------------------------

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


# -- cached library calls ---------------------------------------------------------------------------

@st.cache_resource(show_spinner=False)
def warehouse(path: str) -> Warehouse:
    """One reader per database path for the whole server; it reopens by itself after a load."""
    return Warehouse(path)


_FUNCTIONS: dict[str, Callable] = {
    f"{fn.__module__}.{fn.__name__}": fn for fn in (
        kpis.default_as_of, kpis.available_months, kpis.filter_options, kpis.compute_kpis, kpis.compare_kpis,
        kpis.kpi_series, kpis.kpi_breakdown, kpis.project_table, kpis.evm_curve, kpis.changes_since_last_month,
        kpis.kpi_rows, kpis.maturity_scores, kpis.maturity_domain_scores, kpis.maturity_summary,
        kpis.maturity_history,
        views.data_provenance, views.is_empty, views.project_list, views.project_header,
        views.project_status_history, views.project_milestones, views.project_risks, views.project_benefits,
        views.project_team, views.project_team_by_month, views.value_vs_risk, views.attention_projects,
        views.finance_by_month, views.finance_by, views.largest_variances, views.resources_by_month,
        views.resources_by, views.resource_heatmap, views.overallocated_people, views.benefits_cumulative,
        views.benefits_by, views.benefits_register, views.spend_and_benefits_by_objective,
        views.maturity_heatmap, views.maturity_changes, views.maturity_gaps, views.rule_pass_rates,
        views.findings, views.warnings_by_manager, views.stale_reports, views.quarantined_rows,
        views.loaded_batches, views.data_months,
    )
}


@st.cache_data(show_spinner=False, max_entries=_SETTINGS.cache_max_entries, ttl=_SETTINGS.cache_ttl_seconds)
def _cached_call(name: str, db_path: str, token: str, args: tuple, kwargs: tuple) -> Any:
    # `token` is only part of the key: a load publishes a new file, the token changes, and every
    # result is computed afresh on the next click without a restart.
    # The cursor is pinned to that version too: a load published since this run began raises
    # DatabaseChanged (never cached), and app.py reruns the page on the new data.
    fn = _FUNCTIONS[name]
    cur = warehouse(db_path).cursor(token)
    try:
        return fn(cur, *args, **dict(kwargs))
    finally:
        cur.close()


def q(fn: Callable, *args, **kwargs) -> Any:
    """Call a library function on the warehouse, cached by (database version, function, arguments)."""
    name = f"{fn.__module__}.{fn.__name__}"
    if name not in _FUNCTIONS:
        raise KeyError(f"{name} is not a cached library call")
    ctx = context()
    if ctx.token is None:
        raise RuntimeError("no database")
    return _cached_call(name, ctx.db_path, ctx.token, args, tuple(sorted(kwargs.items())))


# -- the database behind this run ---------------------------------------------------------------------

def ensure_demo_database(settings: Settings) -> None:
    """First start without a database: write the small demo batch and load it, showing progress."""
    if database_version(settings.database_path) is not None:
        return
    from pmo_metrics.demo import generate_demo
    from pmo_metrics.warehouse import LoadBusy, load_batch

    bar = st.progress(0.0, text="No database yet: generating the demo data …")
    try:
        generate_demo(settings.demo_dir, scale="small", seed=settings.demo_seed,
                      progress=lambda msg, f: bar.progress(min(0.4 * f, 1.0), text=f"Demo data: {msg}"))
        result = load_batch(settings.demo_dir, settings.database_path,
                            progress=lambda msg, f: bar.progress(min(0.4 + 0.6 * f, 1.0), text=f"Loading: {msg}"))
    except LoadBusy:
        result = None  # another session is loading the demo at this moment; its result is used
    finally:
        bar.empty()
    if result is not None and not result.ok:
        st.error(f"The demo data could not be loaded: {esc(result.message)}")


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


def open_data(settings: Settings) -> DataState:
    """Read the published database's identity and the values the filters may take (cached per version)."""
    from pmo_metrics.db import DatabaseError
    from pmo_metrics.marts import MartsMissing

    db_path = str(settings.database_path)
    for attempt in range(3):  # a load may publish between reading the version and the queries
        version = database_version(db_path)
        if version is None:
            return DataState(db_path, None, {}, None, False, None, {})
        set_context(Context(settings, db_path, version.token, Filters(), False, None))
        try:
            return DataState(db_path, version.token, q(kpis.filter_options), q(kpis.default_as_of),
                             not q(views.is_empty), q(views.data_provenance), q(views.data_months))
        except DatabaseChanged:
            if attempt == 2:
                raise
        except (MartsMissing, DatabaseError) as exc:
            return DataState(db_path, None, {}, None, False, None, {}, problem=str(exc).splitlines()[0])
    raise AssertionError("unreachable")


# -- text -------------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=^&])")


def esc(text: Any) -> str:
    """Text from the data made inert for st.markdown / st.caption (no links, HTML, emphasis, directives)."""
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return "—"
    return _MD_SPECIAL.sub(r"\\\1", str(text).replace("\n", " "))


def fmt_money(value, currency: str | None = None) -> str:
    if value is None or pd.isna(value):
        return "—"
    cur = context().currency if currency is None else currency
    text = metrics._compact_money(float(value))
    return f"-{cur}{text[1:]}" if text.startswith("-") else f"{cur}{text}"


def fmt_date(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    return pd.Timestamp(value).strftime("%Y-%m-%d")


def fmt_pct(value, digits: int = 1) -> str:
    if value is None or pd.isna(value):
        return "—"
    return f"{float(value) * 100:.{digits}f} %"


# -- page furniture ---------------------------------------------------------------------------------

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


def ensure_entry(page_file: str | None) -> None:
    """Make sure the page runs inside app.py (filters, context), not on its own.

    Until some session has called st.navigation, Streamlit serves a `pages/` folder next to the entry
    file the old way — the page alone. That happens to the first request after a server start that
    opens a page link directly, and to every AppTest run. The entry file is then run here, in this
    same script run (so a button click or an upload in it is not lost), and it runs this page; its
    st.navigation switches the old mode off for good.
    """
    if getattr(_entry, "depth", 0) or page_file is None:
        return
    code = compile(ENTRY_FILE.read_text(encoding="utf-8"), str(ENTRY_FILE), "exec")
    exec(code, {"__name__": "__main__", "__file__": str(ENTRY_FILE)})  # noqa: S102 — our own entry file
    st.stop()


def header(title: str, subtitle: str | None = None) -> Context:
    """Title, the selection in words, where the data comes from."""
    caller = inspect.currentframe().f_back
    ensure_entry(caller.f_globals.get("__file__") if caller else None)
    ctx = context()
    st.title(title)
    if subtitle:
        st.caption(subtitle)
    provenance_note(ctx)
    return ctx


def provenance_note(ctx: Context) -> None:
    p = ctx.provenance
    if p is None:
        return
    if p.get("is_demo"):
        st.warning("**Demo data.** These figures come from the generated demo batch, not from your "
                   "organisation's extracts. Load your own on the *Data loads* page.", icon="🧪")
    files = p.get("files") or []
    shown = ", ".join(esc(f) for f in files[:12]) + (f" and {len(files) - 12} more" if len(files) > 12 else "")
    more = f" and {p['loads'] - 1} earlier load{'s' if p['loads'] > 2 else ''}" if p.get("loads", 1) > 1 else ""
    st.caption(f"Data loaded {p['loaded_at']:%Y-%m-%d %H:%M} UTC from {esc(p.get('batch'))}{more}"
               f" ({len(files)} file{'s' if len(files) != 1 else ''}: {shown}) · "
               f"{esc(ctx.filters.describe())}")


def require_data(ctx: Context | None = None) -> None:
    """Explain and stop when there is nothing to show."""
    caller = inspect.currentframe().f_back
    ensure_entry(caller.f_globals.get("__file__") if caller else None)
    ctx = ctx or context()
    if ctx.token is None:
        st.info("There is no database yet. Load a batch of extracts on the **Data loads** page "
                "(or start the app with the demo enabled).")
        st.stop()
    if not ctx.has_data:
        st.info("The database holds no rows yet. Load a batch of extracts on the **Data loads** page.")
        st.stop()


def empty(message: str) -> None:
    st.info(message, icon="ℹ️")


def no_rows_message(ctx: Context, what: str) -> str:
    """'No status reports for this selection up to 2025-03 (data covers 2023-07 to 2025-06).'"""
    span = ctx.data_months or {}
    cover = (f" The data covers {span.get('first')} to {span.get('last')}."
             if span.get("first") and span.get("last") else "")
    scope = " for this selection" if ctx.filters.is_filtered else ""
    return f"No {what}{scope} up to {ctx.as_of}.{cover}"


def chart(fig, *, key: str | None = None, on_select: str = "ignore", selection_mode=("points",)):
    """Show a figure from pmo_metrics.charts in its own theme (not Streamlit's)."""
    kwargs: dict[str, Any] = {"theme": None, "config": {"displaylogo": False}}
    if key is not None:
        kwargs["key"] = key
    if on_select != "ignore":
        kwargs.update(on_select=on_select, selection_mode=selection_mode)
    return st.plotly_chart(fig, **kwargs)


# -- KPI cards --------------------------------------------------------------------------------------

_STATUS_BADGE = {"green": ("On target", "green"), "amber": ("Watch", "orange"), "red": ("Off target", "red")}


def kpi_cards(frame: pd.DataFrame, ids: list[str], per_row: int = 4, notes: dict[str, str] | None = None) -> None:
    """One bordered card per metric: value, month-over-month change, and the registry's RAG status."""
    rows = frame.set_index("id")
    notes = notes or {}
    for start in range(0, len(ids), per_row):
        cols = st.columns(per_row)
        for col, mid in zip(cols, ids[start:start + per_row]):
            m = metrics.get(mid)
            r = rows.loc[mid] if mid in rows.index else None
            value = "—" if r is None else r["formatted"]
            change = None if r is None or r["change"] is None or pd.isna(r["change"]) else r["change"]
            delta = None if change is None else r["formatted_change"]
            colour = "off" if m.good == "neutral" or change in (None, 0) else (
                "normal" if m.good == "up" else "inverse")
            status = None if r is None else r["status"]
            with col.container(border=True):
                st.metric(m.label, value, delta=delta, delta_color=colour,
                          delta_arrow="off" if change == 0 else "auto",
                          help=f"{m.definition}\n\nPrevious month: {'—' if r is None else r['formatted_previous']}",
                          delta_description="vs previous month" if delta else None)
                badge = _STATUS_BADGE.get(status) if isinstance(status, str) else None
                if badge:
                    st.badge(badge[0], color=badge[1])
                if mid in notes:
                    st.caption(notes[mid])


# -- tables -----------------------------------------------------------------------------------------

_MONEY_COLUMNS: set[int] = set()  # ids of the configs money_col made, so table() can round them


def money_col(label: str) -> Any:
    """Money in the reporting currency: whole units with thousands separators on screen."""
    config = st.column_config.NumberColumn(label, format="localized")
    _MONEY_COLUMNS.add(id(config))
    return config


def pct_col(label: str) -> Any:
    return st.column_config.NumberColumn(label, format="percent")


def num_col(label: str, fmt: str = "localized") -> Any:
    return st.column_config.NumberColumn(label, format=fmt)


def date_col(label: str) -> Any:
    return st.column_config.DateColumn(label, format="YYYY-MM-DD")


def text_col(label: str) -> Any:
    return st.column_config.TextColumn(label)


def table(df: pd.DataFrame, name: str, *, columns: dict[str, Any] | None = None, key: str | None = None,
          selectable: bool = False, empty_message: str | None = None, height: int | str = "auto"):
    """A dataframe with CSV and Excel downloads of every row. `columns` maps column → column_config
    (columns not named are hidden from the screen but kept in the downloads). Returns the selection
    event when `selectable`."""
    if df is None or df.empty:
        if empty_message:
            empty(empty_message)
        return None
    limit = context().settings.table_row_limit
    shown = df.head(limit) if limit and len(df) > limit else df
    money = [c for c, cfg in (columns or {}).items() if id(cfg) in _MONEY_COLUMNS and c in shown.columns]
    if money:  # cents are noise on screen; the downloads keep them
        shown = shown.assign(**{c: pd.to_numeric(shown[c], errors="coerce").round(0) for c in money})
    kwargs: dict[str, Any] = {"hide_index": True, "height": height}
    if columns:
        kwargs["column_config"] = columns
        kwargs["column_order"] = [c for c in columns if c in df.columns]
    if key is not None:
        kwargs["key"] = key
    if selectable:
        kwargs.update(on_select="rerun", selection_mode="single-row")
    event = st.dataframe(shown, **kwargs)
    if len(shown) < len(df):
        st.caption(f"Showing the first {len(shown):,} of {len(df):,} rows; the downloads hold every row.")
    download_buttons(df, name, key=key or name)
    return event


def download_buttons(df: pd.DataFrame, name: str, key: str) -> None:
    stem = downloads.file_stem(name)
    row = st.container(horizontal=True, gap="small")
    row.download_button("CSV", data=lambda: downloads.to_csv_bytes(df), file_name=f"{stem}.csv",
                       mime="text/csv", key=f"dl_csv_{key}", on_click="ignore", icon=":material/download:",
                       help=f"Download every row of “{esc(name)}” as CSV")
    row.download_button("Excel", data=lambda: downloads.to_excel_bytes(df, sheet=name),
                       file_name=f"{stem}.xlsx", on_click="ignore", key=f"dl_xlsx_{key}",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       icon=":material/download:", help=f"Download every row of “{esc(name)}” as an Excel workbook")


def selected_row(event) -> int | None:
    """Index of the row picked in a selectable table, or None."""
    try:
        rows = event.selection.rows
    except AttributeError:
        try:
            rows = event["selection"]["rows"]
        except (KeyError, TypeError):
            return None
    return rows[0] if rows else None


def selected_point(event) -> dict | None:
    """The first point picked in a selectable figure, or None."""
    try:
        points = event.selection.points
    except AttributeError:
        try:
            points = event["selection"]["points"]
        except (KeyError, TypeError):
            return None
    return points[0] if points else None


# -- page-specific query parameters -----------------------------------------------------------------

def page_param(name: str, valid: list[str] | set[str]) -> str | None:
    """A page's own query parameter (drill-down, project), or None when absent or not a known value."""
    value = st.query_params.get(name)
    return value if value is not None and value in valid else None


def set_page_params(**values: str | None) -> None:
    """Write a page's own parameters into the URL (None removes one). Written on every run, not only on
    change: a change made just before st.rerun() may never reach the browser."""
    for name, value in values.items():
        if value is None:
            if name in st.query_params:
                del st.query_params[name]
        else:
            st.query_params[name] = value


def key_suffix(*parts: str | None) -> str:
    """A widget-key suffix for a combination of values from the data (names with any characters):
    the first part as is, then a short digest, so keys stay valid CSS class names."""
    import hashlib

    first, rest = parts[0] or "", "\x1f".join(p or "" for p in parts[1:])
    return f"{first}_{hashlib.sha1(rest.encode()).hexdigest()[:10]}" if rest.strip("\x1f") else str(first)


def as_of_end(ctx: Context):
    return month_end(ctx.as_of) if ctx.as_of else None
