"""Cell values in SQL: how a mapping's value options read as DuckDB expressions.

Each function returns the text of a DuckDB expression over an expression `x` (itself our own SQL),
and binds every value that comes from a mapping — empty tokens, currency lists, patterns — through
`bind`, which returns a `$parameter`. The lenient parsers for what these expressions cannot read
exactly are in `parse` (see its docstring for why they are separate).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from typing import Any, Callable

from ..contract import BOOL, DATE, INT, MONEY, MONTH, NUM, STR, Column, Table

Bind = Callable[[Any], str]

# The characters `str.strip()` and polars' `strip_chars()` trim (Unicode White_Space), and the same
# as a regular-expression class: DuckDB's regular expressions (RE2) read \s as ASCII whitespace only.
WHITESPACE = ("\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
              "\u200a\u2028\u2029\u202f\u205f\u3000")
WS = r"[\t\n\x{0B}\f\r \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}]"

TRUE_TOKENS = ("true", "yes", "y", "1", "t")
FALSE_TOKENS = ("false", "no", "n", "0", "f")

# What the fast path takes for a plain number (no spaces, separators, signs of currency). DuckDB's
# own cast also takes " 12", "1_000" and "0x1F"; those are left to the lenient parser.
_PLAIN_NUMBER = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?"
_PLAIN_INT = r"[+-]?[0-9]+"
_ISO_MONTH = r"[0-9]{4}-(0[1-9]|1[0-2])"


@dataclass(frozen=True)
class ValueOptions:
    """How values are written in a source; set in a mapping's [defaults], source or table."""

    empty: tuple[str, ...] = ()            # tokens meaning empty, besides ""
    decimal: str | None = None             # "." or ","; None: detect per column
    thousands: str | None = None           # ",", ".", " ", "'" or ""; None: the other of decimal
    currency: tuple[str, ...] | None = None  # None: the parsers' default currencies
    date_formats: tuple[str, ...] = ()     # strftime formats tried in order; () = detect
    not_values: tuple[str, ...] = ()       # glob patterns of text that stands where a value should be

    def merged(self, other: "ValueOptions | None") -> "ValueOptions":
        """These options overridden by whatever `other` sets explicitly."""
        if other is None:
            return self
        changes = {f.name: getattr(other, f.name) for f in fields(other)
                   if getattr(other, f.name) not in (None, ())}
        return replace(self, **changes)


def trim(x: str) -> str:
    """x without leading and trailing whitespace (Unicode's, as Python and polars strip it).

    DuckDB's trim with a set of characters costs ~2 s per column of 5 M cells; looking at the first
    and last character costs ~0.1 s, so only a cell that starts or ends with a space, a control
    character or a non-ASCII character is trimmed. Each end is looked at once (a BETWEEN; two
    comparisons computed `ascii` twice: 0.195 s against 0.097 s per column of 5 M cells)."""
    ends = f"ascii({x}) NOT BETWEEN 33 AND 127 OR ascii({x}[-1]) NOT BETWEEN 33 AND 127"
    return f"CASE WHEN {ends} THEN trim({x}, '{WHITESPACE}') ELSE {x} END"


def clean(x: str, opts: ValueOptions, bind: Bind, *, plain: bool = False) -> str:
    """Trimmed; "" and the empty tokens (matched case-insensitively) are null. `plain`: the cells
    come from a file with no whitespace in them (`delimited.plain_cells`), so none needs a trim."""
    t = x if plain else trim(x)
    if not opts.empty:
        return f"nullif({t}, '')"
    tokens = bind([token.strip().lower() for token in opts.empty])
    return f"CASE WHEN {t} = '' OR list_contains({tokens}, lower({t})) THEN NULL ELSE {t} END"


def normalise_enum(x: str) -> str:
    """Lower-case and trim; runs of spaces or hyphens become "_" ("On Hold" → "on_hold")."""
    return f"regexp_replace(lower({trim(x)}), '({WS}|-)+', '_', 'g')"


def enum_key(text: str) -> str:
    """The normalised form of a translation key for an enumeration column."""
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


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
                parts.append(WS + "+")
            else:
                parts.append(re.escape(ch))
        alts.append("".join(parts).replace(f"{WS}+{WS}+", f"{WS}+"))
    return rf"(?is)^{WS}*(?:" + "|".join(alts) + rf"){WS}*$"


def cast_type(type_: str, opts: ValueOptions) -> str | None:
    """The DuckDB type `fast` reads a cell of this type by (DOUBLE: a number with a decimal point;
    DATE: a date whose first format is ISO), else None — also what DuckDB's reader may type a plain
    file's cell as itself (`typed`)."""
    if type_ in (NUM, MONEY) and opts.decimal in (None, "."):
        return "DOUBLE"
    if type_ == DATE and (opts.date_formats or ("%Y-%m-%d",))[0] == "%Y-%m-%d":
        return "DATE"
    return None


