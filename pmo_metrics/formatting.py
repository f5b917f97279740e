"""How a number, a date or a code reads on a page, a chart, a slide or in the monthly pack — by
unit, never by borrowing a metric: `money(v)`, not "format it like planned_value".

Every function takes the raw value (None, NaN and pandas' NA count as missing) and returns text.
A missing value reads `NO_DATA` ("—") unless the caller says otherwise with `empty=` (the review's
tables keep None, so a cell stays blank). The registry (`metrics.format_value`) formats a KPI by its
unit through `value`; pages, charts, the review and the report call the unit functions directly.

Enumerations from the contract read as words (`label("on_hold")` → "On hold"); the RAG states and
the two states a project can have besides a rating ("No report", "Not active") are named here too,
so a status reads the same on every page.
"""
from __future__ import annotations

import calendar
import math
from typing import Any

from . import contract as c
from .filters import parse_month

NO_DATA = "—"           # a figure that cannot be computed (zero denominator, no data)
NO_GROUP = "(none)"     # a breakdown group whose key is empty (a project without program, …)
MINUS = "\u2212"        # a true minus sign: a cell that starts with "-" reads as a formula in a spreadsheet
UP, DOWN = "\u25b2", "\u25bc"


def _words(code: str) -> str:
    return code.replace("_", " ").capitalize()


# Every contract enumeration's values as words, by enumeration: the one place a value reads other
# than as its code in words ("on_hold" → "On hold") would be said.
ENUM_LABELS: dict[str, dict[str, str]] = {
    name: {code: _words(code) for code in codes} for name, codes in (
        ("rag", c.RAG), ("stage", c.STAGES), ("delivery_approach", c.DELIVERY_APPROACHES),
        ("risk_status", c.RISK_STATUSES), ("cost_category", c.COST_CATEGORIES),
        ("employment_type", c.EMPLOYMENT_TYPES), ("benefit_category", c.BENEFIT_CATEGORIES),
        ("benefit_type", c.BENEFIT_TYPES), ("maturity_domain", c.MATURITY_DOMAINS),
        ("gate_decision", c.GATE_DECISIONS), ("change_category", c.CHANGE_CATEGORIES),
        ("change_decision", c.CHANGE_DECISIONS), ("decision_level", c.DECISION_LEVELS),
        ("pmo_cost_category", c.PMO_COST_CATEGORIES))
}
# A project's state in a month: its RAG, or no report, or not active.
RAG_LABELS = {**ENUM_LABELS["rag"], "none": "No report"}
STATE_LABELS = {**RAG_LABELS, "inactive": "Not active"}
# Values the product writes itself (not contract enumerations) that tables show: a finding's
# severity, a load's outcome, a project's RAG trend, a milestone's state.
PRODUCT_LABELS: dict[str, dict[str, str]] = {
    "severity": {"error": "Error", "warning": "Warning"},
    "load_status": {"loaded": "Loaded", "rejected": "Rejected", "skipped": "Skipped (same batch as before)",
                    "failed": "Failed"},
    "rag_trend": {"new": "First report", "unchanged": "Unchanged", "improved": "Improved", "worsened": "Worsened"},
    "milestone_state": {"achieved on time": "Achieved on time", "achieved late": "Achieved late",
                        "overdue": "Overdue", "upcoming": "Upcoming"},
}


def is_missing(value: Any) -> bool:
    """None, NaN, NaT or pandas' NA."""
    if value is None:
        return True
    if isinstance(value, (str, int)):
        return False
    if isinstance(value, float):
        return math.isnan(value)
    # pandas only for values that may be its own (the loader and the CLI format without loading it)
    import pandas as pd

    if value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def as_float(value: Any) -> float | None:
    """A plain float, or None for a missing value (chart data and native slides want no NaN)."""
    if is_missing(value):
        return None
    f = float(value)
    return None if math.isnan(f) else f


# -- numbers by unit ---------------------------------------------------------------------------------

def _compact(v: float) -> str:
    sign = "-" if v < 0 else ""
    v = abs(v)
    for size, suffix in ((1e9, " bn"), (1e6, " M"), (1e3, " k")):
        # Round first so 999,960 shows as '1.0 M', not '1,000.0 k'.
        if round(v / size, 1) >= 1:
            return f"{sign}{v / size:,.1f}{suffix}"
    return f"{sign}{v:,.0f}"


