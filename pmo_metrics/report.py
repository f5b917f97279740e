"""The monthly performance pack: the review of `pmo_metrics.review` as a PowerPoint deck or as one
HTML file.

* `.pptx` — a title slide and one 16:9 slide per section: the section's message and points, its
  chart as a native, editable PowerPoint chart (the numbers live in the chart's own data sheet,
  so anyone can restyle or re-plot it) and its tables as PowerPoint tables. Text cells, category
  labels and series names that start with = + - @ get a leading apostrophe: PowerPoint keeps a
  chart's data in an embedded workbook, where such a value would otherwise run as a formula.
* `.html` — one self-contained file with the interactive plotly figures of the dashboard's chart
  module. plotly.js is embedded once, inline, so the file opens offline and fetches nothing: there
  is no `<script src>` or `<link href>` to any address. Names from the data are HTML-escaped.

`write_report` is what the command line calls (`python -m pmo_metrics report`); the review page
uses `render_pptx` / `render_html` for its download buttons.
"""
from __future__ import annotations

import html
import io
import os
import uuid
from pathlib import Path

from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.enum.text import PP_ALIGN
from pptx.util import Inches, Pt

from . import theme
from .db import cursor_for, open_readonly
from .downloads import neutralise_cell
from .filters import Filters
from .formatting import RAG_LABELS
from .review import Chart, Review, ReviewError, Section, Table, build_review, section_figure

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
                 filters: Filters | None = None) -> Path:
    """Write the pack for month `as_of` (default: the latest month with status reports) compared
    with `previous` (default: the month before) to `out` (.pptx or .html); returns the path.

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
        data = render(build_review(cursor_for(con), filters, previous), fmt)
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


# -- PowerPoint ------------------------------------------------------------------------------------------

def _cell(value, limit: int | None = None) -> str:
    """A value as inert slide text: empty for None, cut to `limit`, formula prefixes neutralised."""
    if value is None:
        return ""
    text = str(value)
    if limit and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return neutralise_cell(text)


def render_pptx(review: Review) -> bytes:
    """The deck as bytes: a title slide, then one slide per section."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(SLIDE_W), Inches(SLIDE_H)
    prs.core_properties.title = review.title
    prs.core_properties.subject = review.subtitle
    _title_slide(prs, review)
    for section in review.sections:
        _section_slide(prs, review, section)
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def _rgb(hex_colour: str):
    return RGBColor.from_string(hex_colour.lstrip("#").upper())


def _style_runs(paragraph, size: int, bold: bool = False, colour: str = INK) -> None:
    for run in paragraph.runs:
        run.font.size = Pt(size)
        run.font.bold = bold
        run.font.color.rgb = _rgb(colour)


def _set_title(slide, text: str, top: float = 0.3, size: int = TITLE_PT) -> None:
    title = slide.shapes.title
    title.left, title.top = Inches(MARGIN), Inches(top)
    title.width, title.height = Inches(SLIDE_W - 2 * MARGIN), Inches(0.8)
    title.text_frame.text = text
    title.text_frame.word_wrap = True
    p = title.text_frame.paragraphs[0]
    p.alignment = PP_ALIGN.LEFT
    _style_runs(p, size, bold=True, colour=HEADER_FILL)


def _text_box(slide, left, top, width, height, paragraphs: list[tuple[str, int, bool, str]],
              bullets: bool = False):
    box = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
    tf = box.text_frame
    tf.word_wrap = True
    for i, (text, size, bold, colour) in enumerate(paragraphs):
        p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        p.text = ("• " if bullets else "") + text
        p.space_after = Pt(6)
        _style_runs(p, size, bold, colour)
    return box


def _title_slide(prs, review: Review) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[5])  # "Title Only": keeps a real title placeholder
    _set_title(slide, review.title, top=2.3, size=40)
    _text_box(slide, MARGIN, 3.3, SLIDE_W - 2 * MARGIN, 1.6, [
        (review.subtitle, 22, False, INK),
        (f"Sections: {', '.join(s.title for s in review.sections)}", 16, False, MUTED),
        (f"Generated {review.generated_at:%Y-%m-%d %H:%M} from the PMO warehouse", 14, False, MUTED),
    ])


def _section_slide(prs, review: Review, section: Section) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[5])
    _set_title(slide, section.title)
    _text_box(slide, MARGIN, 1.0, SLIDE_W - 2 * MARGIN, 0.7, [(section.message, MESSAGE_PT, True, INK)])
    _text_box(slide, MARGIN, 1.7, SLIDE_W - 2 * MARGIN, 1.0,
              [(p, POINT_PT, False, MUTED) for p in section.points[:3]], bullets=True)
    top, bottom = 2.8, SLIDE_H - 0.45
    tables = section.tables
    if section.chart is not None:
        chart_w = 6.0 if tables else SLIDE_W - 2 * MARGIN
        _native_chart(slide, section.chart, MARGIN, top, chart_w, bottom - top)
        _tables(slide, tables, MARGIN + chart_w + 0.25, top, SLIDE_W - 2 * MARGIN - chart_w - 0.25, bottom - top)
    else:
        _tables(slide, tables, MARGIN, top, SLIDE_W - 2 * MARGIN, bottom - top)
    # The footer carries the section's caveats, else where the slide comes from; one line.
    foot = " ".join(section.notes) or f"{review.title} · {review.subtitle}"
    _text_box(slide, MARGIN, SLIDE_H - 0.42, SLIDE_W - 2 * MARGIN, 0.3,
              [(_cell(foot, 190), NOTE_PT, False, MUTED)])


