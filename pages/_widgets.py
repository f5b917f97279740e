"""What the pages draw with: the page header and empty states, KPI cards, tables with their column
formats and downloads, figures, the page's own URL parameters, and the first-start demo.

Only rendering lives here; numbers come from `pmo_metrics`, and read as `pmo_metrics.formatting`
writes them. Text that comes from the data (project names, commentary, file names) never reaches
markdown unescaped: it goes through `esc()` or is shown with `st.text` or in a dataframe.

A little over 500 lines on purpose: every page draws with this one module, and most of its length
is the table columns' vocabulary (one small constructor per kind of value), which pages written
beside these ones use as they are.
"""
from __future__ import annotations

import hashlib
import html
import os
import re
import time
from dataclasses import dataclass
from typing import Any

import pandas as pd
import PIL.Image  # noqa: F401 — see below
import streamlit as st

from pages._cache import cached
from pages._context import Context, context, ensure_entry, secrets
from pmo_metrics import access, charts, coverage, downloads, lineage, metrics, theme
from pmo_metrics import formatting as fmt
from pmo_metrics.db import database_version
from pmo_metrics.filters import month_end, previous_month
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
    """Title, the demo notice when the data is the demo, and one quiet line on where the data comes
    from and what is selected (the file names in its tooltip)."""
    ensure_entry()
    ctx = context()
    st.title(title)
    if subtitle:
        st.caption(subtitle)
    demo_notice(ctx)
    provenance_note(ctx)
    return ctx


def demo_notice(ctx: Context) -> None:
    """On the demo data: say so, and the next step that works — the Data loads page when loading is
    switched on, else how to switch it on or load from the command line."""
    if not (ctx.provenance or {}).get("is_demo"):
        return
    text = ("**Demo data.** These figures come from the generated demo batch, not from your "
            "organisation's extracts.")
    if access.data_loads_password(secrets(), os.environ) is not None:
        st.warning(text + " Load your own on the *Data loads* page.", icon="🧪")
        st.page_link("pages/data_loads.py", label="Load your extracts", icon=":material/upload_file:")
    else:
        st.warning(text + " To load your own from the command line: `python -m pmo_metrics load "
                   "path/to/extracts`. Loading on the dashboard is switched off until a PMO-lead password is "
                   "set (`[data_loads] password` in `.streamlit/secrets.toml`, or `PMO_DATA_LOADS_PASSWORD`).",
                   icon="🧪")


def provenance_note(ctx: Context) -> None:
    p = ctx.provenance
    if p is None:
        return
    files = p.get("files") or []
    more = f" and {p['loads'] - 1} earlier load{'s' if p['loads'] > 2 else ''}" if p.get("loads", 1) > 1 else ""
    st.caption(f"Data loaded {p['loaded_at']:%Y-%m-%d %H:%M} UTC from {esc(p.get('batch'))}{more} "
               f"({fmt.plural(len(files), 'file')}) · {esc(ctx.filters.describe())}",
               help="Files: " + ", ".join(esc(f) for f in files) if files else None)


def require_data(ctx: Context | None = None, title: str | None = None) -> None:
    """Explain and stop when there is nothing to show; with `title`, under that title (for a page
    that draws its own heading only once it has data, as the monthly review does)."""
    ensure_entry()
    ctx = ctx or context()
    if title and (ctx.token is None or not ctx.has_data):
        st.title(title, anchor=False)
    if ctx.token is None:
        st.info("There is no database yet. Load a batch of extracts on the **Data loads** page "
                "(or start the app with the demo enabled).")
        st.stop()
    if not ctx.has_data:
        st.info("The database holds no rows yet. Load a batch of extracts on the **Data loads** page.")
        st.stop()


def empty(message: str) -> None:
    st.info(message, icon="ℹ️")


def headline(text: str) -> None:
    """The page's one-sentence message, the most prominent text under the title."""
    st.markdown(f'<p class="pmo-headline">{html.escape(text)}</p>', unsafe_allow_html=True)


