"""The monthly review as data: a `Review` is a title and an ordered list of `Section`s, each with
the one message it makes, a few supporting points, the tables behind it and one chart. The
presentation page, the PowerPoint pack and the HTML pack all render this same object, so the screen
and the exported files say the same thing.

A chart is held twice over, on purpose: `categories` and `series` feed the native (editable)
PowerPoint chart, and `frame` feeds the dashboard's plotly factory named by `kind`
(`review.figures.section_figure`). Both are built from the same rows, so they cannot disagree.

Texts are stored as the data gave them (a project may be called `=HYPERLINK(...)` or `<script>`);
each renderer makes them inert for its own medium.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .. import formatting as fmt
from ..db import DatabaseError
from ..filters import Filters
from ..formatting import month_label


class ReviewError(DatabaseError, ValueError):
    """The review cannot be built as asked (no data, a month without data, a comparison month that
    is not before M). The message is one line a user can act on.

    A DatabaseError so that the command line reports it as unusable input in one line, and a
    ValueError for callers that treat it as a bad argument.
    """


# The Excel number format of a chart's values by their unit (the axis and the data sheet of a slide).
_NUMBER_FORMATS = {"share": "0.0%", "ratio": "0.00", "score": "0.00", "money": "#,##0", "days": "#,##0",
                   "hours": "#,##0", "count": "#,##0"}


@dataclass
class Chart:
    """One chart: `kind` names the plotly factory (see `figures.section_figure`), `frame` is its input;
    `categories` × `series` are the same numbers for a native PowerPoint chart, each series drawn in
    `colours[name]` when given (the dashboard's colour for that meaning: a "Green" series is green,
    earned value is the earned-value colour), else in the palette's."""

    kind: str
    title: str
    style: str                       # native chart type: column | stacked_column | bar | stacked_bar | line | radar
    unit: str                        # unit of the values, as in the metric registry (share, money, …)
    categories: list[str]
    series: dict[str, list[float | None]]
    frame: pd.DataFrame
    options: dict[str, Any] = field(default_factory=dict)
    colours: dict[str, str] = field(default_factory=dict)

    def number_format(self, currency: str = "") -> str:
        """The Excel number format of the values (the chart's axis and data sheet): money in one
        scale for the whole chart, as the cards write it ('£45 bn')."""
        if self.unit == "money":
            scale = fmt.money_scale(v for values in self.series.values() for v in values)
            return fmt.excel_format("money", currency, scale=scale, decimals=1 if scale[1] else 0)
        return _NUMBER_FORMATS.get(self.unit, "General")


@dataclass
class Table:
    """A table ready to show: human column names, values already formatted as text (or None).

    `slide_columns` are the columns a slide or a screen has room for; `status_columns` hold RAG
    words ('Red', 'Amber → Red') that every renderer shows in their colours; `hints` say, by row,
    why a figure reads "—" (a screen shows it on hover, a slide in the speaker notes)."""

    title: str
    frame: pd.DataFrame
    empty_text: str = "Nothing to show."
    slide_columns: list[str] | None = None   # the columns a slide has room for (default: the first ones)
    status_columns: list[str] = field(default_factory=list)
    hints: dict[int, str] = field(default_factory=dict)   # row → why its figures read "—"

    @property
    def is_empty(self) -> bool:
        return self.frame.empty

    @property
    def brief(self) -> pd.DataFrame:
        """The columns a slide or a screen shows — not one that is empty in every row (a column of
        dashes says nothing a note cannot say once)."""
        frame = self.frame[self.slide_columns] if self.slide_columns else self.frame
        keep = [c for i, c in enumerate(frame.columns) if i == 0 or frame[c].notna().any()]
        return frame[keep]


def table(title: str, rows: list[dict] | pd.DataFrame, columns: list[str], empty_text: str,
          slide_columns: list[str] | None = None, status_columns: list[str] | None = None) -> Table:
    """A Table of `rows` in `columns` order, every missing value None (a blank cell)."""
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows, columns=columns)
    frame = frame.reindex(columns=columns).astype(object)
    frame = frame.where(frame.notna(), None).reset_index(drop=True)
    return Table(title, frame, empty_text, slide_columns, list(status_columns or []))


_NUMERIC = re.compile(r"^[\u2212\-+\u25b2\u25bc\u00b1]?\s?\D{0,3}\d[\d,.]*(\s?(%|pp|bn|M|k|h|days?))?$")


def numeric_columns(frame) -> set[str]:
    """The columns whose every filled cell is a number as formatted ('1,234', '−2.5 M', '45.0 %'):
    right-aligned, so digits line up."""
    out = set()
    for col in frame.columns:
        values = [str(v) for v in frame[col] if v not in (None, "", fmt.NO_DATA)]
        if values and all(_NUMERIC.match(v) for v in values):
            out.add(col)
    return out


def status_parts(text) -> list[tuple[str, str | None]]:
    """A status cell ('Amber → Red') as its parts, each with its RAG state (None for the arrow or
    other words): every renderer colours the states the same way."""
    words = {label: state for state, label in fmt.RAG_LABELS.items()}
    out: list[tuple[str, str | None]] = []
    for i, part in enumerate(str(text).split(" \u2192 ")):
        if i:
            out.append((" \u2192 ", None))
        out.append((part, words.get(part)))
    return out


@dataclass
class Section:
    """One message of the review. `points` support it (a screen or a slide shows the first
    POINTS_SHOWN); `notes` are caveats about the data behind it, kept for the speaker and the
    appendix, never on the slide itself; `details` name technical things (rule ids, …) that only the
    appendix shows."""

    key: str
    title: str
    message: str                     # the one thing to take away, one sentence
    points: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    chart: Chart | None = None
    notes: list[str] = field(default_factory=list)   # caveats about the data behind the section
    details: list[Table] = field(default_factory=list)
    # what people wrote on the section's figures (review.figure_notes): footnotes on a slide,
    # captions on screen, and the speaker notes
    annotations: list[str] = field(default_factory=list)


    @property
    def key_table(self) -> Table | None:
        """The table a screen or a slide shows beside the chart: the first with rows (else the first)."""
        return next((t for t in self.tables if not t.is_empty), self.tables[0] if self.tables else None)

    @property
    def appendix_tables(self) -> list[Table]:
        """What the appendix holds besides the key table: the other tables and the details."""
        return [t for t in self.tables if t is not self.key_table] + self.details


POINTS_SHOWN = 3   # supporting points a screen or a slide has room for


@dataclass
class Review:
    as_of: str
    previous: str
    filters: Filters
    sections: list[Section]
    generated_at: dt.datetime

    @property
    def title(self) -> str:
        return f"Monthly performance review — {month_label(self.as_of)}"

    @property
    def subtitle(self) -> str:
        scope = self.filters.with_as_of(None).describe()
        return f"{scope[:1].upper()}{scope[1:]} · compared with {month_label(self.previous)}"

    def section(self, key: str) -> Section:
        for s in self.sections:
            if s.key == key:
                return s
        raise KeyError(f"no section {key!r} in this review; sections: {', '.join(s.key for s in self.sections)}")

    @property
    def keys(self) -> list[str]:
        return [s.key for s in self.sections]