def money(value: Any, currency: str = "", *, empty: str | None = NO_DATA) -> str | None:
    """Compact money in the reporting currency: '1.2 M', '45.3 k', '512', '-£1.2 M'."""
    if is_missing(value):
        return empty
    text = _compact(float(value))
    return f"-{currency}{text[1:]}" if text.startswith("-") else f"{currency}{text}"


MONEY_SCALES = ((1e9, " bn"), (1e6, " M"), (1e3, " k"))
# Decimals by kind wherever a table, an axis or a download shows a value: one vocabulary, so a share
# with one decimal never stands beside a share with two.
DECIMALS = {"money": 0, "share": 1, "percent": 0, "hours": 0, "count": 0, "days": 0, "ratio": 2, "score": 2,
            "signed": 2}


def money_scale(values) -> tuple[float, str]:
    """The one scale a set of amounts (an axis, a chart's data) reads in, from the largest of them:
    (1e9, ' bn'), (1e6, ' M'), (1e3, ' k') or (1.0, '') — the suffixes `money` writes."""
    top = max((abs(float(v)) for v in values if not is_missing(v)), default=0.0)
    for size, suffix in MONEY_SCALES:
        if round(top / size, 1) >= 1:
            return size, suffix
    return 1.0, ""


def money_at_scale(value: Any, scale: tuple[float, str], decimals: int = 0, currency: str = "", *,
                   empty: str | None = NO_DATA) -> str | None:
    """An amount in a given scale, as an axis tick reads beside the cards: '45 bn', '-£2.5 M', '0'."""
    if is_missing(value):
        return empty
    size, suffix = scale
    v = float(value) / size
    if round(v, decimals) == 0:
        return "0"
    text = f"{abs(v):,.{decimals}f}{suffix}"
    return f"-{currency}{text}" if v < 0 else f"{currency}{text}"


def axis_ticks(lo: float, hi: float, most: int = 6, *, whole: bool = False) -> list[float]:
    """Round tick values from 0 (an amount, a share or a count is read from zero) to cover `lo`
    and `hi`, at most about `most` of them: steps of 1, 2, 2.5 or 5 times a power of ten, as a
    person would draw the axis. `whole`: whole-number steps only (counts)."""
    lo, hi = min(lo, hi, 0.0), max(lo, hi, 0.0)
    span = hi - lo
    if span <= 0:
        return [lo]
    raw = span / max(1, most - 1)
    if whole:
        raw = max(raw, 1.0)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw and (not whole or (m * power) % 1 == 0))
    first = math.floor(lo / step) * step
    ticks, t = [], first
    while t <= hi + step * 1e-9 and len(ticks) < most + 2:
        ticks.append(round(t, 10))
        t += step
    if ticks[-1] < hi - step * 1e-9:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def tick_decimals(ticks: list[float], scale: tuple[float, str] = (1.0, "")) -> int:
    """Decimals that tell ticks apart in a scale: 0 for 10 bn, 20 bn; 1 for 2.5 M, 5.0 M."""
    if len(ticks) < 2:
        return 0
    step = abs(ticks[1] - ticks[0]) / scale[0]
    for n in range(3):
        if abs(round(step, n) - step) < step * 1e-6:
            return n
    return 2


def _excel_literal(text: str) -> str:
    return '"' + text.replace('"', "") + '"' if text else ""


def excel_format(kind: str, currency: str = "", *, scale: tuple[float, str] | None = None,
                 decimals: int | None = None) -> str:
    """The Excel number format of a value of `kind` (money, share, percent, hours, count, ratio,
    score, days, number, date, datetime), so a download or a slide's chart reads as the screen does.
    Money in a `scale` ((1e6, ' M')) divides by it in the format itself ('#,##0.0,," M"'): the
    cell keeps the full amount."""
    n = DECIMALS.get(kind, 0) if decimals is None else decimals
    places = "." + "0" * n if n else ""
    if kind == "money":
        cur = _excel_literal(currency)
        commas = {1e9: ",,,", 1e6: ",,", 1e3: ","}.get(scale[0], "") if scale else ""
        suffix = _excel_literal(scale[1]) if scale and scale[1] else ""
        body = f"{cur}#,##0{places}{commas}{suffix}"
        return f"{body};-{body};0"
    return {
        "share": f"0{places}%", "percent": f'0{places}" %"', "hours": f"#,##0{places}", "count": "#,##0",
        "days": f"#,##0{places}", "ratio": f"0{places}", "score": f"0{places}", "number": "#,##0.##",
        "signed": f"+0{places};-0{places};0{places}",
        "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm",
    }.get(kind, "General")


