"""Mappings: a TOML file saying how an organisation's exports become contract tables.

The format is documented in docs/mappings.md; `load_mapping` checks a file completely before any
data is read, so a typo fails in one line that names the mapping and the section.
"""
from __future__ import annotations

import codecs
import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..contract import DATE, INT, MONEY, MONTH, NUM, STR, TABLES
from ..findings import BatchError
from .cells import ValueOptions
from .readers import READER_KINDS

READ_KEYS = frozenset({"encoding", "encoding_errors", "separator"})
VALUE_KEYS = frozenset({"empty", "decimal", "thousands", "currency", "date_formats", "not_values"})
SOURCE_KEYS = frozenset({"kind", "columns", "constants", "description"}) | VALUE_KEYS
TABLE_KEYS = frozenset({"from", "columns", "constants", "values", "bands", "scale", "not_value_action",
                        "drop_if_empty", "dedupe", "description", "query", "table", "checks",
                        "skip_rows", "departed", "clean"}) | VALUE_KEYS
SKIP_KEYS = frozenset({"column", "equals", "matches", "regex", "other_than", "empty", "description"})
CHECK_KEYS = frozenset({"min", "max", "pattern", "values", "severity", "description"})
SOURCE_READ_KEYS = ("query", "table")  # a table's own read of its `from` database source
LOOKUP_KEYS = frozenset({"from", "key", "value", "keep", "order_by", "description"})
TOP_KEYS = frozenset({"version", "description", "defaults", "sources", "tables", "lookups", "value_tables"})
FILTERS = ("upper", "lower", "squash", "slug")
NOT_VALUE_ACTIONS = ("null", "drop")


# --- column specs ------------------------------------------------------------------------------

@dataclass(frozen=True)
class ColumnRef:
    """A source column, by its header (matched case-insensitively after trimming)."""
    name: str

    def columns(self) -> list[str]:
        return [self.name]


@dataclass(frozen=True)
class Placeholder:
    column: str
    filters: tuple[str, ...]  # "upper", "lower", "squash", "slug" or "lookup:NAME"


@dataclass(frozen=True)
class Template:
    """Text with {column|filter} placeholders; empty when any placeholder is empty."""
    text: str
    parts: tuple[str | Placeholder, ...]

    def columns(self) -> list[str]:
        return [p.column for p in self.parts if isinstance(p, Placeholder)]

    def lookups(self) -> list[str]:
        return [f.split(":", 1)[1] for p in self.parts if isinstance(p, Placeholder)
                for f in p.filters if f.startswith("lookup:")]


@dataclass(frozen=True)
class Coalesce:
    """The first non-empty of several columns or templates."""
    options: tuple[ColumnRef | Template, ...]

    def columns(self) -> list[str]:
        return [c for o in self.options for c in o.columns()]


@dataclass(frozen=True)
class Case:
    """One branch of a conditional value: `value` (a constant) or `spec`, when `when` holds (None: always)."""
    when: "RowFilter | None"
    spec: "ColumnRef | Template | Coalesce | None" = None
    value: str | None = None


@dataclass(frozen=True)
class Cases:
    """A conditional value: the first case whose condition holds; empty when none does."""
    cases: tuple[Case, ...]

    def columns(self) -> list[str]:
        out = []
        for c in self.cases:
            if c.when is not None:
                out += c.when.spec.columns()
            if c.spec is not None:
                out += c.spec.columns()
        return out


Spec = ColumnRef | Template | Coalesce | Cases


@dataclass(frozen=True)
class Bands:
    """A label from numeric source columns: the largest (absolute) value against limits."""
    columns: tuple[str, ...]
    limits: tuple[float, ...]
    labels: tuple[str, ...]
    absolute: bool = True


@dataclass(frozen=True)
class Dedupe:
    key: tuple[str, ...]
    keep: str = "last"   # "last": the row from the source listed last (then the last row) wins
    fill: bool = False   # fill the kept row's empty cells from the key's other rows, latest first
    from_first: tuple[str, ...] = ()  # columns that take the key's first non-empty value (a baseline)
    # The order "first" and "last" follow, before `from` and file order: contract columns of the
    # table by their typed value, or source column specs read as dates (see docs/mappings.md).
    order_by: tuple["OrderKey", ...] = ()


@dataclass(frozen=True)
class OrderKey:
    column: str | None = None   # a contract column of the table
    spec: "Spec | None" = None  # else a source column (or template), read as a date
    text: str = ""              # as the mapping wrote it, for messages


