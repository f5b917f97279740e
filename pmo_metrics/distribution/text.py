"""Small wording helpers shared by the digest, the alerts and the chase list."""
from __future__ import annotations

import math

import pandas as pd

from .. import metrics as registry

ARROWS = {"up": "\u25b2", "down": "\u25bc", "same": "="}


def missing(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def clean(value, limit: int = 160) -> str:
    """A value from the data as one line of at most `limit` characters ('' for an empty one)."""
    if missing(value):
        return ""
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def value_text(metric_id: str, value, currency: str = "") -> str:
    """The figure as the dashboard shows it, with a true minus sign."""
    text = registry.format_value(metric_id, value, currency)
    return "\u2212" + text[1:] if text.startswith("-") else text


def change_text(metric_id: str, change, currency: str = "") -> str:
    """'+2.5 pp', '−0.03', '+£1.2 M', '±0' or '—'."""
    if missing(change):
        return "—"
    if registry.get(metric_id).unit == "money" and change != 0:
        return ("+" if change > 0 else "\u2212") + registry.format_value(metric_id, abs(float(change)), currency)
    text = registry.format_change(metric_id, change)
    return "\u2212" + text[1:] if text.startswith("-") else text


def arrow(change) -> str:
    """▲ for a rise, ▼ for a fall, = for no change, '' when there is nothing to compare."""
    if missing(change):
        return ""
    if math.isclose(float(change), 0.0, abs_tol=1e-12):
        return ARROWS["same"]
    return ARROWS["up"] if change > 0 else ARROWS["down"]


def names(frame: pd.DataFrame, column: str = "project_name", key: str = "project_id", shown: int = 2) -> str:
    """'Name A (P1), Name B (P2) and 3 more' from the first rows of a frame."""
    rows = list(frame[[column, key]].itertuples(index=False, name=None))
    parts = [f"{clean(n, 60)} ({clean(k, 30)})" if clean(n) else clean(k, 30) for n, k in rows[:shown]]
    more = len(rows) - len(parts)
    return ", ".join(parts) + (f" and {more} more" if more > 0 else "")
