"""Strings → contract types, vectorised with polars.

Every parser takes the column as read (strings, possibly untrimmed, empty cells already null) and
returns the typed column; a cell that was not null but comes back null did not parse. Parsers try
the cheap exact cast on the whole column first and only clean the cells that failed, because the
common case — a 5-million-row timesheet of clean ISO dates and plain numbers — must stay fast.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from typing import Callable

import polars as pl

from ..contract import BOOL, DATE, INT, MONEY, MONTH, NUM, STR

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
TRUE_TOKENS = ("true", "yes", "y", "1", "t")
FALSE_TOKENS = ("false", "no", "n", "0", "f")


@dataclass(frozen=True)
class ValueOptions:
    """How values are written in a source; set in a mapping's [defaults], source or table."""

    empty: tuple[str, ...] = ()            # tokens meaning empty, besides ""
    decimal: str | None = None             # "." or ","; None: detect per column
    thousands: str | None = None           # ",", ".", " ", "'" or ""; None: the other of decimal
    currency: tuple[str, ...] | None = None  # None: DEFAULT_CURRENCIES
    date_formats: tuple[str, ...] = ()     # strftime formats tried in order; () = detect
    not_values: tuple[str, ...] = ()       # glob patterns of text that stands where a value should be

    def merged(self, other: "ValueOptions | None") -> "ValueOptions":
        """These options overridden by whatever `other` sets explicitly."""
        if other is None:
            return self
        changes = {f.name: getattr(other, f.name) for f in fields(other)
                   if getattr(other, f.name) not in (None, ())}
        return replace(self, **changes)


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


def parse_bool(s: pl.Series, opts: ValueOptions, first: pl.Series | None = None) -> pl.Series:
    """true/false, yes/no, y/n, 1/0 (any case) → Boolean."""
    low = clean_strings(s, opts).str.to_lowercase()
    out = pl.select(pl.when(low.is_in(TRUE_TOKENS)).then(True)
                    .when(low.is_in(FALSE_TOKENS)).then(False)).to_series()
    return out.cast(pl.Boolean).alias(s.name)


# --- enumerations and not-values ------------------------------------------------------------

def normalise_enum(s: pl.Series) -> pl.Series:
    """Lower-case and trim; runs of spaces or hyphens become "_" ("On Hold" → "on_hold")."""
    return s.str.strip_chars().str.to_lowercase().str.replace_all(r"[\s\-]+", "_")


def enum_key(text: str) -> str:
    """The normalised form of a translation key for an enumeration column."""
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


def translate(s: pl.Series, table: dict[str, str], *, enum: bool) -> pl.Series:
    """Apply a mapping's value translations; keys match case-insensitively, unmatched values stay."""
    if enum:
        keys = {enum_key(k): v for k, v in table.items()}
        low = normalise_enum(s)
        base = low
    else:
        keys = {k.strip().lower(): v for k, v in table.items()}
        low = s.str.strip_chars().str.to_lowercase()
        base = s
    hit = low.is_in(list(keys))
    new = low.replace_strict(keys, default=None, return_dtype=pl.String)
    return pl.select(pl.when(hit).then(new).otherwise(base)).to_series().alias(s.name)


def glob_regex(patterns: tuple[str, ...]) -> str:
    """Case-insensitive regex for whole-value glob patterns (* and ?), whitespace-tolerant."""
    alts = []
    for p in patterns:
        parts = []
        for ch in p.strip():
            if ch == "*":
                parts.append(".*")
            elif ch == "?":
                parts.append(".")
            elif ch.isspace():
                parts.append(r"\s+")
            else:
                parts.append(re.escape(ch))
        alts.append("".join(parts).replace(r"\s+\s+", r"\s+"))
    return r"(?is)^\s*(?:" + "|".join(alts) + r")\s*$"


def not_value_mask(s: pl.Series, patterns: tuple[str, ...]) -> pl.Series:
    """Cells holding text that a mapping declares is not a value (an FOI exemption, say)."""
    if not patterns:
        return pl.Series([False] * len(s))
    return s.str.contains(glob_regex(patterns)).fill_null(False)


