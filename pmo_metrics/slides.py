"""The monthly review as a PowerPoint deck that a PMO head can send unchanged.

A title slide, the executive summary, one 16:9 slide per section, and an appendix with what does not
belong on a board slide (every row of the long tables, the data-quality rule ids). Each slide has
its number; caveats about the data are in the speaker notes, not on the slide. Charts are native,
editable PowerPoint charts (their numbers live in the chart's own data sheet), coloured by meaning
as the dashboard colours them — a "Green" series is green, earned value has the earned-value colour —
with axes formatted as the cards read ('£45 bn', '45 %'), shares from zero.

Every text is laid out by measuring it in the deck's font (Calibri, whose metrics Carlito shares)
rather than by counting characters: a text box is as tall as its wrapped lines, a table shows the
rows that fit and says how many more there are in a line placed under its real bottom, and a cell
too long for two lines is cut with an ellipsis. Without the font installed, a conservative width
per character stands in (the layout then leaves more room than it needs).

Text cells, category labels and series names that start with = + - @ get a leading apostrophe:
PowerPoint keeps a chart's data in an embedded workbook, where such a value would run as a formula.

A little over 500 lines on purpose: the layout (measuring, wrapping, placing) and the slides it
lays out are one job, read top to bottom in the order of the deck.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lxml import etree
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION, XL_TICK_LABEL_POSITION
from pptx.enum.dml import MSO_LINE_DASH_STYLE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.util import Inches, Pt

from . import formatting as fmt
from . import theme
from .downloads import neutralise_cell
from .formatting import RAG_LABELS
from .review import Chart, Review, Section, Table
from .review.model import numeric_columns

# Slide geometry (16:9, inches) and type sizes (points): large enough for the back of a room.
SLIDE_W, SLIDE_H = 13.333, 7.5
MARGIN = 0.5
TITLE_PT, MESSAGE_PT, POINT_PT, TABLE_PT, NOTE_PT = 28, 20, 15, 11, 10
BODY_TOP_MIN = 2.3            # the chart and the table start no higher than this
BODY_BOTTOM = 6.85            # … and end above the footer
FOOTER_TOP = 7.0
SLIDE_TABLE_COLUMNS = 6       # columns a slide table shows at most
CELL_LINES = 2                # a table cell holds at most this many lines; longer texts are cut
LINE = 1.22                   # line height / type size of Calibri at single spacing
PAD_X, PAD_Y = 0.1, 0.05      # a text box's insets (PowerPoint's defaults)
CELL_X, CELL_Y = 0.06, 0.03   # a table cell's margins
FOOTNOTES = 3                 # notes on a section's figures a slide shows at its foot, one line each
SAFETY = 1.04                 # measured widths are padded this much: renderers differ by a pixel or two

INK, MUTED, BRAND, PANEL = theme.INK, theme.MUTED, theme.BRAND, theme.PANEL
FONT_DIRS = ("/usr/share/fonts/truetype/crosextra", "/usr/share/fonts/truetype/carlito",
             "/usr/share/fonts/crosextra", "/usr/local/share/fonts", str(Path.home() / ".fonts"))
FONT_FILES = {False: ("Carlito-Regular.ttf", "calibri.ttf"), True: ("Carlito-Bold.ttf", "calibrib.ttf")}


# -- measuring text --------------------------------------------------------------------------------

@lru_cache(maxsize=None)
def _font(bold: bool, size: float):
    """Carlito (Calibri's metrics) at `size` points, or None when it is not installed."""
    from PIL import ImageFont  # Pillow comes with python-pptx; imported here as only the deck measures

    for folder in FONT_DIRS:
        for name in FONT_FILES[bold]:
            path = Path(folder) / name
            if path.is_file():
                return ImageFont.truetype(str(path), size=max(1, round(size * 10)))
    return None


def text_width(text: str, size: float, bold: bool = False) -> float:
    """The width of `text` in inches at `size` points in the deck's font."""
    font = _font(bold, size)
    if font is None:
        return len(text) * size * (0.56 if bold else 0.52) / 72
    return font.getlength(text) / 10 / 72 * SAFETY


def wrap(text: str, width: float, size: float, bold: bool = False) -> list[str]:
    """`text` broken into lines that fit `width` inches (a word longer than a line is broken)."""
    lines: list[str] = []
    for paragraph in str(text).split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if text_width(candidate, size, bold) <= width or not line:
                line = candidate
            else:
                lines.append(line)
                line = word
            while text_width(line, size, bold) > width and len(line) > 1:
                cut = len(line) - 1
                while cut > 1 and text_width(line[:cut], size, bold) > width:
                    cut -= 1
                lines.append(line[:cut])
                line = line[cut:]
        lines.append(line)
    return lines


def fit(text: str, width: float, size: float, bold: bool = False, lines: int = CELL_LINES) -> str:
    """`text` cut with an ellipsis so that it wraps into at most `lines` lines of `width`."""
    if len(wrap(text, width, size, bold)) <= lines:
        return text
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if len(wrap(text[:mid].rstrip() + "…", width, size, bold)) <= lines:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + "…"


def text_height(lines: int, size: float) -> float:
    return lines * size * LINE / 72


# -- the deck --------------------------------------------------------------------------------------

def render_pptx(review: Review, currency: str = "") -> bytes:
    """The deck as bytes: title, executive summary, one slide per section, the appendix."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(SLIDE_W), Inches(SLIDE_H)
    prs.core_properties.title = review.title
    prs.core_properties.subject = review.subtitle
    deck = Deck(prs, review, currency)
    deck.title_slide()
    # Sections the data cannot support at all (a message and nothing else) share one slide, rather
    # than each leaving a board an empty one.
    bare = [s for s in review.sections if s.chart is None and not s.tables]
    for section in review.sections:
        if len(bare) < 2 or section not in bare:
            deck.section_slide(section)
        elif section is bare[0]:
            deck.bare_slide(bare)
    for section in review.sections:
        for t in section.appendix_tables:
            if not t.is_empty:
                deck.appendix_slide(section, t)
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def _rgb(colour: str) -> RGBColor:
    return RGBColor.from_string(colour.lstrip("#").upper())


def _cell(value) -> str:
    """A value as inert slide text: empty for None, formula prefixes neutralised."""
    return "" if value is None else neutralise_cell(str(value))


@dataclass
class Deck:
    prs: Presentation
    review: Review
    currency: str

    # -- slides --------------------------------------------------------------------------------

    def new_slide(self, title: str, notes: list[str] | None = None):
        slide = self.prs.slides.add_slide(self.prs.slide_layouts[5])  # "Title Only": a real title placeholder
        self.title(slide, title)
        self.footer(slide)
        if notes:
            slide.notes_slide.notes_text_frame.text = "\n".join(notes)
        return slide

    def title_slide(self) -> None:
        slide = self.prs.slides.add_slide(self.prs.slide_layouts[5])
        self.title(slide, self.review.title, top=2.2, size=40)
        y = 2.2 + text_height(len(wrap(self.review.title, SLIDE_W - 2 * MARGIN - 2 * PAD_X, 40, True)), 40) + 0.3
        y = self.text(slide, MARGIN, y, SLIDE_W - 2 * MARGIN, [(self.review.subtitle, 22, False, INK)])
        self.text(slide, MARGIN, y + 0.1, SLIDE_W - 2 * MARGIN, [
            (f"Generated {self.review.generated_at:%Y-%m-%d %H:%M} from the PMO warehouse", 14, False, MUTED)])
        self.footer(slide)

    def section_slide(self, section: Section) -> None:
        slide = self.new_slide(section.title, self.notes_of(section))
        width = SLIDE_W - 2 * MARGIN
        if section.key == "summary":
            self.summary_body(slide, section)
            return
        y = self.text(slide, MARGIN, 1.05, width, [(section.message, MESSAGE_PT, True, INK)])
        points = section.points[:3]
        if points:
            y = self.text(slide, MARGIN, y, width, [(f"•  {p}", POINT_PT, False, MUTED) for p in points])
        top = max(y + 0.1, BODY_TOP_MIN)
        bottom = BODY_BOTTOM - self.footnotes(slide, section)
        key = section.key_table
        if section.chart is not None and key is not None:
            chart_w = 6.2
            self.native_chart(slide, section.chart, MARGIN, top, chart_w, bottom - top)
            self.table(slide, key, MARGIN + chart_w + 0.3, top, width - chart_w - 0.3, bottom - top)
        elif section.chart is not None:
            self.native_chart(slide, section.chart, MARGIN, top, width, bottom - top)
        elif key is not None:
            self.table(slide, key, MARGIN, top, width, bottom - top)

    def footnotes(self, slide, section: Section) -> float:
        """What people wrote on the section's figures, one line each at the foot of the body (the
        whole text is in the speaker notes); returns the height taken."""
        if not section.annotations:
            return 0.0
        shown = [(f"✎ {a}", NOTE_PT + 1, False, MUTED) for a in section.annotations[:FOOTNOTES]]
        if len(section.annotations) > FOOTNOTES:
            shown.append((f"… and {len(section.annotations) - FOOTNOTES} more in the speaker notes",
                          NOTE_PT + 1, False, MUTED))
        height = 2 * PAD_Y + len(shown) * text_height(1, NOTE_PT + 1) + 2 / 72 * (len(shown) - 1) + 0.1
        self.text(slide, MARGIN, BODY_BOTTOM - height + 0.1, SLIDE_W - 2 * MARGIN, shown, space_after=2, lines=1)
        return height

    def summary_body(self, slide, section: Section) -> None:
        """The three sentences that matter on the left, in large type; the decisions needed on the right."""
        left_w = 5.6
        y = self.text(slide, MARGIN, 1.2, left_w, [(section.message, 22, True, INK)], space_after=14)
        self.text(slide, MARGIN, y + 0.15, left_w, [(p, 20, False, INK) for p in section.points], space_after=14)
        if section.tables:
            x = MARGIN + left_w + 0.4
            self.table(slide, section.tables[0], x, 1.2, SLIDE_W - MARGIN - x, BODY_BOTTOM - 1.2)

    def bare_slide(self, sections: list[Section]) -> None:
        slide = self.new_slide("Not covered by this month's data", [n for s in sections for n in s.notes])
        y = self.text(slide, MARGIN, 1.1, SLIDE_W - 2 * MARGIN,
                      [(f"{s.title}: {s.message[:1].lower()}{s.message[1:]}", MESSAGE_PT, False, INK) for s in sections],
                      space_after=12)
        points = [p for s in sections for p in s.points[:1]]
        if points:
            self.text(slide, MARGIN, y + 0.1, SLIDE_W - 2 * MARGIN, [(f"•  {p}", POINT_PT, False, MUTED) for p in points])

    def appendix_slide(self, section: Section, table: Table) -> None:
        slide = self.new_slide(f"Appendix — {section.title}")
        self.table(slide, table, MARGIN, 1.1, SLIDE_W - 2 * MARGIN, BODY_BOTTOM - 1.1, brief=False)

    def notes_of(self, section: Section) -> list[str]:
        """The speaker notes: the section's caveats and why any figure reads '—'."""
        notes = list(section.annotations) + list(section.notes)
        for t in section.tables:
            notes += [f"{t.frame.iloc[i, 0]}: {hint}" for i, hint in sorted(t.hints.items())
                      if f"{t.frame.iloc[i, 0]}: {hint}" not in notes]
        return notes

    # -- furniture --------------------------------------------------------------------------------

    def title(self, slide, text: str, top: float = 0.35, size: int = TITLE_PT) -> None:
        shape = slide.shapes.title
        width = SLIDE_W - 2 * MARGIN
        lines = wrap(text, width - 2 * PAD_X, size, True)
        shape.left, shape.top = Inches(MARGIN), Inches(top)
        shape.width, shape.height = Inches(width), Inches(text_height(len(lines), size) + 2 * PAD_Y)
        tf = shape.text_frame
        tf.text = text
        tf.word_wrap = True
        tf.vertical_anchor = MSO_ANCHOR.TOP
        tf.margin_left = tf.margin_right = Inches(PAD_X)
        tf.margin_top = tf.margin_bottom = Inches(PAD_Y)
        p = tf.paragraphs[0]
        p.alignment = PP_ALIGN.LEFT
        _style(p, size, True, BRAND)

    def footer(self, slide) -> None:
        """Where the slide comes from, on the left; its number, a slide-number field, on the right."""
        number = len(self.prs.slides)
        review = self.review
        self.text(slide, MARGIN, FOOTER_TOP, SLIDE_W - 2 * MARGIN - 1.0,
                  [(f"{review.title} · {review.subtitle}", NOTE_PT, False, MUTED)], lines=1)
        box = self.text(slide, SLIDE_W - MARGIN - 0.9, FOOTER_TOP, 0.9, [(str(number), NOTE_PT, False, MUTED)],
                        align=PP_ALIGN.RIGHT, shape=True)
        _slide_number_field(box.text_frame.paragraphs[0], number)

    def text(self, slide, left, top, width, paragraphs, *, space_after: int = 6, lines: int | None = None,
             align=PP_ALIGN.LEFT, shape: bool = False):
        """A text box exactly as tall as its measured, wrapped paragraphs; returns where it ends
        (or the shape). `lines` cuts each paragraph to that many lines with an ellipsis."""
        inner = width - 2 * PAD_X
        texts = [(fit(t, inner, size, bold, lines) if lines else t, size, bold, colour)
                 for t, size, bold, colour in paragraphs]
        height = 2 * PAD_Y + sum(text_height(len(wrap(t, inner, size, bold)), size) for t, size, bold, _ in texts)
        height += space_after / 72 * (len(texts) - 1)
        box = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
        tf = box.text_frame
        tf.word_wrap = True
        tf.vertical_anchor = MSO_ANCHOR.TOP
        tf.margin_left = tf.margin_right = Inches(PAD_X)
        tf.margin_top = tf.margin_bottom = Inches(PAD_Y)
        for i, (t, size, bold, colour) in enumerate(texts):
            p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
            p.text = _cell(t)
            p.alignment = align
            p.line_spacing = 1.0
            if i < len(texts) - 1:
                p.space_after = Pt(space_after)
            _style(p, size, bold, colour)
        return box if shape else top + height

    # -- tables -----------------------------------------------------------------------------------

    def table(self, slide, table: Table, left, top, width, height, *, brief: bool = True, more: str = "") -> None:
        """As many rows as fit in `height`; the title says 'top N of M' when not all do, and a line
        under the table's real bottom says how many more there are and where."""
        frame = table.brief if brief else table.frame
        frame = frame.iloc[:, :SLIDE_TABLE_COLUMNS] if brief else frame
        columns = list(frame.columns)
        widths = _column_widths(frame, width, table.status_columns)
        inner = [w - 2 * CELL_X for w in widths]
        header = [fit(str(c), w, TABLE_PT, True) for c, w in zip(columns, inner)]
        head_h = _row_height(header, inner, True)
        body: list[list[str]] = []
        heights: list[float] = []
        title_h = text_height(1, 13) + 2 * PAD_Y
        room = height - title_h - head_h - (text_height(1, NOTE_PT) + 2 * PAD_Y)   # keep room for "and N more"
        if not table.is_empty:
            blank = {j for j, c in enumerate(columns) if c in table.status_columns}
            for row in frame.itertuples(index=False, name=None):
                texts = [fit(_cell(v if v is not None else ("" if j in blank else fmt.NO_DATA)), w, TABLE_PT,
                             j in blank) for j, (v, w) in enumerate(zip(row, inner))]
                h = _row_height(texts, inner, bold_columns=blank)
                if sum(heights) + h > room and body:
                    break
                body.append(texts)
                heights.append(h)
        total = len(frame)
        label = table.title + (f" (top {len(body):,} of {total:,})" if total > len(body) else "")
        y = self.text(slide, left, top, width, [(label, 13, True, INK)], lines=1)
        if table.is_empty:
            self.text(slide, left, y, width, [(table.empty_text, 12, False, MUTED)])
            return
        shape = slide.shapes.add_table(len(body) + 1, len(columns), Inches(left), Inches(y), Inches(width),
                                       Inches(head_h + sum(heights)))
        tbl = shape.table
        for j, w in enumerate(widths):
            tbl.columns[j].width = Inches(w)
        tbl.rows[0].height = Inches(head_h)
        for i, h in enumerate(heights, start=1):
            tbl.rows[i].height = Inches(h)
        numbers = numeric_columns(frame)
        for j, text in enumerate(header):
            _fill(tbl.cell(0, j), text, header=True, right=columns[j] in numbers)
        for i, texts in enumerate(body, start=1):
            for j, text in enumerate(texts):
                state = _state(text) if columns[j] in table.status_columns else None
                _fill(tbl.cell(i, j), text, stripe=i % 2 == 0, right=columns[j] in numbers, state=state)
        left_over = total - len(body)
        if left_over:
            where = more or " in the HTML pack and on the dashboard"
            self.text(slide, left, y + head_h + sum(heights) + 0.04, width,
                      [(f"… and {left_over:,} more{where}", NOTE_PT, False, MUTED)], lines=1)

    # -- charts -----------------------------------------------------------------------------------

    def native_chart(self, slide, chart: Chart, left, top, width, height) -> None:
        """The chart as a PowerPoint chart object fed with CategoryChartData (never a picture)."""
        horizontal = chart.style in ("bar", "stacked_bar")
        limit = 30 if horizontal else 14
        data = CategoryChartData(number_format=chart.number_format(self.currency))
        data.categories = [_cell(fmt.text(c, limit)) for c in chart.categories]
        for name, values in chart.series.items():
            data.add_series(_cell(name), values)
        kind = getattr(XL_CHART_TYPE, _CHART_TYPES[chart.style])
        frame = slide.shapes.add_chart(kind, Inches(left), Inches(top), Inches(width), Inches(height), data)
        c = frame.chart
        c.has_title = True
        c.chart_title.text_frame.text = fit(chart.title, width - 0.4, 13, True, lines=2)
        _style(c.chart_title.text_frame.paragraphs[0], 13, True, INK)
        c.font.size = Pt(11)
        c.font.color.rgb = _rgb(INK)
        c.has_legend = len(chart.series) > 1
        if c.has_legend:
            c.legend.position = XL_LEGEND_POSITION.BOTTOM
            c.legend.include_in_layout = False
        if chart.style != "radar":
            self.value_axis(c, chart)
            if horizontal:
                # Bars list the first category at the top, as the tables beside them do (the value
                # axis then stays at the bottom), and the names sit at the plot's left edge, clear of
                # bars that run below zero.
                c.category_axis.reverse_order = True
                c.category_axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW
                # <c:crosses> of the value axis: where it meets the category axis (python-pptx's
                # `crosses` writes the other axis's), here the last category, at the bottom.
                c.value_axis._element.find(qn("c:crosses")).set("val", "max")
        if chart.style in ("stacked_bar", "stacked_column"):
            c.plots[0].overlap = 100
            c.plots[0].gap_width = 60
        names = list(chart.series)
        for i, series in enumerate(c.series):
            colour = _rgb(_series_colour(chart, names[i], i))
            if chart.style in ("line", "radar"):
                series.format.line.color.rgb = colour
                series.format.line.width = Pt(2.5)
                series.smooth = False
                if names[i].startswith("Target") or names[i].startswith("Planned"):
                    series.format.line.dash_style = MSO_LINE_DASH_STYLE.DASH
            else:
                series.format.fill.solid()
                series.format.fill.fore_color.rgb = colour
                series.invert_if_negative = False
        if "negative" in chart.options:
            # One series coloured by sign: an overrun red, an underrun green (as on the dashboard).
            for i, v in enumerate(next(iter(chart.series.values()))):
                point = c.series[0].points[i]
                point.format.fill.solid()
                point.format.fill.fore_color.rgb = _rgb(chart.options["negative" if (v or 0) < 0 else "positive"])

    def value_axis(self, c, chart: Chart) -> None:
        """Round ticks from zero in the cards' style: one money scale ('£45 bn'), shares in %, a
        share of a whole from 0 to 100 %."""
        axis = c.value_axis
        axis.has_major_gridlines = True
        axis.major_gridlines.format.line.color.rgb = _rgb(theme.GRID)
        axis.tick_labels.font.size = Pt(11)
        stacked = chart.style in ("stacked_bar", "stacked_column")
        columns = list(zip(*chart.series.values())) if chart.series else []
        values = [sum(v or 0 for v in col) for col in columns] if stacked else \
            [v for vs in chart.series.values() for v in vs if v is not None]
        values = [v for v in values if v is not None] or [0.0]
        if chart.unit == "share" and stacked:
            ticks = [0.0, 0.25, 0.5, 0.75, 1.0]
        else:
            ticks = fmt.axis_ticks(min(values), max(values), 5, whole=chart.unit == "count")
            if chart.unit == "share":
                ticks = [t for t in ticks if t <= 1.0] or [0.0, 1.0]
        axis.minimum_scale, axis.maximum_scale = ticks[0], ticks[-1]
        if len(ticks) > 1:
            axis.major_unit = ticks[1] - ticks[0]
        if chart.unit == "money":
            scale = fmt.money_scale(ticks)
            number_format = fmt.excel_format("money", self.currency, scale=scale,
                                             decimals=fmt.tick_decimals(ticks, scale))
        elif chart.unit == "share":
            number_format = "0%"
        else:
            number_format = chart.number_format(self.currency)
        axis.tick_labels.number_format = number_format
        axis.tick_labels.number_format_is_linked = False


