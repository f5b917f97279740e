"""The monthly performance pack: the review of `pmo_metrics.review` as a PowerPoint deck or as one
HTML file.

* `.pptx` — laid out by `pmo_metrics.slides`: a title slide, the executive summary, one 16:9 slide
  per section with its chart as a native, editable PowerPoint chart and its key table, slide
  numbers, caveats in the speaker notes, and an appendix with every other table.
* `.html` — one self-contained file with the interactive plotly figures of the dashboard's chart
  module. plotly.js is embedded once, inline, so the file opens offline and fetches nothing: there
  is no `<script src>` or `<link href>` to any address. Names from the data are HTML-escaped. Its
  tables are written by `table_html`, which the review's screen uses too (RAG words as coloured
  chips, numbers right-aligned, "top 7 of 22" when a screen shows only the first rows).

`write_report` is what the command line calls (`python -m pmo_metrics report`; money in the
`currency_symbol` setting unless told otherwise); the review page uses `render` for its download
buttons.
"""
from __future__ import annotations

import html
import os
import uuid
from pathlib import Path

from . import charts, slides, theme
from .db import cursor_for, open_readonly
from .filters import Filters
from .settings import load_settings
from .formatting import NO_DATA
from .review import Review, ReviewError, Table, build_review, section_figure
from .review.figure_notes import with_notes
from .review.model import numeric_columns, status_parts

FORMATS = {".pptx": "PowerPoint deck", ".html": "HTML page"}
PPTX_MIME = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
HTML_MIME = "text/html"

# Slide geometry (16:9) and type sizes, in points and inches. Large enough to read from the back
# of a meeting room.
SLIDE_W, SLIDE_H = 13.333, 7.5
MARGIN = 0.45
TITLE_PT, MESSAGE_PT, POINT_PT, TABLE_PT, NOTE_PT = 28, 18, 14, 10, 10
SLIDE_TABLE_COLUMNS = 6        # columns a slide table shows at most

INK, MUTED, HEADER_FILL, STRIPE_FILL = theme.INK, theme.MUTED, theme.BRAND, theme.PANEL


class ReportError(ReviewError):
    """The pack cannot be written as asked (unsupported file type, a month without data)."""


# -- entry points ----------------------------------------------------------------------------------

def report_format(out: str | Path) -> str:
    """'.pptx' or '.html' from a file name; ReportError for anything else."""
    suffix = Path(out).suffix.lower()
    if suffix not in FORMATS:
        shown = suffix or "no extension"
        raise ReportError(f"cannot write a pack as {shown!r}: give a file name ending in .pptx or .html")
    return suffix


def write_report(db_path, as_of: str | None, out, previous: str | None = None,
                 filters: Filters | None = None, currency: str | None = None, store=None) -> Path:
    """Write the pack for month `as_of` (default: the latest month with status reports) compared
    with `previous` (default: the month before) to `out` (.pptx or .html); returns the path. With
    an app-state `store`, the notes written on the figures go with them (review.figure_notes).

    The file is written next to its destination and moved into place, so a failed run never leaves
    a half-written pack behind.
    """
    out = Path(out)
    fmt = report_format(out)
    if out.is_dir():
        raise ReportError(f"{out} is a folder: give the pack's file name, e.g. {out / 'pack'}{fmt}")
    filters = (filters or Filters())
    if as_of is not None:
        filters = filters.with_as_of(as_of)
    con = open_readonly(db_path)
    try:
        currency = load_settings().currency_symbol if currency is None else currency
        cur = cursor_for(con)
        data = render(with_notes(cur, build_review(cur, filters, previous, currency), store, currency), fmt, currency)
    finally:
        con.close()
    tmp = out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "xb") as fh:
            fh.write(data)
        os.replace(tmp, out)
    except OSError as exc:
        _discard(tmp)
        raise ReportError(f"cannot write {out}: {exc.strerror or exc}") from exc
    except BaseException:
        _discard(tmp)
        raise
    return out


