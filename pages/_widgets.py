"""What the pages draw with: the page header and empty states, KPI cards, tables with their column
formats and downloads, figures, the page's own URL parameters, and the first-start demo.

Only rendering lives here; numbers come from `pmo_metrics`, and read as `pmo_metrics.formatting`
writes them. Text that comes from the data (project names, commentary, file names) never reaches
markdown unescaped: it goes through `esc()` or is shown with `st.text` or in a dataframe.
"""
from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from typing import Any

import pandas as pd
import PIL.Image  # noqa: F401 — see below
import streamlit as st

from pages._context import Context, context, ensure_entry
from pmo_metrics import access, downloads, metrics, theme
from pmo_metrics import formatting as fmt
from pmo_metrics.db import database_version
from pmo_metrics.filters import month_end
from pmo_metrics.settings import Settings

# plotly's JSON encoder imports PIL lazily, on the first figure drawn. When the first sessions of a
# fresh server draw figures at the same moment, two threads import PIL at once and one of them gets
# a partially initialised module (PIL's circular imports). Importing it here, inside this module's
# own import (which the other script threads wait for), makes that first import happen once.


# -- text -------------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=^&])")


def esc(text: Any) -> str:
    """Text from the data made inert for st.markdown / st.caption (no links, HTML, emphasis, directives)."""
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return fmt.NO_DATA
    return _MD_SPECIAL.sub(r"\\\1", str(text).replace("\n", " "))


def money(value) -> str:
    """Money as the pages show it, in the configured currency: '£1.2 M'."""
    return fmt.money(value, context().currency)


# -- page furniture ---------------------------------------------------------------------------------

def header(title: str, subtitle: str | None = None) -> Context:
    """Title, the selection in words, where the data comes from."""
    ensure_entry()
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
    ensure_entry()
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


def as_of_end(ctx: Context):
    return month_end(ctx.as_of) if ctx.as_of else None


def presentation_style() -> None:
    """The monthly review's large, high-contrast type, in the viewer's light or dark theme."""
    st.markdown(theme.projector_css(st.context.theme.type or "light"), unsafe_allow_html=True)


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
RAG_BADGE_COLOURS = {"green": "green", "amber": "orange", "red": "red"}   # Streamlit's names for them


def kpi_cards(frame: pd.DataFrame, ids: list[str], per_row: int = 4, notes: dict[str, str] | None = None) -> None:
    """One bordered card per metric: value, month-over-month change, and the registry's RAG status."""
    rows = frame.set_index("id")
    notes = notes or {}
    for start in range(0, len(ids), per_row):
        cols = st.columns(per_row)
        for col, mid in zip(cols, ids[start:start + per_row]):
            m = metrics.get(mid)
            r = rows.loc[mid] if mid in rows.index else None
            value = fmt.NO_DATA if r is None else r["formatted"]
            change = None if r is None or fmt.is_missing(r["change"]) else r["change"]
            delta = None if change is None else r["formatted_change"]
            colour = "off" if m.good == "neutral" or change in (None, 0) else (
                "normal" if m.good == "up" else "inverse")
            status = None if r is None else r["status"]
            with col.container(border=True):
                st.metric(m.label, value, delta=delta, delta_color=colour,
                          delta_arrow="off" if change == 0 else "auto",
                          help=f"{m.definition}\n\nPrevious month: {fmt.NO_DATA if r is None else r['formatted_previous']}",
                          delta_description="vs previous month" if delta else None)
                badge = _STATUS_BADGE.get(status) if isinstance(status, str) else None
                if badge:
                    st.badge(badge[0], color=badge[1])
                if mid in notes:
                    st.caption(notes[mid])


def rag_badge(label: str, rag: str | None) -> None:
    st.badge(f"{label}: {rag or fmt.NO_DATA}", color=RAG_BADGE_COLOURS.get(rag, "gray"))