def nothing_message(ctx: Context, what: str, inputs: tuple[str, ...], otherwise: str) -> str:
    """What an empty table says: that the loaded data has none of `inputs` at all (so nothing of
    `what` can be listed), or else `otherwise` ('No milestone due this month was missed.')."""
    return no_rows_message(ctx, what, inputs) if lacking(ctx, *inputs) else otherwise


def lacking(ctx: Context, *inputs: str) -> bool:
    """Whether the loaded data has none of some input a figure needs (pmo_metrics.coverage.INPUTS)."""
    return bool(coverage.lacking(ctx.held, *inputs))


def unknown(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """The frame with `columns` empty: sums of an input the loaded data does not have read 0 in the
    views; on screen they are "no data" ("—", nothing drawn), never a fact of zero."""
    return frame.assign(**{c: float("nan") for c in columns if c in frame.columns})


def needs(metric_id: str) -> tuple[str, ...]:
    return coverage.NEEDS.get(metric_id, ())


def lacks(ctx: Context, metric_id: str) -> bool:
    """Whether KPI `metric_id` cannot be computed from the loaded data (it then reads "—", not 0)."""
    return lacking(ctx, *needs(metric_id))


def no_rows_message(ctx: Context, what: str, needs: tuple[str, ...] = ()) -> str:
    """'No status reports for this selection up to 2025-03 (data covers 2023-07 to 2025-06).' — or,
    when the loaded data has none of the inputs `needs` names (pmo_metrics.coverage.INPUTS), that:
    'No resources with capacity: the loaded data has no resources (HR data).'"""
    missing = coverage.sentence(coverage.lacking(ctx.held, *needs))
    if missing:
        return f"No {what}: {fmt.clause(missing)}"
    span = ctx.data_months or {}
    cover = (f" The data covers {span.get('first')} to {span.get('last')}."
             if span.get("first") and span.get("last") else "")
    scope = " for this selection" if ctx.filters.is_filtered else ""
    return f"No {what}{scope} up to {ctx.as_of}.{cover}"


def as_of_end(ctx: Context):
    return month_end(ctx.as_of) if ctx.as_of else None


def page_style() -> None:
    """The house stylesheet every page shares (theme.PAGE_CSS: fixed text, no data in it)."""
    st.markdown(theme.PAGE_CSS, unsafe_allow_html=True)


def presentation_style() -> None:
    """The monthly review's large, high-contrast type, in the viewer's light or dark theme."""
    st.markdown(theme.projector_css(st.context.theme.type or "light"), unsafe_allow_html=True)


def theme_type() -> str:
    """'light' or 'dark': the theme the viewer's app shows (light until the browser has said)."""
    return st.context.theme.type or "light"


def chart(fig, *, key: str | None = None, on_select: str = "ignore", selection_mode=("points",),
          height: int | str = "content"):
    """Show a figure from pmo_metrics.charts in its own theme (not Streamlit's), drawn for the
    viewer's light or dark theme."""
    title, note = charts.titles(fig)
    if not fig.data:   # every series was empty: a sentence, never empty axes with a legend
        empty(esc(f"{html.unescape(title).split(' (')[0]}: {html.unescape(note or 'nothing to draw.')}"))
        return None
    if title:
        # The chart module escapes names for plotly; the title is shown as text, never as markup.
        st.markdown(f"**{esc(html.unescape(title.replace('<br>', ' ')))}**")
    fig = charts.themed(charts.untitled(fig, copy=False), theme_type())
    if height == "stretch":   # the container decides the height (the review's screens), not the figure
        fig.update_layout(height=None, autosize=True)
    kwargs: dict[str, Any] = {"theme": None, "config": {"displaylogo": False, "responsive": True},
                              "height": height}
    if key is not None:
        kwargs["key"] = key
    if on_select != "ignore":
        kwargs.update(on_select=on_select, selection_mode=selection_mode)
    event = st.plotly_chart(fig, **kwargs)
    if note:
        st.caption(esc(html.unescape(note)))
    return event


# -- KPI cards --------------------------------------------------------------------------------------

_STATUS_WORDS = {"green": "On target", "amber": "Watch", "red": "Off target"}


def kpi_cards(frame: pd.DataFrame, ids: list[str], per_row: int = 4, notes: dict[str, str] | None = None) -> None:
    """One bordered card per metric: value (money in the configured currency), month-over-month change,
    and the registry's RAG status. A KPI the loaded data cannot support reads "—" with the reason
    (pmo_metrics.coverage) — never 0 — and an empty one says when the KPI is empty."""
    ctx = context()
    rows = frame.set_index("id")
    notes = notes or {}
    # The month compared with, short enough for a card a quarter of a 1280-px projector wide (the
    # heading above the cards names both months with their year).
    since = f"vs {fmt.month_abbr(previous_month(ctx.as_of))}" if ctx.as_of else "vs previous month"
    for start in range(0, len(ids), per_row):
        cols = st.columns(per_row)
        for col, mid in zip(cols, ids[start:start + per_row]):
            m = metrics.get(mid)
            r = rows.loc[mid] if mid in rows.index else None
            why = coverage.reason(ctx.held, mid)
            value = None if r is None or why else r["value"]
            change = None if r is None or why or fmt.is_missing(r["change"]) else r["change"]
            delta = None if change is None else fmt.change(m.unit, change, m.fmt, currency=ctx.currency)
            colour = "off" if m.good == "neutral" or change in (None, 0) else (
                "normal" if m.good == "up" else "inverse")
            status = None if r is None or why else r["status"]
            before = None if r is None or why else r["previous"]
            if why is None and fmt.is_missing(value):
                why = empty_reason(m, ctx)
            with col.container(border=True):
                st.metric(m.label, metrics.format_value(mid, value, ctx.currency), delta=delta, delta_color=colour,
                          delta_arrow="off" if change == 0 else "auto",
                          help=f"{m.definition}\n\nPrevious month: {metrics.format_value(mid, before, ctx.currency)}",
                          delta_description=since if delta else None)
                if isinstance(status, str) and status in _STATUS_WORDS:
                    status_chip(_STATUS_WORDS[status], status)
                for text in (why, notes.get(mid)):
                    if text:
                        st.caption(esc(text))
                if st.button("Rows behind", key=f"rows_{mid}", type="tertiary", icon=":material/table_rows:",
                             help="The rows this figure was computed from, with the file and row each came from"):
                    rows_behind(mid)


@st.dialog("The rows behind the figure", width="large")
def rows_behind(metric_id: str) -> None:
    """The rows a KPI at M was computed from (counted ones first), each with its source file, row and
    load, and their downloads."""
    ctx = context()
    m = metrics.get(metric_id)
    rows = cached(lineage.kpi_rows_with_sources)(metric_id, ctx.filters)
    counted = int(rows["counted"].sum()) if "counted" in rows else 0
    st.markdown(f"**{esc(m.label)}**, {esc(ctx.as_of)}: {len(rows):,} rows, {counted:,} of them counted "
                "(in the numerator, or adding to the sum).")
    table(rows, f"{m.label} rows {ctx.as_of}", key=f"rows_table_{metric_id}",
          empty_message=f"No rows behind {m.label} for this selection in {ctx.as_of}.")


_EMPTY_WHEN = re.compile(r"[^.]*\bempty when\b[^.]*\.", re.I)


def empty_reason(m: metrics.Metric, ctx: Context) -> str:
    """Why a KPI has no value although its inputs are loaded: its definition's own 'empty when …'."""
    found = _EMPTY_WHEN.search(m.definition)
    if found:
        text = found.group(0).strip()
        return text[:1].upper() + text[1:]
    return f"No value for this selection in {ctx.as_of}."


def status_chip(text: str, state: str | None) -> None:
    """A status as its word on its colour (theme.RAG_CELLS, readable on either theme). `text` is the
    product's own wording, escaped all the same."""
    ground, ink = theme.RAG_CELLS.get(state or "none", theme.RAG_CELLS["none"])
    st.markdown(f'<span class="pmo-chip" style="background:{ground};color:{ink}">{html.escape(text)}</span>',
                unsafe_allow_html=True)


def rag_badge(label: str, rag: str | None) -> None:
    """A RAG rating as a coloured chip with its word: 'Overall: Red'."""
    status_chip(f"{label}: {fmt.label(rag, 'rag', empty='not rated')}", rag if rag in theme.RAG_CELLS else None)


# -- tables -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    """How a table shows one column: its heading and the kind of value, which decides its number
    format on screen and in the Excel download (pmo_metrics.formatting.DECIMALS: one vocabulary).

    kinds: text; enum (a coded value shown as words, `enumeration` names the codes); rag (a RAG
    rating as a coloured status: colour and word); count; money (whole units in the configured
    currency, thousands separated); share (0–1, shown as '45.2 %'); percent (already 0–100, as
    percent_complete); hours; days; ratio; score; number (a measured value in its own unit); date;
    datetime; check. A table passes its columns by name, so nothing else is formatted as money."""

    label: str
    kind: str = "text"
    number_format: str | None = None   # an explicit sprintf format, for a number no kind describes
    width: str | None = None
    enumeration: str | None = None
    decimals: int | None = None
    help: str | None = None

    @property
    def places(self) -> int:
        return fmt.DECIMALS.get(self.kind, 0) if self.decimals is None else self.decimals

    def config(self, currency: str = "") -> Any:
        c = st.column_config
        common = {"help": self.help}
        if self.number_format:
            return c.NumberColumn(self.label, format=self.number_format, **common)
        if self.kind in _PRINTF:
            return c.NumberColumn(self.label, format=_PRINTF[self.kind](self.places, currency), **common)
        if self.kind == "number":
            return c.NumberColumn(self.label, format="localized", **common)
        if self.kind == "date":
            return c.DateColumn(self.label, format="YYYY-MM-DD", **common)
        if self.kind == "datetime":
            return c.DatetimeColumn(self.label, format="YYYY-MM-DD HH:mm", **common)
        if self.kind == "check":
            return c.CheckboxColumn(self.label, **common)
        return c.TextColumn(self.label, width=self.width, **common)

    def field(self, name: str) -> downloads.Field:
        return downloads.Field(name, self.label, self.kind, self.enumeration, self.decimals)


def _printf_literal(text: str) -> str:
    return text.replace("%", "%%")


# sprintf-js formats of the numeric kinds (Streamlit's NumberColumn): ',' separates thousands.
_PRINTF = {
    "count": lambda n, cur: "%,d",
    "money": lambda n, cur: f"{_printf_literal(cur)}%,.{n}f",
    "share": lambda n, cur: f"%.{n}f %%",       # the screen shows the share × 100 (see on_screen)
    "percent": lambda n, cur: f"%.{n}f %%",
    "hours": lambda n, cur: f"%,.{n}f",
    "days": lambda n, cur: f"%,.{n}f",
    "ratio": lambda n, cur: f"%.{n}f",
    "score": lambda n, cur: f"%.{n}f",
    "signed": lambda n, cur: f"%+.{n}f",
}


def text_col(label: str, width: str | None = None, help: str | None = None) -> Column:
    return Column(label, "text", width=width, help=help)


def enum_col(label: str, enumeration: str) -> Column:
    """A coded column ('on_hold') shown as its words ('On hold')."""
    return Column(label, "enum", enumeration=enumeration)


def rag_col(label: str = "RAG") -> Column:
    """A RAG rating as a coloured status: the word on the rating's colour."""
    return Column(label, "rag", enumeration="rag")


def count_col(label: str, help: str | None = None) -> Column:
    return Column(label, "count", help=help)


def num_col(label: str, number_format: str | None = None, help: str | None = None) -> Column:
    """A measured value in its own unit (a benefit's baseline); `number_format` (sprintf, '%.1f')
    for one no other kind describes."""
    return Column(label, "number", number_format, help=help)


def ratio_col(label: str, help: str | None = None) -> Column:
    return Column(label, "ratio", help=help)


def score_col(label: str, decimals: int | None = None) -> Column:
    return Column(label, "score", decimals=decimals)


def days_col(label: str) -> Column:
    return Column(label, "days")


def hours_col(label: str, decimals: int | None = None) -> Column:
    return Column(label, "hours", decimals=decimals)


def money_col(label: str, help: str | None = None) -> Column:
    """Money in the reporting currency: whole units with thousands separators on screen."""
    return Column(label, "money", help=help)


def pct_col(label: str, help: str | None = None) -> Column:
    """A share (0–1) as a percentage with one decimal."""
    return Column(label, "share", help=help)


def percent_col(label: str) -> Column:
    """A value already in percent (0–100), as percent_complete is."""
    return Column(label, "percent")


def date_col(label: str) -> Column:
    return Column(label, "date")


def datetime_col(label: str) -> Column:
    return Column(label, "datetime")


def check_col(label: str) -> Column:
    return Column(label, "check")


def on_screen(df: pd.DataFrame, columns: dict[str, Column], limit: int) -> pd.DataFrame:
    """The rows a table shows (the first `limit`), as the screen reads them: a code as its words, a
    share × 100 (the column format adds ' %'). Each change is made by the column's name and kind;
    every other value is passed on untouched, so the grid formats the numbers the data holds."""
    shown = df.head(limit) if limit and len(df) > limit else df
    changed: dict[str, pd.Series] = {}
    for name, spec in columns.items():
        if name not in shown.columns:
            continue
        if spec.kind in ("enum", "rag"):
            changed[name] = shown[name].map(lambda v, e=spec.enumeration: fmt.label(v, e, empty=None)).astype(object)
        elif spec.kind == "share":
            changed[name] = pd.to_numeric(shown[name], errors="coerce") * 100
    return shown.assign(**changed) if changed else shown


def _rag_style(value: Any) -> str:
    """The cell style of a RAG word: its status colours (theme.RAG_CELLS), readable on both themes."""
    for state, word in fmt.RAG_LABELS.items():
        if value == word:
            ground, ink = theme.RAG_CELLS[state]
            return f"background-color: {ground}; color: {ink}"
    return ""


def table(df: pd.DataFrame, name: str, *, columns: dict[str, Column] | None = None, key: str | None = None,
          selectable: bool = False, empty_message: str | None = None, height: int | str = "auto"):
    """A dataframe with CSV and Excel downloads of every row, headed and worded as on screen.
    `columns` maps column name → Column (columns not named are neither shown nor downloaded).
    A missing value reads "—". Returns the selection event when `selectable`."""
    if df is None or df.empty:
        if empty_message:
            empty(empty_message)
        return None
    columns = {name_: spec for name_, spec in (columns or {}).items() if name_ in df.columns}
    currency = context().currency
    shown = on_screen(df, columns, context().settings.table_row_limit)
    kwargs: dict[str, Any] = {"hide_index": True, "height": height, "placeholder": fmt.NO_DATA, "alt": name}
    if columns:
        kwargs["column_config"] = {c: spec.config(currency) for c, spec in columns.items()}
        kwargs["column_order"] = list(columns)
    if key is not None:
        kwargs["key"] = key
    if selectable:
        kwargs.update(on_select="rerun", selection_mode="single-row")
    rag = [c for c, spec in columns.items() if spec.kind == "rag"]
    data = shown.style.map(_rag_style, subset=rag) if rag else shown
    event = st.dataframe(data, **kwargs)
    if len(shown) < len(df):
        st.caption(f"Showing the first {len(shown):,} of {len(df):,} rows; the downloads hold every row.")
    download_buttons(df, name, key=key or name, fields=[spec.field(c) for c, spec in columns.items()])
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


def download_buttons(df: pd.DataFrame, name: str, key: str, fields: list[downloads.Field] | None = None) -> None:
    """CSV and Excel of every row, headed and worded as on screen (`fields`; default: every column
    as it is)."""
    fields = fields or [downloads.Field(str(c), str(c)) for c in df.columns]
    stem = downloads.file_stem(name)
    currency = context().currency
    rag = tuple(f.header for f in fields if f.kind == "rag")
    row = st.container(horizontal=True, gap="small")
    row.download_button("CSV", data=lambda: downloads.to_csv_bytes(downloads.as_shown(df, fields)),
                        file_name=f"{stem}.csv", mime="text/csv", key=f"dl_csv_{key}", on_click="ignore",
                        icon=":material/download:", help=f"Download every row of “{esc(name)}” as CSV")
    row.download_button("Excel", data=lambda: downloads.to_excel_bytes(
                            downloads.as_shown(df, fields), sheet=name,
                            number_formats=downloads.excel_formats(fields, currency), rag_columns=rag),
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


def _client() -> str | None:
    """The address the browser connects from (None when unknown): the lock-out counts per address."""
    try:
        address = st.context.ip_address
    except Exception:  # noqa: BLE001 — no request context (a bare run): one shared count
        return None
    return address if isinstance(address, str) else None  # None also for localhost


def _locked_for(failures: int, last: float | None) -> float:
    throttle = _throttle()
    return max(throttle.locked_for(failures, last), throttle.client_locked_for(_client()))


def _check_password(expected: str, box: str) -> None:
    given = st.session_state.get(box) or ""
    st.session_state[box] = ""  # never kept in the session
    if not given:
        return
    failures, last = st.session_state.get(LEAD_FAILURES, (0, None))
    if _locked_for(failures, last) > 0:
        return
    if access.password_matches(given, expected):
        st.session_state[LEAD_UNLOCKED] = access.password_fingerprint(expected)
        st.session_state.pop(LEAD_FAILURES, None)
        return
    time.sleep(_throttle().failed(_client()))
    st.session_state[LEAD_FAILURES] = (failures + 1, time.monotonic())


def pmo_lead_unlocked(expected: str, prompt: str, box: str) -> bool:
    """Whether this session has given the PMO-lead password `expected`; otherwise `prompt` and the
    password box (widget key `box`), or the lock-out after too many wrong guesses."""
    if st.session_state.get(LEAD_UNLOCKED) == access.password_fingerprint(expected):
        return True
    failures, last = st.session_state.get(LEAD_FAILURES, (0, None))
    wait = _locked_for(failures, last)
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
    """First start without a database: write the small demo batch and the month-end extracts before it,
    and load them (the months oldest first, the batch last), showing progress."""
    if database_version(settings.database_path) is not None:
        return
    # Imported here, not at the top: the demo generator and the loader (most of a second to import)
    # are needed once, on a server's first start without data.
    from pmo_metrics.demo_history import load_demo
    from pmo_metrics.warehouse import LoadBusy

    bar = st.progress(0.0, text="No database yet: generating the demo data …")
    try:
        result = load_demo(settings.demo_dir, settings.database_path, seed=settings.demo_seed,
                           months=settings.demo_history_months,
                           progress=lambda msg, f: bar.progress(min(f, 1.0), text=msg))
    except LoadBusy:
        result = None  # another session is loading the demo at this moment; its result is used
    finally:
        bar.empty()
    if result is not None and not result.ok:
        st.error(f"The demo data could not be loaded: {esc(result.message)}")
