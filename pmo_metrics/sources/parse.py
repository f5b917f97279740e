"""Strings → contract types: an exact fast path in SQL, and lenient parsers for what it cannot read.

Every cell of a typed column first meets `sql_fast`: the cheap, exact reading of a clean value
(`2024-03-31`, `1234.5`, `42`) that DuckDB applies while it reads the file, so a 25-million-row
timesheet of ISO dates and plain numbers never leaves the engine (on the enterprise demo batch the
fast path reads 5 M dates and 5 M hours in about 0.2 s). It only accepts what the lenient parsers
below would read the same way, and leaves everything else empty.

The cells it leaves are read by those parsers, written with polars, on the *distinct* values only
(a column of 25 M day-first dates holds a few thousand different ones). They stay in polars because
they implement chrono's strptime, which a mapping's declared `date_formats` are written against and
DuckDB's strptime does not match (chrono's %B also takes "Mar", its %y pivots at 70 not 69, it refuses
trailing spaces), and because number reading decides per column, from the cells that failed, whether
a comma is the decimal separator. A parser returns null for a cell that held something but did not
parse.
"""
from __future__ import annotations

import re
from typing import Callable

import polars as pl

from ..contract import DATE, INT, MONEY, MONTH, NUM
from .cells import ValueOptions

# Tried in this order when a mapping declares no date format: ISO first, then day-first
# spellings (month-first is never guessed: 03/04/2024 is ambiguous, so it must be declared).
DETECT_DATE_FORMATS = (
    "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%y", "%d.%m.%y", "%d-%m-%y",
    "%d %b %Y", "%d %B %Y", "%d-%b-%Y", "%d-%b-%y", "%d %b %y", "%Y/%m/%d", "%Y%m%d",
)
# Month spellings besides YYYY-MM; a full date is also accepted and its month taken.
MONTH_FORMATS = (("%Y/%m", "/01"), ("%m/%Y", None), ("%m.%Y", None), ("%b %Y", None), ("%B %Y", None),
                 ("%b-%Y", None), ("%b-%y", None), ("%Y%m", "01"))
# Stripped from money and numbers when a mapping declares no currency list.
DEFAULT_CURRENCIES = ("£", "$", "€", "¥", "GBP", "USD", "EUR", "CHF", "CAD", "AUD", "JPY")


def failed(original: pl.Series, parsed: pl.Series) -> pl.Series:
    """Mask of cells that held something but did not parse."""
    return parsed.is_null() & original.is_not_null()


def _repair(original: pl.Series, parsed: pl.Series, fix: Callable[[pl.Series], pl.Series]) -> pl.Series:
    """Re-parse only the failed cells with `fix` (a slower, more lenient parser)."""
    bad = failed(original, parsed)
    n = bad.sum()
    if not n:
        return parsed
    if n == len(parsed):
        return fix(original).cast(parsed.dtype)
    idx = bad.arg_true()
    fixed = fix(original.gather(idx)).cast(parsed.dtype)
    return parsed.scatter(idx, fixed)


def clean_strings(s: pl.Series, opts: ValueOptions) -> pl.Series:
    """Trim, and turn "" and the empty tokens into null."""
    s = s.str.strip_chars()
    empty = s.str.len_bytes() == 0
    if opts.empty:
        empty = empty | s.str.to_lowercase().is_in([t.strip().lower() for t in opts.empty])
    return pl.select(pl.when(empty).then(None).otherwise(s)).to_series().alias(s.name)


# --- numbers -------------------------------------------------------------------------------

def _currency_pattern(currencies: tuple[str, ...]) -> str:
    symbols = [re.escape(c) for c in currencies if not c.isalpha()]
    codes = [re.escape(c) for c in currencies if c.isalpha()]
    parts = []
    if symbols:
        parts.append("|".join(symbols))
    if codes:
        parts.append(r"\b(?:" + "|".join(codes) + r")\b")
    return "(?i)" + "|".join(parts) if parts else ""


def _strip_decorations(s: pl.Series, opts: ValueOptions, percent: bool) -> pl.Series:
    """Remove currency, spaces and a trailing % ; (1,234) → -1,234."""
    cur = _currency_pattern(opts.currency if opts.currency is not None else DEFAULT_CURRENCIES)
    x = s.str.strip_chars()
    if cur:
        x = x.str.replace_all(cur, "")
    x = x.str.replace_all(r"[\s\u00a0\u202f']", "")
    if percent:
        x = x.str.strip_suffix("%")
    neg = x.str.starts_with("(") & x.str.ends_with(")")
    return pl.select(pl.when(neg).then(pl.lit("-") + x.str.strip_chars("()")).otherwise(x)).to_series()