def fast(x: str, type_: str, opts: ValueOptions, bind: Bind, *, plain: bool = False) -> str | None:
    """The exact reading of a clean cell, or None when the type has none under these options.
    `plain`: the cells come from a file with none of the characters below (see
    `delimited.plain_cells`), so DuckDB's cast alone reads a number exactly as with the pattern
    (tests/test_sources_parse.py compares them on every string of up to five number characters)."""
    cast = cast_type(type_, opts)
    if cast == "DOUBLE":
        # DuckDB's cast alone also reads "1_000", "+-1" and numbers with spaces around them; the
        # pattern costs ~0.17 s per column of 5 M cells, the cast 0.07 s.
        v = f"TRY_CAST({x} AS DOUBLE)"
        if plain:
            return f"CASE WHEN isfinite({v}) THEN {v} END"
        return f"CASE WHEN regexp_full_match({x}, '{_PLAIN_NUMBER}') AND isfinite({v}) THEN {v} END"
    if type_ == INT:
        return f"CASE WHEN regexp_full_match({x}, '{_PLAIN_INT}') THEN TRY_CAST({x} AS BIGINT) END"
    if cast == "DATE":
        # An ISO date of the year 1000 or later: an earlier year is a miss that the lenient parser
        # decides (%Y reads 31-03-24 as the year 31), and DuckDB's 'infinity' is no date.
        d = f"CAST(try_strptime({x}, '%Y-%m-%d') AS DATE)"
        return f"CASE WHEN year({d}) >= 1000 AND isfinite({d}) THEN {d} END"
    if type_ == MONTH:
        return f"CASE WHEN regexp_full_match({x}, '{_ISO_MONTH}') THEN {x} END"
    if type_ == BOOL:
        return boolean(x, opts, bind)
    return None


def typed(x: str, type_: str) -> str:
    """A cell DuckDB's reader typed itself (DOUBLE, or DATE as %Y-%m-%d: `CsvFile.reader_sql`) as
    `fast` reads its text: a number that is not finite, a date before the year 1000 or DuckDB's
    'infinity' is a miss for the lenient parser (the reader reads them; the fast parse does not)."""
    if type_ == DATE:
        return f"CASE WHEN year({x}) >= 1000 AND isfinite({x}) THEN {x} END"
    return f"CASE WHEN isfinite({x}) THEN {x} END"


def boolean(x: str, opts: ValueOptions, bind: Bind) -> str:
    """true/false, yes/no, y/n, 1/0, t/f in any case; an empty token is empty."""
    low = f"lower({trim(x)})"
    empty = ""
    if opts.empty:
        empty = f"WHEN list_contains({bind([t.strip().lower() for t in opts.empty])}, {low}) THEN NULL "
    true = ", ".join(f"'{t}'" for t in TRUE_TOKENS)
    false = ", ".join(f"'{t}'" for t in FALSE_TOKENS)
    return f"CASE {empty}WHEN {low} IN ({true}) THEN true WHEN {low} IN ({false}) THEN false END"


def native(n: str, type_: str, dtype: str) -> str | None:
    """A value the source typed itself (an Excel number or date, a Parquet column) as the contract
    type, or None when it does not fit (text parsing then decides)."""
    numeric = dtype in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                        "UINTEGER", "UBIGINT", "FLOAT", "DOUBLE") or dtype.startswith("DECIMAL")
    when = dtype == "DATE" or dtype.startswith("TIMESTAMP")
    if type_ in (NUM, MONEY) and numeric:
        # A Parquet +inf, -inf or NaN is no amount: left unread, the text parse refuses it by name.
        return f"CASE WHEN isfinite(CAST({n} AS DOUBLE)) THEN CAST({n} AS DOUBLE) END"
    if type_ == INT and numeric:
        return f"CASE WHEN CAST({n} AS DOUBLE) = round(CAST({n} AS DOUBLE)) THEN TRY_CAST({n} AS BIGINT) END"
    if type_ == DATE and when:
        return f"CAST({n} AS DATE)"
    if type_ == MONTH and when:
        return f"strftime({n}, '%Y-%m')"
    if type_ == BOOL and dtype == "BOOLEAN":
        return n
    return None


def float_text(x: str) -> str:
    """A float as text, as the report has always shown it (1e-7, not DuckDB's 1e-07; NaN)."""
    return (f"CASE WHEN isnan({x}) THEN 'NaN' ELSE regexp_replace(regexp_replace(CAST({x} AS VARCHAR), "
            r"'e-0(\d)$', 'e-\1'), '^(-?)(\d)(?:\.(\d+))?e-5$', '\10.0000\2\3') END")


def text(x: str, type_: str) -> str:
    """A typed contract value as the text a finding shows (dates ISO, floats as polars wrote them)."""
    if type_ in (NUM, MONEY):
        return float_text(x)
    return f"CAST({x} AS VARCHAR)"


def visible_text(expr: str) -> str:
    """A name as read: zero-width characters and NUL removed (an all-invisible cell is empty).

    Keys and references keep what they hold, so that KEY-NEAR-DUPLICATE (schemas.lookalikes) can
    name a key that differs from another only by what cannot be seen."""
    zero_width = r"[\x{200B}-\x{200D}\x{2060}\x{FEFF}\x00]"
    return (f"CASE WHEN regexp_matches({expr}, '{zero_width}') "
            f"THEN nullif(regexp_replace({expr}, '{zero_width}', '', 'g'), '') ELSE {expr} END")


def is_name(table: Table, column: Column) -> bool:
    """A text column that is no key and no reference: cleaned of invisible characters on read."""
    return column.type == STR and column.name not in table.key and not column.name.endswith("_id")