PARSERS: dict[str, Callable[..., pl.Series]] = {
    DATE: parse_date, MONTH: parse_month, MONEY: lambda s, o, first=None: parse_number(s, o, percent=False, first=first),
    NUM: lambda s, o, first=None: parse_number(s, o, first=first), INT: parse_int, BOOL: parse_bool,
}


# --- first attempts, as expressions ----------------------------------------------------------
# The exact cast of a clean column, written as an expression so that one `select` runs the first
# attempt of every column in parallel; `parse` then only repairs the cells that failed.

def _fast_number(e: pl.Expr) -> pl.Expr:
    f = e.cast(pl.Float64, strict=False)
    return pl.when(f.is_finite()).then(f)


def _fast_month(e: pl.Expr) -> pl.Expr:
    return pl.when(e.str.contains(r"^\d{4}-(?:0[1-9]|1[0-2])$")).then(e)


def first_attempt(e: pl.Expr, type_: str, opts: ValueOptions) -> pl.Expr | None:
    """The cheap first parse of a column as an expression, or None when the type has none."""
    if type_ == DATE:
        if opts.date_formats:
            d = e.str.to_date(opts.date_formats[0], strict=False, cache=False)
            return pl.when(d.dt.year() >= 1000).then(d)
        return e.str.to_date("%Y-%m-%d", strict=False, cache=False)
    if type_ in (NUM, MONEY) and opts.decimal in (None, "."):
        return e.cast(pl.Float64, strict=False)  # parse_number drops nan/inf afterwards
    if type_ == INT:
        return e.cast(pl.Int64, strict=False)
    if type_ == MONTH:
        return _fast_month(e)
    return None
POLARS_TYPES = {STR: pl.String, DATE: pl.Date, MONTH: pl.String, MONEY: pl.Float64, NUM: pl.Float64,
                INT: pl.Int64, BOOL: pl.Boolean}


def parse(s: pl.Series, type_: str, opts: ValueOptions, native: pl.Series | None = None,
          first: pl.Series | None = None) -> tuple[pl.Series, pl.Series | None]:
    """Parse a string column to a contract type → (values, mask of cells that did not parse, or
    None when all did). `native` holds values the source already typed (Excel numbers and dates,
    Parquet columns); they win over the string reading. `first` is `first_attempt`'s result."""
    if type_ == STR:
        return s, None
    out = PARSERS[type_](s, opts, first=first)
    if native is not None:
        nat = native_as(native, type_)
        if nat is not None:
            out = pl.select(pl.coalesce(nat, out)).to_series()
    out = out.cast(POLARS_TYPES[type_]).alias(s.name)
    bad = failed(s, out)
    if not bad.any():
        return out, None
    # Blank cells and empty tokens are nulls, not failures.
    idx = bad.arg_true()
    blank = clean_strings(s.gather(idx), opts).is_null()
    if blank.all():
        return out, None
    bad = bad.scatter(idx.filter(blank), False)
    return out, bad


def native_as(native: pl.Series, type_: str) -> pl.Series | None:
    """A natively typed column (or an Object column of mixed Excel cells) as the contract type."""
    dt = native.dtype
    try:
        if type_ in (NUM, MONEY) and dt.is_numeric():
            return native.cast(pl.Float64)
        if type_ == INT and dt.is_numeric():
            f = native.cast(pl.Float64)
            return pl.select(pl.when(f == f.round()).then(f)).to_series().cast(pl.Int64)
        if type_ == DATE and (dt == pl.Date or isinstance(dt, pl.Datetime)):
            return native.cast(pl.Date)
        if type_ == MONTH and (dt == pl.Date or isinstance(dt, pl.Datetime)):
            return native.dt.strftime("%Y-%m")
        if type_ == BOOL and dt == pl.Boolean:
            return native
    except pl.exceptions.PolarsError:
        return None
    return None