def _decimal_comma_evidence(x: pl.Series) -> bool:
    """True when some value can only be read with a decimal comma (1,5 or 1.234,56) and none
    only with a thousands comma (1,234.5)."""
    comma_dec = x.str.contains(r"^[+-]?\d*,\d{1,2}$|^[+-]?\d*,\d{4,}$|\d\.\d{3},\d").any()
    comma_thou = x.str.contains(r"\d,\d{3}\.\d").any()
    return bool(comma_dec) and not bool(comma_thou)


def _to_float(x: pl.Series, decimal: str, thousands: str) -> pl.Series:
    """Parse decorated-free strings with the given separators, checking digit grouping."""
    d, t = re.escape(decimal), re.escape(thousands) if thousands else ""
    group = rf"\d{{1,3}}(?:{t}\d{{3}})+|" if t else ""
    ok = x.str.contains(rf"^[+-]?(?:{group}\d*)(?:{d}\d+)?$") & x.str.contains(r"\d")
    y = x.str.replace_all(thousands, "", literal=True) if thousands else x
    if decimal != ".":
        y = y.str.replace(decimal, ".", literal=True)
    out = y.cast(pl.Float64, strict=False)
    return pl.select(pl.when(ok & out.is_finite()).then(out)).to_series()


def parse_number(s: pl.Series, opts: ValueOptions, *, percent: bool = True,
                 first: pl.Series | None = None) -> pl.Series:
    """Strings → Float64. Plain numbers take the fast path; the rest lose currency symbols and
    thousands separators. With no declared decimal separator, a column is read with a decimal
    comma only when some value proves it (see `_decimal_comma_evidence`)."""
    decimal = opts.decimal
    if first is not None:
        out = pl.select(pl.when(first.is_finite()).then(first)).to_series()  # "nan", "inf" are no amounts
    elif decimal in (None, "."):
        out = pl.select(_fast_number(pl.lit(s))).to_series()
    else:
        out = pl.Series(s.name, [None] * len(s), dtype=pl.Float64)
    bad = failed(s, out)
    if not bad.any():
        return out.alias(s.name)
    if decimal is None:
        sub = _strip_decorations(s.filter(bad), opts, percent)
        if _decimal_comma_evidence(sub):
            # A decimal-comma column: "1.234" means 1234, so the fast path's reading is wrong too.
            decimal = ","
            out = pl.Series(s.name, [None] * len(s), dtype=pl.Float64)
        else:
            decimal = "."
    thousands = opts.thousands if opts.thousands is not None else ("." if decimal == "," else ",")

    def fix(sub: pl.Series) -> pl.Series:
        sub = clean_strings(sub, opts)
        return _to_float(_strip_decorations(sub, opts, percent), decimal, thousands)

    return _repair(s, out, fix).alias(s.name)


def reads_decimal_comma(s: pl.Series, opts: ValueOptions, percent: bool = True) -> bool:
    """Whether `parse_number` reads this column with a decimal comma it was not told of: then every
    cell is read that way, also those the fast path took for plain numbers (1.234 is 1234)."""
    if opts.decimal is not None:
        return False
    fast = pl.select(_fast_number(pl.lit(s))).to_series()
    bad = failed(s, fast)
    return bool(bad.any()) and _decimal_comma_evidence(_strip_decorations(s.filter(bad), opts, percent))


def parse_int(s: pl.Series, opts: ValueOptions, first: pl.Series | None = None) -> pl.Series:
    """Strings → Int64; "3.0" is 3, "3.5" does not parse."""
    out = first if first is not None else s.cast(pl.Int64, strict=False)

    def fix(sub: pl.Series) -> pl.Series:
        f = parse_number(sub, opts, percent=False)
        return pl.select(pl.when(f == f.round()).then(f)).to_series().cast(pl.Int64, strict=False)

    return _repair(s, out, fix).alias(s.name)


# --- dates and months -----------------------------------------------------------------------

def _date_with(x: pl.Series, fmt: str) -> pl.Series:
    d = x.str.to_date(fmt, strict=False, cache=False)  # the cache costs more than it saves
    # %Y happily reads "30.06.08" as the year 8 AD; no PMO date is that old, so treat it as a
    # miss and let a later format (%y) have it.
    return pl.select(pl.when(d.dt.year() >= 1000).then(d)).to_series()


def _iso_date(x: pl.Series) -> pl.Series:
    d = _date_with(x, "%Y-%m-%d")

    def datetime_prefix(sub: pl.Series) -> pl.Series:
        # 2011-10-01T00:00:00Z, 2024-03-31 17:00: the date part counts.
        is_dt = sub.str.contains(r"^\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}")
        head = _date_with(sub.str.slice(0, 10), "%Y-%m-%d")
        return pl.select(pl.when(is_dt).then(head)).to_series()

    return _repair(x, d, datetime_prefix)


