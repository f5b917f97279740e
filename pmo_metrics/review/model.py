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
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

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
    `categories` × `series` are the same numbers for a native PowerPoint chart."""

    kind: str
    title: str
    style: str                       # native chart type: column | bar | stacked_bar | line | radar
    unit: str                        # unit of the values, as in the metric registry (share, money, …)
    categories: list[str]
    series: dict[str, list[float | None]]
    frame: pd.DataFrame
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def number_format(self) -> str:
        """The Excel number format of the values (for the chart's axis and data sheet)."""
        return _NUMBER_FORMATS.get(self.unit, "General")


@dataclass
class Table:
    """A table ready to show: human column names, values already formatted as text (or None)."""

    title: str
    frame: pd.DataFrame
    empty_text: str = "Nothing to show."
    slide_columns: list[str] | None = None   # the columns a slide has room for (default: the first ones)

    @property
    def is_empty(self) -> bool:
        return self.frame.empty


def table(title: str, rows: list[dict] | pd.DataFrame, columns: list[str], empty_text: str,
          slide_columns: list[str] | None = None) -> Table:
    """A Table of `rows` in `columns` order, every missing value None (a blank cell)."""
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows, columns=columns)
    frame = frame.reindex(columns=columns).astype(object)
    frame = frame.where(frame.notna(), None).reset_index(drop=True)
    return Table(title, frame, empty_text, slide_columns)


@dataclass
class Section:
    key: str
    title: str
    message: str                     # the one thing to take away, one sentence
    points: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    chart: Chart | None = None
    notes: list[str] = field(default_factory=list)   # caveats about the data behind the section


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