def share(value: Any, fmt: str = ".1f", *, empty: str | None = NO_DATA) -> str | None:
    """A share as a percentage: 0.45 → '45.0 %'."""
    return empty if is_missing(value) else f"{float(value) * 100:{fmt}} %"


def ratio(value: Any, fmt: str = ".2f", *, empty: str | None = NO_DATA) -> str | None:
    """An index or a ratio: '0.92'; also a maturity score on the 1–5 scale: '3.38'."""
    return empty if is_missing(value) else f"{float(value):{fmt}}"


def count(value: Any, fmt: str = ",.0f", *, empty: str | None = NO_DATA) -> str | None:
    """A whole number with thousands separators: '1,234'."""
    return empty if is_missing(value) else f"{float(value):{fmt}}"


def days(value: Any, fmt: str = ".1f", *, empty: str | None = NO_DATA) -> str | None:
    """Days, to a tenth when not whole: '12 days', '6.7 days', '1 day'."""
    if is_missing(value):
        return empty
    text = f"{float(value):{fmt}}".removesuffix(".0")
    return f"{text} day" if text in ("1", "-1") else f"{text} days"


def percent(value: Any, fmt: str = ".0f", *, empty: str | None = NO_DATA) -> str | None:
    """A value already in percent (0–100, as percent_complete is): 45.0 → '45 %'."""
    return empty if is_missing(value) else f"{float(value):{fmt}} %"


def hours(value: Any, *, empty: str | None = NO_DATA) -> str | None:
    """Whole hours: '1,234 h'."""
    return empty if is_missing(value) else f"{float(value):,.0f} h"


def level(value: Any, *, empty: str | None = NO_DATA) -> str | None:
    """A maturity level with its name: '3 – defined'."""
    if is_missing(value):
        return empty
    n = int(float(value))
    return f"{n} – {c.MATURITY_LEVEL_NAMES[n]}" if n in c.MATURITY_LEVEL_NAMES else str(n)


def number(value: Any, *, empty: str | None = NO_DATA) -> str | None:
    """A measured value in its own unit (a benefit's NPS points, minutes, money): whole above 100,
    else up to two decimals — '1,250', '12.5', '0.25' — with a true minus sign."""
    if is_missing(value):
        return empty
    v = float(value)
    return typographic(f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.2f}".rstrip("0").rstrip("."))


LEVEL = "level"   # the format of a staged level ('3 – defined') rather than a number


def value(unit: str, v: Any, fmt: str | None = None, *, currency: str = "",
          empty: str | None = NO_DATA) -> str | None:
    """A value by its unit (the registry's units: count, share, ratio, money, days, hours, score),
    with the number format `fmt` when one is given (LEVEL for a maturity level)."""
    if is_missing(v):
        return empty
    if fmt == LEVEL:
        return level(v)
    if unit == "money":
        return money(v, currency)
    if unit == "hours":
        return hours(v)
    by_unit = {"share": share, "days": days, "count": count}.get(unit, ratio)  # ratio and score
    return by_unit(v, fmt) if fmt else by_unit(v)


def change(unit: str, delta: Any, fmt: str | None = None, *, currency: str = "",
           empty: str | None = NO_DATA) -> str | None:
    """A change between two months: '+2.5 pp' for shares, '+0.03' for ratios, '-1.2 M' for money,
    '±0' for none."""
    if is_missing(delta):
        return empty
    c = float(delta)
    sign = "+" if c > 0 else ("" if c < 0 else "±")
    if unit == "share":
        return f"{sign}{c * 100:.1f} pp"
    if fmt == LEVEL:
        return f"{sign}{c:.0f}"
    return f"{sign}{value(unit, c, fmt, currency=currency)}"