_CHART_TYPES = {"column": "COLUMN_CLUSTERED", "bar": "BAR_CLUSTERED", "stacked_bar": "BAR_STACKED",
                "line": "LINE_MARKERS", "radar": "RADAR_MARKERS"}


def _series_colour(name: str, index: int) -> str:
    """A series named after a RAG state ('Red in June 2025') in that state's colour, others in the palette's."""
    for state, label in RAG_LABELS.items():
        if name.startswith(label):
            return theme.RAG_COLOURS[state]
    return theme.CATEGORICAL[index % len(theme.CATEGORICAL)]


def _native_chart(slide, chart: Chart, left, top, width, height):
    """The chart as a PowerPoint chart object fed with CategoryChartData (never a picture)."""
    data = CategoryChartData(number_format=chart.number_format)
    data.categories = [_cell(c) for c in chart.categories]
    for name, values in chart.series.items():
        data.add_series(_cell(name), values)
    kind = getattr(XL_CHART_TYPE, _CHART_TYPES[chart.style])
    frame = slide.shapes.add_chart(kind, Inches(left), Inches(top), Inches(width), Inches(height), data)
    c = frame.chart
    c.has_title = True
    c.chart_title.text_frame.text = chart.title
    _style_runs(c.chart_title.text_frame.paragraphs[0], 13, bold=True)
    c.font.size = Pt(11)
    c.has_legend = len(chart.series) > 1
    if c.has_legend:
        c.legend.position = XL_LEGEND_POSITION.BOTTOM
        c.legend.include_in_layout = False
    if chart.style != "radar":
        axis = c.value_axis
        axis.tick_labels.number_format = chart.number_format
        axis.tick_labels.number_format_is_linked = False
        axis.has_major_gridlines = True
        if chart.style in ("bar", "stacked_bar"):
            # Bars list the first category at the top, as the tables beside them do.
            c.category_axis.reverse_order = True
    if chart.style == "stacked_bar":
        c.plots[0].overlap = 100
    for i, series in enumerate(c.series):
        colour = _rgb(_series_colour(list(chart.series)[i], i))
        if chart.style in ("line", "radar"):
            series.format.line.color.rgb = colour
            series.format.line.width = Pt(2.5)
            series.smooth = False
        else:
            series.format.fill.solid()
            series.format.fill.fore_color.rgb = colour
    return frame


def _tables(slide, tables: list[Table], left, top, width, height) -> None:
    """The section's tables, stacked, each given an equal share of the height (two at most)."""
    shown = tables[:2]
    if not shown:
        return
    share = (height - 0.12 * (len(shown) - 1)) / len(shown)
    y = top
    for t in shown:
        _table_shape(slide, t, left, y, width, share)
        y += share + 0.12


_CHARS_PER_INCH = 15.0   # at TABLE_PT, a conservative average
_LINE_IN = 0.18          # one line of TABLE_PT text
_CELL_PAD_IN = 0.08      # cell margins, top and bottom


def _layout_columns(frame, columns: list[str], width: float) -> list[float]:
    """Column widths in inches: by the length of their texts, capped so no column takes over."""
    lengths = [min(36, max([len(str(col))] + [len(str(v)) for v in frame[col].head(30) if v is not None])) + 3
               for col in columns]
    return [width * n / sum(lengths) for n in lengths]