def _date_step(x: pl.Series, fmt: str) -> pl.Series:
    return _iso_date(x) if fmt == "iso" else _date_with(x, fmt)


def parse_date(s: pl.Series, opts: ValueOptions, first: pl.Series | None = None) -> pl.Series:
    """Strings → Date: the declared formats in order (then ISO), or ISO then day-first formats."""
    if opts.date_formats:
        steps = list(opts.date_formats) + ([] if "%Y-%m-%d" in opts.date_formats else ["iso"])
    else:
        steps = ["iso", *DETECT_DATE_FORMATS]

    def run(x: pl.Series) -> pl.Series:
        out = _date_step(x, steps[0])
        for fmt in steps[1:]:
            if not failed(x, out).any():
                break
            out = _repair(x, out, lambda sub, f=fmt: _date_step(sub, f))
        return out

    if first is not None:
        out = first
        for fmt in steps[1:]:
            if not failed(s, out).any():
                break
            out = _repair(s, out, lambda sub, f=fmt: _date_step(sub, f))
    else:
        out = run(s)
    # Untrimmed cells and empty tokens only cost a second pass over the cells that failed.
    return _repair(s, out, lambda sub: run(clean_strings(sub, opts))).alias(s.name)


def parse_month(s: pl.Series, opts: ValueOptions, first: pl.Series | None = None) -> pl.Series:
    """Strings → 'YYYY-MM' strings; a date (2024-03-31) gives its month."""
    out = first if first is not None else pl.select(_fast_month(pl.lit(s))).to_series()

    def fix(sub: pl.Series) -> pl.Series:
        sub = clean_strings(sub, opts)
        ok = sub.str.contains(r"^\d{4}-(?:0[1-9]|1[0-2])$")
        res = pl.select(pl.when(ok).then(sub)).to_series()
        for fmt, suffix in MONTH_FORMATS:
            def one(ss: pl.Series, fmt=fmt, suffix=suffix) -> pl.Series:
                if suffix:
                    d = _date_with(ss + suffix, fmt + ("/%d" if suffix == "/01" else "%d"))
                else:
                    d = _date_with("01 " + ss, "%d " + fmt)
                return d.dt.strftime("%Y-%m")
            res = _repair(sub, res, one)
        return _repair(sub, res, lambda ss: parse_date(ss, opts).dt.strftime("%Y-%m"))

    return _repair(s, out, fix).alias(s.name)


PARSERS: dict[str, Callable[..., pl.Series]] = {
    DATE: parse_date, MONTH: parse_month, MONEY: lambda s, o, first=None: parse_number(s, o, percent=False, first=first),
    NUM: lambda s, o, first=None: parse_number(s, o, first=first), INT: parse_int,
}


# --- first attempts, as expressions ----------------------------------------------------------
# The exact cast of a clean column, the first step of a parser when the column is read as is.

def _fast_number(e: pl.Expr) -> pl.Expr:
    f = e.cast(pl.Float64, strict=False)
    return pl.when(f.is_finite()).then(f)


def _fast_month(e: pl.Expr) -> pl.Expr:
    return pl.when(e.str.contains(r"^\d{4}-(?:0[1-9]|1[0-2])$")).then(e)


def first_attempt(e: pl.Expr, type_: str, opts: ValueOptions) -> pl.Expr | None:
    """The cheap first parse of a column as an expression, or None when the type has none."""
    if type_ == DATE:
        # As in `_date_with`: %Y reads "31-03-24" as the year 31 AD, a miss that day-first formats then read.
        d = e.str.to_date(opts.date_formats[0] if opts.date_formats else "%Y-%m-%d", strict=False, cache=False)
        return pl.when(d.dt.year() >= 1000).then(d)
    if type_ in (NUM, MONEY) and opts.decimal in (None, "."):
        return e.cast(pl.Float64, strict=False)  # parse_number drops nan/inf afterwards
    if type_ == INT:
        return e.cast(pl.Int64, strict=False)
    if type_ == MONTH:
        return _fast_month(e)
    return None


def parse(s: pl.Series, type_: str, opts: ValueOptions, *, as_is: bool = False) -> pl.Series:
    """Parse a string column to a contract type (DATE, MONTH, MONEY, NUM or INT); a cell that held
    something and comes back null did not parse. `as_is`: the column is a source column read as
    written (not trimmed, no token emptied), which the parsers first try with `first_attempt`."""
    first = None
    if as_is:
        e = first_attempt(pl.lit(s), type_, opts)
        first = pl.select(e).to_series() if e is not None else None
    return PARSERS[type_](s, opts, first=first)