_CHART_TYPES = {"column": "COLUMN_CLUSTERED", "stacked_column": "COLUMN_STACKED", "bar": "BAR_CLUSTERED",
                "stacked_bar": "BAR_STACKED", "line": "LINE_MARKERS", "radar": "RADAR_MARKERS"}


def _series_colour(chart: Chart, name: str, index: int) -> str:
    """The colour the dashboard gives the series' meaning; else a RAG state's when it is named after
    one ('Red in June 2025'); else the palette's (which has no RAG colour in it)."""
    if name in chart.colours:
        return chart.colours[name]
    for state, label in RAG_LABELS.items():
        if name.startswith(label):
            return theme.RAG_COLOURS[state]
    if name.startswith("Target"):
        return theme.SERIES["target"]
    return theme.CATEGORICAL[index % len(theme.CATEGORICAL)]


def _style(paragraph, size: float, bold: bool = False, colour: str = INK) -> None:
    for run in paragraph.runs:
        run.font.size = Pt(size)
        run.font.bold = bold
        run.font.color.rgb = _rgb(colour)
        run.font.name = "Calibri"
    # The paragraph's end mark has a size of its own (18 pt when unset), and a renderer sizes the
    # line by it too: a one-line 11 pt cell would grow to an 18 pt line, past the measured height.
    end = paragraph._p.find(qn("a:endParaRPr"))
    if end is None:
        end = etree.SubElement(paragraph._p, qn("a:endParaRPr"))
    end.set("sz", str(round(size * 100)))
    end.set("lang", "en-GB")