def _row_height(texts: list[str], widths: list[float]) -> float:
    lines = max(max(1, -(-len(t) // max(1, int(w * _CHARS_PER_INCH)))) for t, w in zip(texts, widths))
    return lines * _LINE_IN + _CELL_PAD_IN


def _table_shape(slide, table: Table, left, top, width, height) -> None:
    """One PowerPoint table: as many rows as fit in `height`, and a line saying how many more
    the HTML pack holds. Cells are cut to two lines."""

    _text_box(slide, left, top, width, 0.3, [(table.title, 12, True, INK)])
    top += 0.34
    height -= 0.34
    if table.is_empty:
        _text_box(slide, left, top, width, 0.3, [(table.empty_text, 11, False, MUTED)])
        return
    frame = table.frame
    columns = list(table.slide_columns or frame.columns)[:SLIDE_TABLE_COLUMNS]
    widths = _layout_columns(frame, columns, width)
    limits = [max(8, int(2 * w * _CHARS_PER_INCH) - 2) for w in widths]
    header = [_cell(c) for c in columns]
    used = _row_height(header, widths)
    body: list[list[str]] = []
    for row in frame[columns].itertuples(index=False, name=None):
        texts = [_cell(v, n) for v, n in zip(row, limits)]
        h = _row_height(texts, widths)
        # keep room for the "… and N more" line unless this is the last row
        reserve = 0.25 if len(body) + 1 < len(frame) else 0.0
        if used + h + reserve > height:
            break
        body.append(texts)
        used += h
    if not body:
        body = [[_cell(v, n) for v, n in zip(next(frame[columns].itertuples(index=False, name=None)), limits)]]
    shape = slide.shapes.add_table(len(body) + 1, len(columns), Inches(left), Inches(top), Inches(width),
                                   Inches(_row_height(header, widths) + _LINE_IN * len(body)))
    tbl = shape.table
    for j, w in enumerate(widths):
        tbl.columns[j].width = Inches(w)
    for j, text in enumerate(header):
        _fill_cell(tbl.cell(0, j), text, header=True)
    for i, texts in enumerate(body, start=1):
        for j, text in enumerate(texts):
            _fill_cell(tbl.cell(i, j), text, stripe=i % 2 == 0)
    more = len(frame) - len(body)
    if more:
        _text_box(slide, left, top + used, width, 0.25,
                  [(f"… and {more:,} more in the HTML pack and on the dashboard", NOTE_PT, False, MUTED)])


def _fill_cell(cell, text: str, header: bool = False, stripe: bool = False) -> None:
    cell.text = text
    cell.margin_left = cell.margin_right = Inches(0.05)
    cell.margin_top = cell.margin_bottom = Inches(0.02)
    p = cell.text_frame.paragraphs[0]
    _style_runs(p, TABLE_PT, bold=header, colour=theme.WHITE if header else INK)
    cell.fill.solid()
    cell.fill.fore_color.rgb = _rgb(HEADER_FILL if header else (STRIPE_FILL if stripe else theme.WHITE))


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
.figure { margin: 8px 0 16px; }
h3 { font-size: 18px; margin: 18px 0 6px; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 15px; }
th { background: var(--brand); color: var(--on-brand); text-align: left; padding: 6px 8px; position: sticky; top: 0; }
td { border-bottom: 1px solid var(--line); padding: 5px 8px; vertical-align: top; }
tr:nth-child(even) td { background: var(--stripe); }
.empty { color: var(--muted); }
footer { color: var(--muted); font-size: 13px; margin-top: 32px; }
@media print { nav { display: none; } section { page-break-inside: avoid; } }
"""

_PLOTLY_CONFIG = {"displaylogo": False, "responsive": True,
                  "modeBarButtonsToRemove": ["sendDataToCloud", "lasso2d", "select2d"]}


def _e(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _html_table(table: Table) -> str:
    if table.is_empty:
        return f'<h3>{_e(table.title)}</h3><p class="empty">{_e(table.empty_text)}</p>'
    head = "".join(f"<th>{_e(c)}</th>" for c in table.frame.columns)
    body = "".join("<tr>" + "".join(f"<td>{_e(v)}</td>" for v in row) + "</tr>"
                   for row in table.frame.itertuples(index=False, name=None))
    return (f'<h3>{_e(table.title)}</h3><div class="table-wrap"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


def render_html(review: Review, currency: str = "") -> str:
    """The pack as one self-contained HTML document (plotly.js inline, no external resources)."""
    parts: list[str] = []
    plotly_js_included = False
    for i, section in enumerate(review.sections, start=1):
        fig = section_figure(section, currency)
        figure_html = ""
        if fig is not None:
            # The first figure carries plotly.js inline; the others reuse it. Never a CDN: the file
            # must open on a laptop in a meeting room without a network.
            figure_html = '<div class="figure">' + fig.to_html(
                full_html=False, include_plotlyjs=not plotly_js_included, include_mathjax=False,
                config=_PLOTLY_CONFIG, div_id=f"figure-{section.key}") + "</div>"
            plotly_js_included = True
        points = "".join(f"<li>{_e(p)}</li>" for p in section.points)
        notes = "".join(f'<p class="note">{_e(n)}</p>' for n in section.notes)
        parts.append(
            f'<section id="{_e(section.key)}"><h2>{i}. {_e(section.title)}</h2>'
            f'<p class="message">{_e(section.message)}</p><ul class="points">{points}</ul>{figure_html}'
            + "".join(_html_table(t) for t in section.tables) + notes + "</section>")
    toc = "".join(f'<li><a href="#{_e(s.key)}">{_e(s.title)}</a></li>' for s in review.sections)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{_e(review.title)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{_e(review.title)}</h1><p>{_e(review.subtitle)}</p></header>"
        f"<nav><ol>{toc}</ol></nav>{''.join(parts)}"
        f"<footer>Generated {review.generated_at:%Y-%m-%d %H:%M} from the PMO warehouse. KPI definitions: "
        "see the glossary.</footer></body></html>\n")


def render(review: Review, fmt: str, currency: str = "") -> bytes:
    """The pack in format '.pptx' or '.html', as bytes (`currency` prefixes money in the HTML figures)."""
    fmt = report_format(f"pack{fmt}")
    return render_pptx(review) if fmt == ".pptx" else render_html(review, currency).encode("utf-8")


__all__ = ["write_report", "render_pptx", "render_html", "render", "report_format", "file_name", "ReportError",
           "FORMATS", "PPTX_MIME", "HTML_MIME"]