@dataclass(frozen=True)
class Check:
    """A plausibility check a mapping declares on a contract column (rule MAP-CHECK)."""
    column: str
    minimum: Any = None        # a number, or a date for a date column
    maximum: Any = None
    pattern: str | None = None  # a regular expression the whole value must match
    values: tuple[str, ...] = ()  # the allowed values (matched case-insensitively)
    severity: str = "warning"


@dataclass(frozen=True)
class RowFilter:
    """Rows a table leaves out: where a source column equals, matches or is other than given values."""
    spec: "Spec"
    text: str                          # the column as the mapping wrote it
    equals: tuple[str, ...] = ()       # case-insensitive, trimmed
    matches: tuple[str, ...] = ()      # whole-value glob patterns (* and ?), case-insensitive
    regex: str | None = None           # a regular expression found anywhere in the value
    other_than: tuple[str, ...] = ()   # the values to keep: every other row (an empty value too) is left out
    empty: bool | None = None          # true: the value is empty; false: it is not

    def describe(self) -> str:
        parts = ([f"equals {', '.join(map(repr, self.equals))}"] if self.equals else []) + \
                ([f"matches {', '.join(map(repr, self.matches))}"] if self.matches else []) + \
                ([f"matches the pattern {self.regex!r}"] if self.regex else []) + \
                ([f"is not {', '.join(map(repr, self.other_than))}"] if self.other_than else []) + \
                ([f"is {'' if self.empty else 'not '}empty"] if self.empty is not None else [])
        return f"column {self.text!r} " + " or ".join(parts)


@dataclass(frozen=True)
class SourceSpec:
    name: str
    kind: str
    options: dict[str, Any]           # kind-specific: path, sheet, encoding, separator …
    columns: dict[str, Spec] = field(default_factory=dict)    # harmonised name → spec
    constants: dict[str, str] = field(default_factory=dict)
    values: ValueOptions | None = None
    origin: str = ""                  # where it was declared, for messages


@dataclass(frozen=True)
class TableSpec:
    name: str
    sources: tuple[str, ...]          # names in Mapping.sources; () = the file named after the table
    columns: dict[str, Spec] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    bands: dict[str, Bands] = field(default_factory=dict)
    scale: dict[str, float] = field(default_factory=dict)
    value_options: ValueOptions | None = None
    not_value_action: str = "null"
    drop_if_empty: tuple[str, ...] = ()
    dedupe: Dedupe | None = None
    origin: str = ""
    checks: tuple[Check, ...] = ()
    skip_rows: tuple[RowFilter, ...] = ()
    departed: str | None = None  # the stage of a project absent from the newest snapshot (see docs)
    value_tables: dict[str, str] = field(default_factory=dict)  # column → shared value table it uses
    clean: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)  # column → (regex, replacement)


@dataclass(frozen=True)
class Lookup:
    name: str
    sources: tuple[str, ...]
    key: Spec
    value: Spec
    keep: str = "last"
    order_by: tuple[Spec, ...] = ()   # source columns read as dates: "first"/"last" by them


@dataclass
class Mapping:
    """A parsed, checked mapping file (or the empty mapping: naming conventions only)."""

    path: Path | None = None
    read_defaults: dict[str, Any] = field(default_factory=dict)
    value_defaults: ValueOptions = field(default_factory=ValueOptions)
    sources: dict[str, SourceSpec] = field(default_factory=dict)
    tables: dict[str, TableSpec] = field(default_factory=dict)
    lookups: dict[str, Lookup] = field(default_factory=dict)
    description: str = ""
    value_tables: dict[str, dict[str, str]] = field(default_factory=dict)  # name → {value: translation}

    @property
    def label(self) -> str:
        return self.path.name if self.path else "mapping"


# --- parsing helpers ---------------------------------------------------------------------------

class _Ctx:
    def __init__(self, label: str):
        self.label = label

    def fail(self, where: str, message: str) -> BatchError:
        return BatchError(f"{self.label}: [{where}] {message}")


def _table(ctx: _Ctx, where: str, value: Any) -> dict:
    if not isinstance(value, dict):
        raise ctx.fail(where, f"must be a table, not {type(value).__name__}")
    return value