def _slide_number_field(paragraph, number: int) -> None:
    """Make the paragraph's run a slide-number field (it follows the slide when slides move)."""
    run = paragraph.runs[0]._r
    field = etree.SubElement(paragraph._p, qn("a:fld"))
    field.set("id", "{B6F15528-21DE-4FAA-801E-634DDDAF4B2B}")
    field.set("type", "slidenum")
    field.append(run.find(qn("a:rPr")))
    text = etree.SubElement(field, qn("a:t"))
    text.text = str(number)
    paragraph._p.remove(run)
    end = paragraph._p.find(qn("a:endParaRPr"))
    if end is not None:
        paragraph._p.remove(end)
        paragraph._p.append(end)


def _state(text: str) -> str | None:
    """The RAG state a status cell ends in ('Amber → Red' → 'red'), for its colour."""
    last = str(text).split(" \u2192 ")[-1]
    return next((s for s, label in RAG_LABELS.items() if label == last), None)


def _column_widths(frame, width: float, status_columns=()) -> list[float]:
    """Column widths (inches) from the measured widths of their texts and their heading's longest
    word: a short column (a number, a status) gets all it needs, never cut or wrapped; the long text
    columns share what is left, in proportion to their own needs."""
    natural = []
    for col in frame.columns:
        bold = col in status_columns
        texts = [str(v) for v in frame[col].head(40) if v is not None]
        need = max([text_width(t, TABLE_PT, bold) for t in texts] + [
            text_width(w, TABLE_PT, True) for w in str(col).split()])
        natural.append(need + 2 * CELL_X + 0.04)
    if sum(natural) <= width:
        spare = width - sum(natural)
        return [n + spare * n / sum(natural) for n in natural]
    short = [n <= 1.3 for n in natural]
    fixed = sum(n for n, s in zip(natural, short) if s)
    flexible = sum(n for n, s in zip(natural, short) if not s)
    if fixed >= width or not flexible:
        return [width * n / sum(natural) for n in natural]
    room = width - fixed
    return [n if s else room * n / flexible for n, s in zip(natural, short)]


