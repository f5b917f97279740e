"""From string frames to typed contract tables, as a mapping says, with findings for what fails.

Order per source frame: resolve each contract column (rename, template, coalesce, constant, bands)
→ not-values (warning; drop the row or empty the cell) → drop_if_empty → value translations and
enumeration case → parse to the contract type (SCHEMA error per cell that fails; the cell becomes
null) → scale. Then the frames of a table are stacked and, if the mapping says so, de-duplicated.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import polars as pl

from ..contract import STR, Table
from ..findings import ERROR, WARNING, BatchError, Finding
from .mapping import Bands, Coalesce, ColumnRef, Dedupe, Mapping, SourceSpec, Spec, TableSpec, Template, is_typed
from .parse import (ValueOptions, first_attempt, normalise_enum, not_value_mask, parse, parse_number,
                    translate)
from .readers import FILE, ROW, SourceFrame

# Cell-level findings kept per table, column and rule. Past this the column is broken wholesale
# (a wrong date format, say) and one summary finding says how many more there were.
MAX_CELL_FINDINGS = 1000
NATIVE = "\u27e8native\u27e9"   # prefix of native (already typed) columns carried beside strings
DERIVED = "\u27e8src\u27e9"     # prefix of a source's harmonised columns and constants
FIRST = "\u27e8first\u27e9"   # prefix of a typed column's first (fast) parsing attempt


@dataclass
class Sink:
    """Collects findings, capping cell-level ones per (rule, table, column)."""

    findings: list[Finding] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    overflow: Counter = field(default_factory=Counter)

    def add(self, f: Finding) -> None:
        self.findings.append(f)

    def cells(self, rule: str, severity: str, table: str, column: str, df: pl.DataFrame, message: str,
              value_col: str) -> None:
        """One finding per row of `df` (which holds _file, _row and `value_col`)."""
        key = (rule, table, column)
        room = max(MAX_CELL_FINDINGS - self.counts[key], 0)
        for file, row, value in df.head(room).select(FILE, ROW, value_col).iter_rows():
            self.findings.append(Finding(rule, severity, table, message, file, row, column,
                                         None if value is None else str(value)))
        self.counts[key] += min(room, df.height)
        self.overflow[key] += max(df.height - room, 0)

    def close(self) -> list[Finding]:
        for (rule, table, column), n in self.overflow.items():
            if n:
                sev = next(f.severity for f in self.findings if (f.rule_id, f.table, f.column) == (rule, table, column))
                self.findings.append(Finding(rule, sev, table, f"… and {n:,} more cells like the above "
                                             f"(only the first {MAX_CELL_FINDINGS:,} are listed)", column=column))
        self.overflow.clear()
        return self.findings


class View:
    """A source frame as mappings see it: headers matched case-insensitively, plus the source's
    harmonised columns and constants (which shadow a header of the same name)."""

    def __init__(self, frame: SourceFrame, source: SourceSpec | None, opts: ValueOptions, lookups: "Lookups"):
        self.frame, self.source, self.lookups = frame, source, lookups
        self.label = frame.label
        self.index = {c.lower(): c for c in frame.columns}
        df = frame.strings
        if frame.native is not None:
            df = df.hstack(frame.native.rename({c: NATIVE + c for c in frame.native.columns}))
        self.native = {c.lower(): NATIVE + c for c in (frame.native.columns if frame.native is not None else [])}
        extra, names = [], {}
        if source is not None:
            for name, spec in source.columns.items():
                extra.append(self.expr(spec, opts, f"sources.{source.name}.columns").alias(DERIVED + name))
                names[name.strip().lower()] = DERIVED + name
            for name, value in source.constants.items():
                extra.append(pl.lit(value.strip() or None, dtype=pl.String).alias(DERIVED + name))
                names[name.strip().lower()] = DERIVED + name
        self.df = df.with_columns(extra) if extra else df
        self.index.update(names)
        for n in names:  # a harmonised column has no native twin
            self.native.pop(n, None)

    def has(self, name: str) -> bool:
        return name.strip().lower() in self.index

    def column(self, name: str, where: str) -> str:
        key = name.strip().lower()
        if key not in self.index:
            cols = ", ".join(self.frame.columns[:12]) + (" …" if len(self.frame.columns) > 12 else "")
            raise BatchError(f"{self.label}: the mapping's [{where}] names column {name!r}, which the "
                             f"file lacks (columns: {cols})")
        return self.index[key]

    def native_of(self, spec: Spec) -> str | None:
        if isinstance(spec, ColumnRef):
            return self.native.get(spec.name.strip().lower())
        return None

    def clean(self, name: str, opts: ValueOptions, where: str) -> pl.Expr:
        # One strip, then a cheap pass: writing the strip twice (in a when/then) doubles its cost
        # on a 5-million-row column, as polars does not share the subexpression here.
        c = pl.col(self.column(name, where)).str.strip_chars().replace("", None)
        if opts.empty:
            tokens = [t.strip().lower() for t in opts.empty]
            c = c.map_batches(lambda s: drop_tokens(s, tokens), return_dtype=pl.String)
        return c

    def expr(self, spec: Spec, opts: ValueOptions, where: str, *, raw: bool = False) -> pl.Expr:
        """The spec as a string expression; `raw` skips trimming (the typed parsers trim the cells
        that need it, which keeps big clean columns on the fast path)."""
        if isinstance(spec, ColumnRef):
            return pl.col(self.column(spec.name, where)) if raw else self.clean(spec.name, opts, where)
        if isinstance(spec, Coalesce):
            return pl.coalesce([self.expr(o, opts, where) for o in spec.options])
        parts = []
        for p in spec.parts:
            if isinstance(p, str):
                parts.append(pl.lit(p))
                continue
            e = self.clean(p.column, opts, where)
            for f in p.filters:
                e = _filter(e, f, self.lookups)
            parts.append(e)
        out = parts[0] if len(parts) == 1 else pl.concat_str(parts)  # null when any part is null
        return out.replace("", None)


def drop_tokens(s: pl.Series, tokens: list[str]) -> pl.Series:
    """Cells equal (case-insensitively) to an empty token become null."""
    return pl.select(pl.when(s.str.to_lowercase().is_in(tokens)).then(None).otherwise(s)).to_series().alias(s.name)


def _filter(e: pl.Expr, name: str, lookups: "Lookups") -> pl.Expr:
    if name == "upper":
        return e.str.to_uppercase()
    if name == "lower":
        return e.str.to_lowercase()
    if name == "squash":
        return e.str.to_lowercase().str.replace_all(r"\s+", " ").str.strip_chars()
    if name == "slug":
        return e.str.to_lowercase().str.replace_all(r"[^0-9a-z]+", "-").str.strip_chars("-")
    table = lookups.get(name.split(":", 1)[1])
    if not table:
        return pl.lit(None, dtype=pl.String)
    return e.replace_strict(table, default=None, return_dtype=pl.String)


class Lookups:
    """Key → value tables built from whole sources, used by the `lookup:NAME` template filter."""

    def __init__(self, mapping: Mapping, frames, view_for):
        self.mapping, self.frames, self.view_for = mapping, frames, view_for
        self.cache: dict[str, dict[str, str]] = {}
        self.building: set[str] = set()

    def get(self, name: str) -> dict[str, str]:
        if name in self.cache:
            return self.cache[name]
        if name in self.building:
            raise BatchError(f"{self.mapping.label}: [lookups.{name}] refers to itself")
        self.building.add(name)
        lk = self.mapping.lookups[name]
        pieces = []
        for src in lk.sources:
            for frame in self.frames(src):
                if frame.empty or frame.strings.height == 0:
                    continue
                view = self.view_for(frame, src)
                opts = self.mapping.value_defaults.merged(self.mapping.sources[src].values)
                where = f"lookups.{name}"
                pieces.append(view.df.select(view.expr(lk.key, opts, where).alias("k"),
                                             view.expr(lk.value, opts, where).alias("v")))
        df = pl.concat(pieces) if pieces else pl.DataFrame({"k": [], "v": []}, schema={"k": pl.String, "v": pl.String})
        df = df.drop_nulls().unique("k", keep=lk.keep, maintain_order=True)
        self.cache[name] = dict(zip(df["k"].to_list(), df["v"].to_list()))
        self.building.discard(name)
        return self.cache[name]


MISSING = object()  # a required column is missing: the table is left out


def _bands(view: View, b: Bands, opts: ValueOptions, where: str, table: str, col: str,
           sink: Sink) -> pl.Series:
    """The band label per row from the numeric source columns."""
    values = []
    src = view.df.select([view.clean(c, opts, where).alias(c) for c in b.columns] +
                         [pl.col(ROW), pl.lit(view.label).alias(FILE)])
    for c in b.columns:
        num = parse_number(src[c], opts)
        bad = num.is_null() & src[c].is_not_null()
        if bad.any():
            sink.cells("SCHEMA", ERROR, table, col, src.filter(bad),
                       f"source column {c!r} is not a number (needed for the {col} bands)", c)
        values.append(num.abs() if b.absolute else num)
    v = pl.select(pl.max_horizontal(values)).to_series()
    expr = pl.when(pl.lit(v) < b.limits[0]).then(pl.lit(b.labels[0]))
    for lim, lab in zip(b.limits[1:], b.labels[1:-1]):
        expr = expr.when(pl.lit(v) < lim).then(pl.lit(lab))
    expr = expr.otherwise(pl.when(pl.lit(v).is_not_null()).then(pl.lit(b.labels[-1])))
    return pl.select(expr).to_series().alias(col)


def build_part(table: Table, spec: TableSpec, source: SourceSpec | None, view: View, mapping: Mapping,
               sink: Sink):
    """One source frame → the table's columns, typed; MISSING when a required column is absent,
    None when the frame has no rows."""
    frame, name, label = view.frame, table.name, view.label
    if frame.empty:
        sink.add(Finding("SCHEMA", ERROR, name, "the file is empty (no header, no rows)", label))
        return None
    if frame.strings.height == 0:
        sink.add(Finding("SCHEMA", ERROR, name, "no data rows, only a header: a full snapshot with no "
                         "rows would empty the table, so it is refused", label))
        return None
    opts = mapping.value_defaults.merged(source.values if source else None).merged(spec.value_options)
    where = f"tables.{name}.columns"
    exprs, natives, missing, firsts = [], {}, [], set()
    for col in table.columns:
        c = col.name
        if c in spec.bands:
            continue
        given = spec.columns.get(c)
        cspec = given if given is not None else (ColumnRef(c) if view.has(c) else None)
        const = spec.constants.get(c)
        if cspec is None:
            if const is not None:
                exprs.append(pl.lit(const.strip() or None, dtype=pl.String).alias(c))
            elif col.required:
                missing.append(c)
            else:
                exprs.append(pl.lit(None, dtype=pl.String).alias(c))
            continue
        fast = (isinstance(cspec, ColumnRef) and col.type != STR and col.enum is None
                and not opts.not_values and c not in spec.values and not (const or "").strip())
        e = view.expr(cspec, opts, where, raw=fast)
        if const is not None and const.strip():
            e = pl.coalesce(e, pl.lit(const.strip()))
        exprs.append(e.alias(c))
        first = first_attempt(e, col.type, opts) if fast else None
        if first is not None:
            exprs.append(first.alias(FIRST + c))
            firsts.add(c)
        nat = view.native_of(cspec)
        if nat is not None and col.type != STR:
            natives[c] = nat
    if missing:
        for c in missing:
            sink.add(Finding("SCHEMA", ERROR, name, f"required column {c!r} is missing", label, None, c))
        return MISSING
    df = view.df.select(exprs + [pl.col(n).alias(NATIVE + c) for c, n in natives.items()]
                        + [pl.col(ROW), pl.lit(label, dtype=pl.String).alias(FILE)])
    if spec.bands:
        df = df.with_columns([_bands(view, b, opts, f"tables.{name}.bands.{c}", name, c, sink)
                              for c, b in spec.bands.items()])

    if opts.not_values:
        drop = None
        for col in table.columns:
            if col.name in spec.bands or not is_typed(name, col.name):
                continue
            hit = not_value_mask(df[col.name], opts.not_values)
            if not hit.any():
                continue
            then = "the row is left out of this table" if spec.not_value_action == "drop" else "the cell is left empty"
            sink.cells("MAP-VALUE", WARNING, name, col.name, df.filter(hit),
                       f"not a value (matches the mapping's not_values); {then}", col.name)
            if spec.not_value_action == "drop":
                drop = hit if drop is None else (drop | hit)
            else:
                df = df.with_columns(pl.when(hit).then(None).otherwise(pl.col(col.name)).alias(col.name))
        if drop is not None:
            df = df.filter(~drop)
    for c in spec.drop_if_empty:
        hit = df[c].is_null()
        if hit.any():
            sink.cells("MAP-VALUE", WARNING, name, c, df.filter(hit),
                       "empty; the mapping's drop_if_empty leaves the row out of this table", c)
            df = df.filter(~hit)

    out = []
    for col in table.columns:
        s = df[col.name]
        if col.name in spec.values:
            s = translate(s, spec.values[col.name], enum=col.enum is not None)
        elif col.enum is not None:
            s = normalise_enum(s)
        native = df[NATIVE + col.name] if col.name in natives else None
        first = df[FIRST + col.name] if col.name in firsts else None
        values, bad = parse(s, col.type, opts, native, first)
        if bad is not None:
            shown = df.select(FILE, ROW, pl.col(col.name)).filter(bad)
            sink.cells("SCHEMA", ERROR, name, col.name, shown, _type_message(col.type, opts), col.name)
        if col.name in spec.scale:
            # Rounded so that 0.001 × 1,000,000 is 1000, not 1000.0000000000001.
            values = (values * spec.scale[col.name]).round(6)
        out.append(values.alias(col.name))
    return pl.DataFrame(out).with_columns(df[FILE], df[ROW]) if out else df.select(FILE, ROW)


def _type_message(type_: str, opts: ValueOptions) -> str:
    if type_ == "date":
        fmts = ", ".join(opts.date_formats) if opts.date_formats else "ISO YYYY-MM-DD or day-first"
        return f"not a date ({fmts}); declare date_formats in the mapping if the file writes dates otherwise"
    if type_ == "month":
        return "not a month (YYYY-MM, or a date)"
    if type_ in ("money", "num"):
        return "not a number" + (f" (decimal {opts.decimal!r})" if opts.decimal else "")
    if type_ == "int":
        return "not a whole number"
    if type_ == "bool":
        return "not a yes/no value (true/false, yes/no, y/n, 1/0)"
    return f"not a {type_}"


def dedupe(df: pl.DataFrame, d: Dedupe) -> pl.DataFrame:
    """One row per key: the last (or first) in source order. With `fill`, the kept row's empty
    cells take the key's latest (earliest) non-empty value; `from_first` columns take the key's
    earliest non-empty value. Rows with an empty key are kept, for validation to report."""
    key = list(d.key)
    has_key = pl.all_horizontal(pl.col(key).is_not_null())
    keyed, loose = df.filter(has_key), df.filter(~has_key)
    if not d.fill and not d.from_first:
        keyed = keyed.unique(subset=key, keep=d.keep, maintain_order=True)
    else:
        def agg(c: str) -> pl.Expr:
            if c in (FILE, ROW):
                e, order = pl.col(c), d.keep
            elif c in d.from_first:
                e, order = pl.col(c).drop_nulls(), "first"
            else:
                e, order = (pl.col(c).drop_nulls() if d.fill else pl.col(c)), d.keep
            return e.first() if order == "first" else e.last()
        keyed = keyed.group_by(key, maintain_order=True).agg([agg(c) for c in df.columns if c not in key])
    return pl.concat([keyed.select(df.columns), loose]) if loose.height else keyed.select(df.columns)