def _keys(ctx: _Ctx, where: str, value: dict, allowed: frozenset[str]) -> None:
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise ctx.fail(where, f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")


def _str_list(ctx: _Ctx, where: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ctx.fail(where, "must be a string or a list of strings")


def constant_text(value: Any) -> str:
    """A TOML constant as the text a source cell would hold."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def _constants(ctx: _Ctx, where: str, value: Any) -> dict[str, str]:
    out = {}
    for k, v in _table(ctx, where, value).items():
        if isinstance(v, (list, dict)):
            raise ctx.fail(where, f"{k}: a constant must be a string, number, boolean or date")
        out[k] = constant_text(v)
    return out


_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def parse_template(ctx: _Ctx, where: str, text: str) -> Template:
    parts: list[str | Placeholder] = []
    pos, literal = 0, []
    while pos < len(text):
        ch = text[pos]
        if text.startswith("{{", pos) or text.startswith("}}", pos):
            literal.append(ch)
            pos += 2
            continue
        if ch == "{":
            m = _PLACEHOLDER.match(text, pos)
            if not m:
                raise ctx.fail(where, f"template {text!r}: unclosed '{{' (write '{{{{' for a brace)")
            inner = [p.strip() for p in m.group(1).split("|")]
            if not inner[0]:
                raise ctx.fail(where, f"template {text!r}: empty placeholder")
            for f in inner[1:]:
                if f not in FILTERS and not (f.startswith("lookup:") and len(f) > 7):
                    raise ctx.fail(where, f"template {text!r}: unknown filter {f!r} "
                                          f"(known: {', '.join(FILTERS)}, lookup:NAME)")
            if literal:
                parts.append("".join(literal))
                literal = []
            parts.append(Placeholder(inner[0], tuple(inner[1:])))
            pos = m.end()
            continue
        if ch == "}":
            raise ctx.fail(where, f"template {text!r}: unmatched '}}' (write '}}}}' for a brace)")
        literal.append(ch)
        pos += 1
    if literal:
        parts.append("".join(literal))
    return Template(text, tuple(parts))


def parse_spec(ctx: _Ctx, where: str, value: Any) -> Spec:
    """"Header" → column; "…{header}…" → template; [a, b] → first non-empty."""
    if isinstance(value, str):
        if not value.strip():
            raise ctx.fail(where, "empty column name")
        if "{" in value or "}" in value:
            return parse_template(ctx, where, value)
        return ColumnRef(value.strip())
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return Coalesce(tuple(parse_spec(ctx, where, v) for v in value))  # type: ignore[misc]
    if isinstance(value, dict) or (isinstance(value, list) and value and all(isinstance(v, dict) for v in value)):
        return _cases(ctx, where, [value] if isinstance(value, dict) else value)
    raise ctx.fail(where, "a column is a header name, a \"{template}\", a list of those, or conditional "
                          "cases ({ from = …, when = { column = …, equals = … } })")


def _cases(ctx: _Ctx, where: str, items: list[dict]) -> Cases:
    """[{from = spec | value = constant, when = {column = …, equals / matches / regex / other_than / empty}}, …]"""
    cases = []
    for i, d in enumerate(items, start=1):
        w = f"{where} case {i}"
        _keys(ctx, w, d, frozenset({"from", "value", "when"}))
        if ("from" in d) == ("value" in d):
            raise ctx.fail(w, "give either from (a column) or value (a constant)")
        if "from" in d and not isinstance(d["from"], (str, list)):
            raise ctx.fail(w, "from is a header name, a \"{template}\" or a list of those")
        when = _row_filter(ctx, f"{w}.when", _table(ctx, f"{w}.when", d["when"])) if "when" in d else None
        if when is None and i < len(items):
            raise ctx.fail(w, "only the last case may go without when (it is the default)")
        spec = parse_spec(ctx, w, d["from"]) if "from" in d else None
        if isinstance(d.get("value"), (list, dict)):
            raise ctx.fail(w, "value must be a string, number, boolean or date")
        cases.append(Case(when, spec, constant_text(d["value"]) if "value" in d else None))
    return Cases(tuple(cases))


def _value_options(ctx: _Ctx, where: str, d: dict) -> ValueOptions | None:
    kw: dict[str, Any] = {}
    for key in ("empty", "currency", "date_formats", "not_values"):
        if key in d:
            kw[key] = _str_list(ctx, f"{where}.{key}", d[key])
    for f in kw.get("date_formats", ()):
        if "%" not in f:
            raise ctx.fail(where, f"date format {f!r} has no %-code (e.g. \"%d.%m.%Y\")")
    if "decimal" in d:
        if d["decimal"] not in (".", ","):
            raise ctx.fail(where, f"decimal must be \".\" or \",\", not {d['decimal']!r}")
        kw["decimal"] = d["decimal"]
    if "thousands" in d:
        if d["thousands"] not in (",", ".", " ", "'", ""):
            raise ctx.fail(where, f"thousands must be one of \",\" \".\" \" \" \"'\" \"\", not {d['thousands']!r}")
        kw["thousands"] = d["thousands"]
    if kw.get("decimal") and kw.get("decimal") == kw.get("thousands"):
        raise ctx.fail(where, "decimal and thousands separators must differ")
    return ValueOptions(**kw) if kw else None


def _read_options(ctx: _Ctx, where: str, d: dict) -> dict[str, Any]:
    out = {}
    if "encoding" in d:
        try:
            codecs.lookup(d["encoding"])
        except (LookupError, TypeError):
            raise ctx.fail(where, f"unknown encoding {d['encoding']!r}") from None
        out["encoding"] = d["encoding"]
    if "encoding_errors" in d:
        if d["encoding_errors"] not in ("strict", "replace"):
            raise ctx.fail(where, "encoding_errors must be \"strict\" or \"replace\"")
        out["encoding_errors"] = d["encoding_errors"]
    if "separator" in d:
        sep = {"tab": "\t", "\\t": "\t"}.get(d["separator"], d["separator"])
        if not isinstance(sep, str) or len(sep) != 1:
            raise ctx.fail(where, f"separator must be one character (or \"tab\"), not {d['separator']!r}")
        out["separator"] = sep
    return out


# --- the sections ------------------------------------------------------------------------------

def _source(ctx: _Ctx, name: str, d: dict) -> SourceSpec:
    where = f"sources.{name}"
    kind = d.get("kind") or ("file" if "path" in d or "sheet" in d else None)
    if kind not in READER_KINDS:
        raise ctx.fail(where, f"unknown kind {kind!r} (known: {', '.join(READER_KINDS)})" if kind
                       else "needs a path (or, in a workbook batch, a sheet)")
    _keys(ctx, where, d, SOURCE_KEYS | READER_KINDS[kind].keys)
    options = {k: d[k] for k in READER_KINDS[kind].keys if k in d}
    options.update(_read_options(ctx, where, d))
    for k in ("path", "sheet"):
        if k in options and not isinstance(options[k], str):
            raise ctx.fail(where, f"{k} must be a string")
    if READER_KINDS[kind].check is not None:
        try:
            READER_KINDS[kind].check(options)
        except ValueError as e:
            raise ctx.fail(where, str(e)) from None
    columns = {k: parse_spec(ctx, f"{where}.columns", v)
               for k, v in _table(ctx, f"{where}.columns", d.get("columns", {})).items()}
    constants = _constants(ctx, f"{where}.constants", d.get("constants", {}))
    return SourceSpec(name, kind, options, columns, constants, _value_options(ctx, where, d), where)


def _table_spec(ctx: _Ctx, name: str, d: dict, mapping: Mapping) -> TableSpec:
    where = f"tables.{name}"
    if name not in TABLES:
        raise ctx.fail(where, f"no contract table {name!r} (tables: {', '.join(TABLES)})")
    _keys(ctx, where, d, TABLE_KEYS)
    table = TABLES[name]
    known = set(table.column_names)

    def contract_cols(section: str, cols) -> None:
        for c in cols:
            if c not in known:
                raise ctx.fail(f"{where}.{section}", f"{c!r} is no column of {name} "
                                                     f"(columns: {', '.join(table.column_names)})")

    sources = []
    for i, ref in enumerate(_str_list(ctx, f"{where}.from", d.get("from", []))):
        if ref not in mapping.sources:
            # A path or glob written straight into `from`: an anonymous file source.
            anon = f"{name}#{i + 1}"
            mapping.sources[anon] = SourceSpec(anon, "file", {"path": ref}, origin=f"{where}.from")
            ref = anon
        sources.append(ref)
    sources = _database_reads(ctx, where, name, d, sources, mapping)
    columns = {k: parse_spec(ctx, f"{where}.columns", v)
               for k, v in _table(ctx, f"{where}.columns", d.get("columns", {})).items()}
    contract_cols("columns", columns)
    constants = _constants(ctx, f"{where}.constants", d.get("constants", {}))
    contract_cols("constants", constants)
    values, shared = {}, {}
    for col, tr in _table(ctx, f"{where}.values", d.get("values", {})).items():
        if isinstance(tr, str):
            # A value table declared once under [value_tables.NAME], matched after normalising.
            if tr not in mapping.value_tables:
                raise ctx.fail(f"{where}.values", f"{col} = {tr!r} names no value table "
                                                  f"(declare it under [value_tables.{tr}])")
            values[col], shared[col] = {value_key(k): v for k, v in mapping.value_tables[tr].items()}, tr
            continue
        tr = _table(ctx, f"{where}.values.{col}", tr)
        values[col] = {str(k): constant_text(v) for k, v in tr.items()}
    contract_cols("values", values)
    bands = {}
    for col, b in _table(ctx, f"{where}.bands", d.get("bands", {})).items():
        bw = f"{where}.bands.{col}"
        b = _table(ctx, bw, b)
        _keys(ctx, bw, b, frozenset({"columns", "limits", "labels", "abs"}))
        limits = b.get("limits", [])
        if not (isinstance(limits, list) and limits and all(isinstance(x, (int, float)) for x in limits)
                and limits == sorted(limits)):
            raise ctx.fail(bw, "limits must be a non-empty ascending list of numbers")
        labels = _str_list(ctx, bw, b.get("labels", []))
        if len(labels) != len(limits) + 1:
            raise ctx.fail(bw, f"needs {len(limits) + 1} labels for {len(limits)} limits")
        if col in columns:
            raise ctx.fail(bw, f"{col} is also given in columns; use one or the other")
        bands[col] = Bands(_str_list(ctx, bw, b.get("columns", [])), tuple(float(x) for x in limits),
                           labels, bool(b.get("abs", True)))
    contract_cols("bands", bands)
    scale = {}
    for col, v in _table(ctx, f"{where}.scale", d.get("scale", {})).items():
        if col in known and table.column(col).type not in (NUM, MONEY):
            raise ctx.fail(f"{where}.scale", f"{col} is not a number or money column")
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            raise ctx.fail(f"{where}.scale", f"{col}: the factor must be a number")
        scale[col] = float(v)
    contract_cols("scale", scale)
    action = d.get("not_value_action", "null")
    if action not in NOT_VALUE_ACTIONS:
        raise ctx.fail(where, "not_value_action must be \"null\" (empty the cell) or \"drop\" (drop the row)")
    drop_if_empty = _str_list(ctx, f"{where}.drop_if_empty", d.get("drop_if_empty", []))
    contract_cols("drop_if_empty", drop_if_empty)
    dedupe = None
    if "dedupe" in d:
        dd = d["dedupe"]
        if dd is True:
            dd = {}
        dd = _table(ctx, f"{where}.dedupe", dd)
        _keys(ctx, f"{where}.dedupe", dd, frozenset({"key", "keep", "fill", "from_first", "order_by"}))
        key = _str_list(ctx, f"{where}.dedupe", dd.get("key", list(table.key)))
        if not key:
            raise ctx.fail(f"{where}.dedupe", f"{name} has no key; give dedupe a key")
        contract_cols("dedupe", key)
        keep = dd.get("keep", "last")
        keep = {"latest": "last", "earliest": "first"}.get(keep, keep)
        if keep not in ("first", "last"):
            raise ctx.fail(f"{where}.dedupe", "keep must be \"first\" or \"last\" (or \"earliest\", \"latest\")")
        from_first = _str_list(ctx, f"{where}.dedupe.from_first", dd.get("from_first", []))
        contract_cols("dedupe", from_first)
        order_by = tuple(OrderKey(o, None, o) if o in known else OrderKey(None, parse_spec(ctx, f"{where}.dedupe.order_by", o), o)
                         for o in _str_list(ctx, f"{where}.dedupe.order_by", dd.get("order_by", [])))
        dedupe = Dedupe(key, keep, bool(dd.get("fill", False)), from_first, order_by)
    checks = tuple(_check(ctx, f"{where}.checks.{col}", table, col, _table(ctx, f"{where}.checks.{col}", spec))
                   for col, spec in _table(ctx, f"{where}.checks", d.get("checks", {})).items())
    contract_cols("checks", [chk.column for chk in checks])
    skip = d.get("skip_rows", [])
    if isinstance(skip, dict):
        skip = [skip]
    if not isinstance(skip, list):
        raise ctx.fail(f"{where}.skip_rows", "must be a list of {column = …, equals / matches / regex / other_than = …}")
    skip_rows = tuple(_row_filter(ctx, f"{where}.skip_rows[{i + 1}]", _table(ctx, f"{where}.skip_rows", f))
                      for i, f in enumerate(skip))
    departed = None
    if "departed" in d:
        dp = _table(ctx, f"{where}.departed", d["departed"])
        _keys(ctx, f"{where}.departed", dp, frozenset({"stage", "description"}))
        departed = dp.get("stage", "closed")
        stages = table.column("stage").enum if "stage" in known else None
        if name != "projects" or not stages:
            raise ctx.fail(f"{where}.departed", "applies to projects only")
        if departed not in stages:
            raise ctx.fail(f"{where}.departed", f"stage must be one of {', '.join(stages)}, not {departed!r}")
        if dedupe is None or not dedupe.order_by:
            raise ctx.fail(f"{where}.departed", "needs dedupe.order_by: the date of each snapshot "
                                                "(as_at, say), which says which file is the newest")
    clean = {col: _clean_rules(ctx, f"{where}.clean.{col}", rules)
             for col, rules in _table(ctx, f"{where}.clean", d.get("clean", {})).items()}
    contract_cols("clean", clean)
    return TableSpec(name, tuple(sources), columns, constants, values, bands, scale,
                     _value_options(ctx, where, d), action, drop_if_empty, dedupe, where, checks, skip_rows,
                     departed, shared, clean)


def _clean_rules(ctx: _Ctx, where: str, rules: Any) -> tuple[tuple[str, str], ...]:
    """[{pattern = regex, replace = text}, …]: applied in order to a cell's text before it is read."""
    import duckdb  # the patterns run in DuckDB (RE2), so DuckDB says whether they are valid

    rules = [rules] if isinstance(rules, dict) else rules
    if not isinstance(rules, list) or not rules:
        raise ctx.fail(where, "must be a list of {pattern = \"…\", replace = \"…\"}")
    out = []
    for r in rules:
        r = _table(ctx, where, r)
        _keys(ctx, where, r, frozenset({"pattern", "replace", "description"}))
        pattern, replace_ = r.get("pattern"), r.get("replace", "")
        if not isinstance(pattern, str) or not pattern or not isinstance(replace_, str):
            raise ctx.fail(where, "pattern must be a non-empty string, replace a string")
        try:
            duckdb.execute("SELECT regexp_replace('', ?, ?, 'g')", [pattern, replace_])
        except duckdb.Error as e:
            raise ctx.fail(where, f"pattern {pattern!r} is not a regular expression "
                                  f"({str(e).splitlines()[0]})") from None
        out.append((pattern, replace_))
    return tuple(out)


def _row_filter(ctx: _Ctx, where: str, d: dict) -> RowFilter:
    _keys(ctx, where, d, SKIP_KEYS)
    if "column" not in d:
        raise ctx.fail(where, "needs column (the source column to look at)")
    given = [k for k in ("equals", "matches", "regex", "other_than", "empty") if k in d]
    if not given:
        raise ctx.fail(where, "says what to look for: equals, matches, regex, other_than or empty")
    if "empty" in d and not isinstance(d["empty"], bool):
        raise ctx.fail(where, "empty must be true or false")
    regex = d.get("regex")
    if regex is not None:
        if not isinstance(regex, str) or not regex:
            raise ctx.fail(where, "regex must be a non-empty string")
        try:
            re.compile(regex)
        except re.error as e:
            raise ctx.fail(where, f"regex {regex!r} is not a regular expression ({e})") from None

    def values(key: str) -> tuple[str, ...]:
        v = d.get(key, [])
        items = [v] if not isinstance(v, list) else v
        if any(isinstance(x, (list, dict)) for x in items):
            raise ctx.fail(where, f"{key} must be a value or a list of values")
        return tuple(constant_text(x) for x in items)

    if not isinstance(d["column"], (str, list)):
        raise ctx.fail(where, "column is a header name, a \"{template}\" or a list of those")
    return RowFilter(parse_spec(ctx, where, d["column"]), str(d["column"]), values("equals"), values("matches"),
                     regex, values("other_than"), d.get("empty"))


def _check(ctx: _Ctx, where: str, table, col: str, d: dict) -> Check:
    """One column's [tables.T.checks.COLUMN]: min / max (numbers, or dates for a date column),
    pattern, values; severity warning (default) or error."""
    _keys(ctx, where, d, CHECK_KEYS)
    if col not in table.column_names:
        raise ctx.fail(where, f"{col!r} is no column of {table.name} (columns: {', '.join(table.column_names)})")
    type_ = table.column(col).type
    if not set(d) & {"min", "max", "pattern", "values"}:
        raise ctx.fail(where, "declares no check: give min, max, pattern or values")
    for k in ("min", "max"):
        if k not in d:
            continue
        v = d[k]
        ok = ((type_ in (NUM, MONEY, INT) and isinstance(v, (int, float)) and not isinstance(v, bool))
              or (type_ == DATE and isinstance(v, dt.date) and not isinstance(v, dt.datetime))
              or (type_ == MONTH and isinstance(v, str) and re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", v)))
        if not ok:
            raise ctx.fail(where, f"{k} must be {'a date (2020-01-01, unquoted)' if type_ == DATE else 'YYYY-MM' if type_ == MONTH else 'a number'} "
                                  f"for a {type_} column" if type_ in (NUM, MONEY, INT, DATE, MONTH)
                           else f"{k} applies to number, money, date and month columns; {col} is {type_}")
    if "min" in d and "max" in d and d["min"] > d["max"]:
        raise ctx.fail(where, "min is greater than max")
    pattern = d.get("pattern")
    if pattern is not None:
        if not isinstance(pattern, str) or not pattern:
            raise ctx.fail(where, "pattern must be a non-empty string (a regular expression)")
        try:
            re.compile(pattern)
        except re.error as e:
            raise ctx.fail(where, f"pattern {pattern!r} is not a regular expression ({e})") from None
    values = tuple(constant_text(v) for v in d["values"]) if isinstance(d.get("values"), list) else None
    if "values" in d and not values:
        raise ctx.fail(where, "values must be a non-empty list")
    severity = d.get("severity", "warning")
    if severity not in ("warning", "error"):
        raise ctx.fail(where, "severity must be \"warning\" or \"error\"")
    return Check(col, d.get("min"), d.get("max"), pattern, values or (), severity)


def _database_reads(ctx: _Ctx, where: str, name: str, d: dict, sources: list[str],
                    mapping: Mapping) -> list[str]:
    """A table's `query` or `table` applied to its database sources: each becomes a source of its
    own, named as findings name it (`pmis:pmis.projects`, `pmis[projects query]`)."""
    read = {k: d[k] for k in SOURCE_READ_KEYS if k in d}
    if len(read) > 1:
        raise ctx.fail(where, "give either query or table, not both")
    for k, v in read.items():
        if not isinstance(v, str) or not v.strip():
            raise ctx.fail(where, f"{k} must be a non-empty string")
    out = []
    for ref in sources:
        src = mapping.sources[ref]
        if src.kind != "database":
            out.append(ref)
            continue
        if not read:
            if not any(k in src.options for k in SOURCE_READ_KEYS):
                raise ctx.fail(where, f"reads database source {ref!r}: give table = \"schema.name\" "
                                      "or query = \"SELECT …\"")
            out.append(ref)
            continue
        options = {k: v for k, v in src.options.items() if k not in SOURCE_READ_KEYS}
        options.update(read)
        derived = f"{ref}:{read['table'].strip()}" if "table" in read else f"{ref}[{name} query]"
        mapping.sources[derived] = SourceSpec(derived, src.kind, options, src.columns, src.constants,
                                              src.values, where)
        out.append(derived)
    if read and out == sources:
        raise ctx.fail(where, "query and table read a database source; `from` names none "
                              "(declare one with kind = \"database\")")
    return out


def _lookup(ctx: _Ctx, name: str, d: dict, mapping: Mapping) -> Lookup:
    where = f"lookups.{name}"
    _keys(ctx, where, d, LOOKUP_KEYS)
    sources = _str_list(ctx, f"{where}.from", d.get("from", []))
    for s in sources:
        if s not in mapping.sources:
            raise ctx.fail(where, f"from names no source {s!r} (declare it under [sources.{s}])")
    if not sources or "key" not in d or "value" not in d:
        raise ctx.fail(where, "needs from, key and value")
    if d.get("keep", "last") not in ("first", "last"):
        raise ctx.fail(where, "keep must be \"first\" or \"last\"")
    order_by = tuple(parse_spec(ctx, f"{where}.order_by", o) for o in _str_list(ctx, f"{where}.order_by",
                                                                                 d.get("order_by", [])))
    return Lookup(name, sources, parse_spec(ctx, where, d["key"]), parse_spec(ctx, where, d["value"]),
                  d.get("keep", "last"), order_by)


def _check_lookup_names(ctx: _Ctx, mapping: Mapping) -> None:
    def specs():
        for s in mapping.sources.values():
            for c, spec in s.columns.items():
                yield s.origin, spec
        for t in mapping.tables.values():
            for c, spec in t.columns.items():
                yield t.origin, spec
        for lk in mapping.lookups.values():
            yield f"lookups.{lk.name}", lk.key
            yield f"lookups.{lk.name}", lk.value

    for where, spec in specs():
        options = spec.options if isinstance(spec, Coalesce) else (spec,)
        for o in options:
            if isinstance(o, Template):
                for name in o.lookups():
                    if name not in mapping.lookups:
                        raise ctx.fail(where, f"template {o.text!r} uses lookup {name!r}, "
                                              f"which no [lookups.{name}] declares")


def parse_mapping(data: dict, label: str = "mapping", path: Path | None = None) -> Mapping:
    """Check a mapping given as a dict (as TOML parses it)."""
    ctx = _Ctx(label)
    _keys(ctx, "top level", data, TOP_KEYS)
    m = Mapping(path=path, description=str(data.get("description", "")))
    defaults = _table(ctx, "defaults", data.get("defaults", {}))
    _keys(ctx, "defaults", defaults, READ_KEYS | VALUE_KEYS)
    m.read_defaults = _read_options(ctx, "defaults", defaults)
    m.value_defaults = _value_options(ctx, "defaults", defaults) or ValueOptions()
    for name, d in _table(ctx, "sources", data.get("sources", {})).items():
        m.sources[name] = _source(ctx, name, _table(ctx, f"sources.{name}", d))
    for name, d in _table(ctx, "lookups", data.get("lookups", {})).items():
        m.lookups[name] = _lookup(ctx, name, _table(ctx, f"lookups.{name}", d), m)
    for name, d in _table(ctx, "value_tables", data.get("value_tables", {})).items():
        table = _table(ctx, f"value_tables.{name}", d)
        if not table:
            raise ctx.fail(f"value_tables.{name}", "is empty")
        seen: dict[str, tuple[str, str]] = {}
        for k, v in table.items():
            if isinstance(v, (list, dict)):
                raise ctx.fail(f"value_tables.{name}", f"{k}: a value must be a string, number, boolean or date")
            other = seen.setdefault(value_key(k), (k, constant_text(v)))
            if other[1] != constant_text(v):
                raise ctx.fail(f"value_tables.{name}", f"{other[0]!r} and {k!r} are the same value once case, "
                                                       "spaces and punctuation are ignored, but translate differently")
        m.value_tables[name] = {str(k): constant_text(v) for k, v in table.items()}
    for name, d in _table(ctx, "tables", data.get("tables", {})).items():
        m.tables[name] = _table_spec(ctx, name, _table(ctx, f"tables.{name}", d), m)
    _check_lookup_names(ctx, m)
    return m


def value_key(text: str) -> str:
    """A value as a shared value table matches it: lower-case, every run of characters that are
    not letters or digits one space, trimmed ("Amber / Red", "amber-red" → "amber red").
    `transform.value_key_sql` is the same in SQL."""
    return " ".join("".join(ch if ch.isalnum() else " " for ch in str(text).lower()).split())


def load_mapping(path: str | Path) -> Mapping:
    """Read and check a mapping file; raises BatchError naming the file (and the TOML line)."""
    p = Path(path)
    if not p.is_file():
        raise BatchError(f"{p}: mapping file does not exist")
    raw = p.read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise BatchError(f"{p.name}: not UTF-8 (byte 0x{raw[e.start]:02x}); TOML files are UTF-8") from None
    except tomllib.TOMLDecodeError as e:
        raise BatchError(f"{p.name}: malformed TOML: {e}") from None
    return parse_mapping(data, p.name, p.resolve())


def is_typed(table: str, column: str) -> bool:
    """Columns where text can stand in for a value: every typed or enumerated column."""
    c = TABLES[table].column(column)
    return c.type != STR or c.enum is not None