def _row_height(texts: list[str], widths: list[float], bold: bool = False, bold_columns=()) -> float:
    lines = max(len(wrap(t, w, TABLE_PT, bold or j in bold_columns)) for j, (t, w) in enumerate(zip(texts, widths)))
    return text_height(lines, TABLE_PT) + 2 * CELL_Y + 0.02


def _fill(cell, text: str, *, header: bool = False, stripe: bool = False, right: bool = False,
          state: str | None = None) -> None:
    cell.text = text
    cell.margin_left = cell.margin_right = Inches(CELL_X)
    cell.margin_top = cell.margin_bottom = Inches(CELL_Y)
    cell.vertical_anchor = MSO_ANCHOR.MIDDLE
    p = cell.text_frame.paragraphs[0]
    p.alignment = PP_ALIGN.RIGHT if right else PP_ALIGN.LEFT
    ground, ink = (BRAND, theme.WHITE) if header else theme.RAG_CELLS[state] if state else (
        PANEL if stripe else theme.WHITE, INK)
    _style(p, TABLE_PT, bold=header or state is not None, colour=ink)
    cell.fill.solid()
    cell.fill.fore_color.rgb = _rgb(ground)


__all__ = ["render_pptx", "text_width", "wrap", "fit", "SLIDE_W", "SLIDE_H"]