# -- tables -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    """How a table shows one column: its heading and its kind (text, number, money, share, date,
    datetime, check). A table passes its columns by name, so `table()` knows which are money."""

    label: str
    kind: str = "text"
    number_format: str = "localized"
    width: str | None = None

    def config(self) -> Any:
        c = st.column_config
        if self.kind in ("number", "money"):   # money: whole units with thousands separators on screen
            return c.NumberColumn(self.label, format=self.number_format)
        if self.kind == "share":
            return c.NumberColumn(self.label, format="percent")
        if self.kind == "date":
            return c.DateColumn(self.label, format="YYYY-MM-DD")
        if self.kind == "datetime":
            return c.DatetimeColumn(self.label, format="YYYY-MM-DD HH:mm")
        if self.kind == "check":
            return c.CheckboxColumn(self.label)
        return c.TextColumn(self.label, width=self.width)


def text_col(label: str, width: str | None = None) -> Column:
    return Column(label, "text", width=width)


def num_col(label: str, number_format: str = "localized") -> Column:
    return Column(label, "number", number_format)


def money_col(label: str) -> Column:
    """Money in the reporting currency: whole units with thousands separators on screen."""
    return Column(label, "money")


def pct_col(label: str) -> Column:
    return Column(label, "share")


def date_col(label: str) -> Column:
    return Column(label, "date")


def datetime_col(label: str) -> Column:
    return Column(label, "datetime")


def check_col(label: str) -> Column:
    return Column(label, "check")


def on_screen(df: pd.DataFrame, columns: dict[str, Column], limit: int) -> pd.DataFrame:
    """The rows a table shows (the first `limit`), its money columns in whole units: cents are noise
    on screen; the downloads keep them. Only the columns declared money are touched."""
    shown = df.head(limit) if limit and len(df) > limit else df
    money = [c for c, spec in columns.items() if spec.kind == "money" and c in shown.columns]
    if money:
        shown = shown.assign(**{c: pd.to_numeric(shown[c], errors="coerce").round(0) for c in money})
    return shown


def table(df: pd.DataFrame, name: str, *, columns: dict[str, Column] | None = None, key: str | None = None,
          selectable: bool = False, empty_message: str | None = None, height: int | str = "auto"):
    """A dataframe with CSV and Excel downloads of every row. `columns` maps column name → Column
    (columns not named are hidden from the screen but kept in the downloads). Returns the selection
    event when `selectable`."""
    if df is None or df.empty:
        if empty_message:
            empty(empty_message)
        return None
    columns = {name_: spec for name_, spec in (columns or {}).items() if name_ in df.columns}
    shown = on_screen(df, columns, context().settings.table_row_limit)
    kwargs: dict[str, Any] = {"hide_index": True, "height": height}
    if columns:
        kwargs["column_config"] = {c: spec.config() for c, spec in columns.items()}
        kwargs["column_order"] = list(columns)
    if key is not None:
        kwargs["key"] = key
    if selectable:
        kwargs.update(on_select="rerun", selection_mode="single-row")
    event = st.dataframe(shown, **kwargs)
    if len(shown) < len(df):
        st.caption(f"Showing the first {len(shown):,} of {len(df):,} rows; the downloads hold every row.")
    download_buttons(df, name, key=key or name)
    return event


def editor(df: pd.DataFrame, *, columns: dict[str, Column], editable: set[str], key: str) -> pd.DataFrame:
    """An editable table: the `editable` columns can be changed (a check column by ticking, a number
    by typing), the others are shown read-only; returns the table as edited."""
    config = {}
    for name_, spec in columns.items():
        c = spec.config()
        c["disabled"] = name_ not in editable
        config[name_] = c
    return st.data_editor(df, column_config=config, column_order=list(columns), hide_index=True, key=key,
                          num_rows="fixed")


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


def download_workbook(label: str, data, file_name: str, key: str, help: str | None = None) -> None:
    """A download button for a workbook a library function writes (`data`: bytes, or a function
    returning them, called only when the button is clicked)."""
    st.download_button(label, data=data, file_name=f"{downloads.file_stem(file_name)}.xlsx", key=key,
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       on_click="ignore", icon=":material/download:", help=help)


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


# -- the PMO-lead password ----------------------------------------------------------------------------

LEAD_UNLOCKED = "data_loads_unlocked"   # fingerprint of the password this session was unlocked with:
                                        # one password, so unlocking one page unlocks every one
LEAD_FAILURES = "data_loads_failures"   # (consecutive failed attempts, time of the last one)


@st.cache_resource(show_spinner=False)
def _throttle() -> access.Throttle:
    """One guessing throttle for the whole server: a fresh browser session starts no fresh count."""
    return access.Throttle()


def _check_password(expected: str, box: str) -> None:
    given = st.session_state.get(box) or ""
    st.session_state[box] = ""  # never kept in the session
    if not given:
        return
    failures, last = st.session_state.get(LEAD_FAILURES, (0, None))
    if _throttle().locked_for(failures, last) > 0:
        return
    if access.password_matches(given, expected):
        st.session_state[LEAD_UNLOCKED] = access.password_fingerprint(expected)
        st.session_state.pop(LEAD_FAILURES, None)
        return
    time.sleep(_throttle().delay_after_failure())
    st.session_state[LEAD_FAILURES] = (failures + 1, time.monotonic())


def pmo_lead_unlocked(expected: str, prompt: str, box: str) -> bool:
    """Whether this session has given the PMO-lead password `expected`; otherwise `prompt` and the
    password box (widget key `box`), or the lock-out after too many wrong guesses."""
    if st.session_state.get(LEAD_UNLOCKED) == access.password_fingerprint(expected):
        return True
    failures, last = st.session_state.get(LEAD_FAILURES, (0, None))
    wait = _throttle().locked_for(failures, last)
    if wait > 0:
        st.error(f"Too many wrong passwords. Try again in {wait / 60:.0f} minute(s).", icon=":material/lock:")
        return False
    st.markdown(prompt)
    st.text_input("PMO-lead password", type="password", key=box, on_change=_check_password,
                  args=(expected, box), autocomplete="current-password")
    if failures:
        st.error(f"Wrong password ({failures} of {_throttle().max_attempts} attempts).")
    return False


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
    first, rest = parts[0] or "", "\x1f".join(p or "" for p in parts[1:])
    return f"{first}_{hashlib.sha1(rest.encode()).hexdigest()[:10]}" if rest.strip("\x1f") else str(first)


# -- the first start ----------------------------------------------------------------------------------

def ensure_demo_database(settings: Settings) -> None:
    """First start without a database: write the small demo batch and load it, showing progress."""
    if database_version(settings.database_path) is not None:
        return
    # Imported here, not at the top: the demo generator and the loader (polars, pandera: about a
    # second) are needed once, on a server's first start without data.
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