def _discard(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass  # nothing was written there (its folder does not exist)


def file_name(review: Review, fmt: str) -> str:
    """'pmo-review-2025-06.pptx'."""
    return f"pmo-review-{review.as_of}{fmt}"


# -- HTML -------------------------------------------------------------------------------------------------

# A fixed stylesheet in the house colours (theme.py): nothing from the data is ever written into it.
_CSS = f"""
:root {{ --ink: {theme.INK}; --muted: {theme.MUTED}; --brand: {theme.BRAND}; --line: {theme.LINE};
         --stripe: {theme.STRIPE}; --on-brand: {theme.WHITE}; }}""" + """
* { box-sizing: border-box; }
body { font-family: "Source Sans 3", "Segoe UI", Helvetica, Arial, sans-serif; color: var(--ink);
       margin: 0 auto; max-width: 1280px; padding: 24px 32px 64px; font-size: 17px; line-height: 1.45; }
header h1 { color: var(--brand); font-size: 34px; margin: 0 0 4px; }
header p { color: var(--muted); margin: 0 0 12px; }
nav ol { columns: 3; padding-left: 20px; margin: 8px 0 24px; }
nav a { color: var(--brand); }
section { border-top: 3px solid var(--brand); padding: 18px 0 28px; page-break-before: always; }
section h2 { color: var(--brand); font-size: 28px; margin: 0 0 6px; }
.message { font-size: 22px; font-weight: 700; margin: 0 0 8px; }
.points { color: var(--muted); margin: 0 0 12px; }
.note { color: var(--muted); font-size: 14px; font-style: italic; }
.annotation { font-size: 14px; border-left: 3px solid var(--muted); padding-left: 8px; }
.figure { margin: 8px 0 16px; }
h3 { font-size: 18px; margin: 18px 0 6px; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 15px; }
th { background: var(--brand); color: var(--on-brand); text-align: left; padding: 6px 8px; position: sticky; top: 0; }
td { border-bottom: 1px solid var(--line); padding: 5px 8px; vertical-align: top; }
th.num, td.num { text-align: right; }
.rag { border-radius: 4px; padding: 1px 6px; font-weight: 600; white-space: nowrap; }
.count, .more { color: var(--muted); font-weight: normal; }
tr:nth-child(even) td { background: var(--stripe); }
.empty { color: var(--muted); }
footer { color: var(--muted); font-size: 13px; margin-top: 32px; }
@media print { nav { display: none; } section { page-break-inside: avoid; } }
"""

_PLOTLY_CONFIG = {"displaylogo": False, "responsive": True,
                  "modeBarButtonsToRemove": ["sendDataToCloud", "lasso2d", "select2d"]}


def _e(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _chips(value) -> str:
    if value is None:
        return ""
    html_parts = []
    for text, state in status_parts(value):
        if state is None:
            html_parts.append(_e(text))
        else:
            ground, ink = theme.RAG_CELLS[state]
            html_parts.append(f'<span class="rag" style="background:{ground};color:{ink}">{_e(text)}</span>')
    return "".join(html_parts)


def table_html(table: Table, *, limit: int | None = None, brief: bool = False, more: str = "") -> str:
    """A review table as HTML: the slide's columns when `brief`, the first `limit` rows with the
    title saying so ('top 7 of 22') and `more` ('… and 15 more below') under it; RAG words as
    coloured chips, numbers right-aligned, a row's hint (why a figure is empty) on hover. Every
    text is escaped."""
    if table.is_empty:
        return f'<div class="pmo-table"><h3>{_e(table.title)}</h3><p class="empty">{_e(table.empty_text)}</p></div>'
    frame = table.brief if brief else table.frame
    shown = frame.head(limit) if limit else frame
    cut = len(frame) - len(shown)
    title = _e(table.title) + (f' <span class="count">(top {len(shown):,} of {len(frame):,})</span>' if cut else "")
    numbers = numeric_columns(shown)
    kind = {c: "num" if c in numbers else ("status" if c in table.status_columns else "txt") for c in shown.columns}
    # Numbers and statuses get the width they need (never cut); text columns share the rest, cut
    # with an ellipsis (the whole text on hover and in the appendix).
    widths = {c: _ch_width(shown[c], c, kind[c]) for c in shown.columns if kind[c] != "txt"}
    cols = "".join(f'<col style="width:{widths[c]:.1f}ch">' if c in widths else "<col>" for c in shown.columns)
    head = "".join(f'<th class="{kind[c]}">{_e(c)}</th>' for c in shown.columns)
    rows = []
    for i, row in enumerate(shown.itertuples(index=False, name=None)):
        hint = table.hints.get(i)
        cells = []
        for col, v in zip(shown.columns, row):
            body = _chips(v) if col in table.status_columns else _e(v if v is not None else NO_DATA)
            cells.append(f'<td class="{kind[col]}" title="{_e(v if v is not None else "")}">{body}</td>')
        rows.append(f'<tr title="{_e(hint)}">' + "".join(cells) + "</tr>" if hint else "<tr>" + "".join(cells) + "</tr>")
    tail = f'<div class="more">… and {cut:,} more{_e(more)}</div>' if cut else ""
    return (f'<div class="pmo-table"><h3>{title}</h3><div class="table-wrap"><table><colgroup>{cols}</colgroup>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>{tail}</div>")


def _ch_width(values, header: str, kind: str) -> float:
    """The width, in `ch` of the table's type, a number or status column needs: its longest text
    (a bold chip is wider, with its padding), its heading's longest word, and the cell padding."""
    texts = [str(v) for v in values if v is not None]
    if kind == "status":
        longest = max([sum(len(t) * 1.15 + (2.2 if state else 0) for t, state in status_parts(v)) for v in texts],
                      default=0)
    else:
        longest = max((len(t) for t in texts), default=0)
    return max(longest, max(len(w) for w in str(header).split()) * 1.1) + 2.5



def render_html(review: Review, currency: str = "") -> str:
    """The pack as one self-contained HTML document (plotly.js inline, no external resources)."""
    parts: list[str] = []
    plotly_js_included = False
    for i, section in enumerate(review.sections, start=1):
        fig = section_figure(section, currency)
        figure_html = ""
        if fig is not None:
            # The title and the note go beside the figure, where they wrap (see charts.titles).
            title, note = charts.titles(fig)
            fig = charts.untitled(fig)
            # The first figure carries plotly.js inline; the others reuse it. Never a CDN: the file
            # must open on a laptop in a meeting room without a network. (The title is already
            # escaped by the chart module: it goes in as it is.)
            figure_html = f'<h3>{title.replace("<br>", " ")}</h3>' + '<div class="figure">' + fig.to_html(
                full_html=False, include_plotlyjs=not plotly_js_included, include_mathjax=False,
                config=_PLOTLY_CONFIG, div_id=f"figure-{section.key}") + "</div>" + (
                f'<p class="note">{note}</p>' if note else "")
            plotly_js_included = True
        points = "".join(f"<li>{_e(p)}</li>" for p in section.points)
        notes = "".join(f'<p class="annotation">✎ {_e(n)}</p>' for n in section.annotations) + "".join(
            f'<p class="note">{_e(n)}</p>' for n in section.notes)
        parts.append(
            f'<section id="{_e(section.key)}"><h2>{i}. {_e(section.title)}</h2>'
            f'<p class="message">{_e(section.message)}</p><ul class="points">{points}</ul>{figure_html}'
            + "".join(table_html(t) for t in section.tables + section.details) + notes + "</section>")
    toc = "".join(f'<li><a href="#{_e(s.key)}">{_e(s.title)}</a></li>' for s in review.sections)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{_e(review.title)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{_e(review.title)}</h1><p>{_e(review.subtitle)}</p></header>"
        f"<nav><ol>{toc}</ol></nav>{''.join(parts)}"
        f"<footer>Generated {review.generated_at:%Y-%m-%d %H:%M} from the PMO warehouse. KPI definitions: "
        "see the glossary.</footer></body></html>\n")


def render_pptx(review: Review, currency: str = "") -> bytes:
    """The deck as bytes (pmo_metrics.slides lays it out)."""
    return slides.render_pptx(review, currency)


def render(review: Review, fmt: str, currency: str = "") -> bytes:
    """The pack in format '.pptx' or '.html', as bytes (`currency` prefixes money on axes and in figures)."""
    fmt = report_format(f"pack{fmt}")
    return render_pptx(review, currency) if fmt == ".pptx" else render_html(review, currency).encode("utf-8")


__all__ = ["write_report", "render_pptx", "render_html", "render", "report_format", "file_name", "ReportError",
           "FORMATS", "PPTX_MIME", "HTML_MIME"]