# -- signs -------------------------------------------------------------------------------------------

def typographic(text: str | None) -> str | None:
    """A leading '-' as a true minus sign ('−1.9 M'), which reads better and is never a formula."""
    if isinstance(text, str) and text.startswith("-"):
        return MINUS + text[1:]
    return text


def arrow(text: str | None) -> str | None:
    """A signed change as an arrow: '+2.5 pp' → '▲ 2.5 pp', '-1.2 M' → '▼ 1.2 M'."""
    if text is None:
        return None
    if text.startswith("+"):
        return f"{UP} {text[1:]}"
    if text.startswith("-"):
        return f"{DOWN} {text[1:]}"
    return text


def signed_money(value: Any, currency: str = "", *, empty: str | None = NO_DATA) -> str | None:
    """A change of money as an arrow: '▲ 1.2 M', '▼ 350.0 k', '±0'."""
    return empty if is_missing(value) else arrow(change("money", value, currency=currency))


def slip(value: Any, *, empty: str | None = NO_DATA) -> str | None:
    """A move of a date in days: '12 days later', '1 day earlier', 'unchanged'."""
    if is_missing(value):
        return empty
    n = int(value)
    if n == 0:
        return "unchanged"
    return f"{abs(n):,} day{'s' if abs(n) != 1 else ''} {'later' if n > 0 else 'earlier'}"


# -- dates, words, codes -------------------------------------------------------------------------------

def date(value: Any, *, empty: str | None = NO_DATA) -> str | None:
    """A day as ISO text: '2025-06-30'."""
    if is_missing(value):
        return empty
    import pandas as pd  # loaded where a date is formatted, not by the loader (see is_missing)

    return pd.Timestamp(value).strftime("%Y-%m-%d")


def month_label(month: str) -> str:
    """'2025-06' → 'June 2025'."""
    y, m = parse_month(month)
    return f"{calendar.month_name[m]} {y}"


def month_abbr(month: str) -> str:
    """'2025-06' → 'Jun' (where the year is said nearby)."""
    return calendar.month_abbr[parse_month(month)[1]]


def short_month(month: str) -> str:
    """'2025-06' → 'Jun 2025'."""
    y, m = parse_month(month)
    return f"{calendar.month_abbr[m]} {y}"


def label(code: Any, enumeration: str | None = None, *, empty: str | None = NO_DATA) -> str | None:
    """A contract enumeration value as words, as a heading or a cell starts: 'on_hold' → 'On hold',
    'cost_saving' → 'Cost saving', 'green' → 'Green' (from ENUM_LABELS[enumeration] when given)."""
    if is_missing(code):
        return empty
    code = str(code)
    if enumeration is not None:
        return (ENUM_LABELS.get(enumeration) or PRODUCT_LABELS[enumeration]).get(code, _words(code))
    return STATE_LABELS.get(code) or _words(code)


def words(code: Any, *, empty: str | None = NO_DATA) -> str | None:
    """A contract enumeration value inside a sentence: 'on_hold' → 'on hold'."""
    return empty if is_missing(code) else str(code).replace("_", " ")


def signed(value: Any, fmt: str = ".2f", *, empty: str | None = NO_DATA) -> str | None:
    """A difference with its sign always shown: '+0.50', '-0.25', '+0.00'."""
    return empty if is_missing(value) else f"{float(value):+{fmt}}"


def state(rag: Any) -> str:
    """A RAG rating, 'none' or 'inactive' as words; anything else (no rating) reads 'No report'."""
    return STATE_LABELS.get(rag, RAG_LABELS["none"]) if isinstance(rag, str) else RAG_LABELS["none"]


def text(value: Any, limit: int | None = None, *, empty: str | None = None) -> str | None:
    """Free text from the data on one line, cut to `limit` characters with an ellipsis."""
    if is_missing(value):
        return empty
    s = " ".join(str(value).split())
    if limit and len(s) > limit:
        s = s[: limit - 1].rstrip() + "…"
    return s


def clause(sentence: str) -> str:
    """A sentence to go after a colon: 'The loaded data has no risks.' → 'the loaded data has no risks.'"""
    return sentence[:1].lower() + sentence[1:]


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 project', '3 projects', '2 people are' (with `many`)."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"
