"""From frames to typed contract tables, as a mapping says, in SQL — with findings for what fails.

Per frame, one `CREATE TABLE … AS SELECT` computes every contract column: resolve it (rename,
template, coalesce, constant), flag not-values (warning; the row dropped or the cell emptied),
translate values and enumeration case, and apply the exact fast parse (`cells.fast`). The cells the
fast parse left are read by the lenient parsers on their distinct values (`parse`); then bands,
drop_if_empty and scale are applied and the SCHEMA errors and MAP-VALUE warnings written. A table's
parts are stacked and, if the mapping says so, de-duplicated with window functions (`stack`).

Findings go to the workspace table `read_findings`; cell-level ones are capped per table, column
and rule when the batch is done.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..contract import BOOL, MONEY, NUM, STR, Table
from ..findings import ERROR, WARNING, BatchError, Finding
from . import cells
from .cells import ValueOptions
from .frames import FILE, ROW, SourceFrame, run
from .mapping import Bands, Coalesce, ColumnRef, Dedupe, Mapping, SourceSpec, Spec, TableSpec, is_typed
from .workspace import Sql, Workspace

# Cell-level findings kept per table, column and rule. Past this the column is broken wholesale
# (a wrong date format, say) and one summary finding says how many more there were.
MAX_CELL_FINDINGS = 1000
SQL_TYPES = {"date": "DATE", "month": "VARCHAR", "money": "DOUBLE", "num": "DOUBLE", "int": "BIGINT",
             "bool": "BOOLEAN"}
READ_FINDINGS = "read_findings"


class Query:
    """The values one statement binds, and the text that names them."""

    def __init__(self, ws: Workspace):
        self.ws, self.params = ws, {}

    def bind(self, value: Any) -> str:
        return self.ws.param(self.params, value)

    def __call__(self, text: str) -> Sql:
        return Sql(text, self.params)


def quoted(column: str) -> str:
    """A contract column (allow-listed by the contract) or one of ours, as an identifier."""
    return f'"{column}"'


class Findings:
    """The reading findings of a batch, in the workspace table `read_findings`, in order."""

    def __init__(self, ws: Workspace):
        self.ws = ws
        self.batches = 0
        ws.con.execute(f'CREATE TEMP TABLE {READ_FINDINGS} (seq BIGINT, capped BOOLEAN, rule_id VARCHAR, '
                       'severity VARCHAR, "table" VARCHAR, message VARCHAR, file VARCHAR, "row" BIGINT, '
                       '"column" VARCHAR, value VARCHAR)')

    def _seq(self) -> int:
        self.batches += 1
        return self.batches << 32

    def add(self, f: Finding) -> None:
        self.ws.con.execute(f"INSERT INTO {READ_FINDINGS} VALUES (?, false, ?, ?, ?, ?, ?, ?, ?, ?)",
                            [self._seq(), f.rule_id, f.severity, f.table, f.message, f.file, f.row, f.column, f.value])

    def cells(self, rule: str, severity: str, table: str, column: str, message: str, q: Query, rows: str) -> None:
        """One finding per row of `rows` (a relation with _file, _row and value), in row order."""
        self.ws.execute(q(
            f"INSERT INTO {READ_FINDINGS} SELECT {self._seq()} + row_number() OVER (ORDER BY {ROW}), true, "
            f"{q.bind(rule)}, {q.bind(severity)}, {q.bind(table)}, {q.bind(message)}, {FILE}, {ROW}, "
            f"{q.bind(column)}, value FROM {rows}"))

    def finish(self, into: str) -> None:
        """Write every finding into table `into`: cell-level ones capped, then one summary each."""
        self.ws.con.execute(
            f'INSERT INTO {into} SELECT rule_id, severity, "table", message, file, "row", "column", value, NULL '
            f'FROM (SELECT *, row_number() OVER (PARTITION BY capped, rule_id, "table", "column" ORDER BY seq) AS n '
            f"FROM {READ_FINDINGS}) WHERE NOT capped OR n <= {MAX_CELL_FINDINGS} ORDER BY seq")
        over = self.ws.con.execute(
            f'SELECT rule_id, arg_min(severity, seq), "table", "column", count(*) - {MAX_CELL_FINDINGS} '
            f'FROM {READ_FINDINGS} WHERE capped GROUP BY rule_id, "table", "column" '
            f"HAVING count(*) > {MAX_CELL_FINDINGS} ORDER BY min(seq)").fetchall()
        for rule, severity, table, column, n in over:
            self.ws.con.execute(f"INSERT INTO {into} VALUES (?, ?, ?, ?, NULL, NULL, ?, NULL, NULL)", [
                rule, severity, table, f"… and {n:,} more cells like the above (only the first "
                f"{MAX_CELL_FINDINGS:,} are listed)", column])


class Lookups:
    """Key → value tables built from whole sources, used by the `lookup:NAME` template filter."""

    def __init__(self, mapping: Mapping, frames_of, ws: Workspace):
        self.mapping, self.frames_of, self.ws = mapping, frames_of, ws
        self.tables: dict[str, str | None] = {}
        self.building: set[str] = set()

    def table(self, name: str) -> str | None:
        """The lookup's workspace table (columns k, v), or None when it holds nothing."""
        if name in self.tables:
            return self.tables[name]
        if name in self.building:
            raise BatchError(f"{self.mapping.label}: [lookups.{name}] refers to itself")
        self.building.add(name)
        lk = self.mapping.lookups[name]
        frames = [(src, fr) for src in lk.sources for fr in self.frames_of(src) if not fr.empty]
        target = self.ws.name("lookup")

        def build() -> Sql:
            q = Query(self.ws)
            selects = []
            for i, (src, fr) in enumerate(frames):
                spec = self.mapping.sources[src]
                cols = Columns(fr, spec, self.mapping.value_defaults.merged(spec.values), self)
                where = f"lookups.{name}"
                selects.append(f"SELECT {cols.expr(lk.key, where, q)} AS k, {cols.expr(lk.value, where, q)} AS v, "
                               f"{i} AS part, {ROW} FROM {cols.relation(q)}")
            body = " UNION ALL ".join(selects) or f"SELECT NULL::VARCHAR AS k, NULL::VARCHAR AS v, 0 AS part, 0 AS {ROW}"
            order = "ASC" if lk.keep == "first" else "DESC"
            return q(f"CREATE TEMP TABLE {target} AS SELECT k, v FROM ({body}) WHERE k IS NOT NULL AND v IS NOT NULL "
                     f"QUALIFY row_number() OVER (PARTITION BY k ORDER BY part {order}, {ROW} {order}) = 1")

        run(self.ws, [fr for _, fr in frames], build)
        empty = self.ws.con.execute(f"SELECT count(*) = 0 FROM {target}").fetchone()[0]
        self.tables[name] = None if empty else target
        self.building.discard(name)
        return self.tables[name]


class Columns:
    """A frame as mappings see it: headers matched case-insensitively, plus the source's
    harmonised columns and constants (h1, h2, …, which shadow a header of the same name)."""

    def __init__(self, frame: SourceFrame, source: SourceSpec | None, opts: ValueOptions, lookups: Lookups):
        self.frame, self.source, self.opts, self.lookups = frame, source, opts, lookups
        self.label = frame.label
        self.index = {h.lower(): frame.col(h) for h in frame.columns}
        self.natives = {h.lower(): n for h, n in frame.natives.items()}
        extra = list(source.columns) + list(source.constants) if source is not None else []
        for i, name in enumerate(extra, start=1):
            self.index[name.strip().lower()] = f"h{i}"
            self.natives.pop(name.strip().lower(), None)  # a harmonised column has no native twin

    def relation(self, q: Query, sql: Sql | None = None) -> str:
        """The frame (or `sql` over it) with its harmonised columns, as a parenthesised relation."""
        sql = sql or self.frame.sql()
        q.params.update(sql.params)
        if self.source is None or not (self.source.columns or self.source.constants):
            return sql.text
        own = Columns(self.frame, None, self.opts, self.lookups)
        where = f"sources.{self.source.name}.columns"
        extra = [own.expr(spec, where, q) for spec in self.source.columns.values()]
        extra += [f"{q.bind(value.strip() or None)}::VARCHAR" for value in self.source.constants.values()]
        return f"(SELECT *, {', '.join(f'{e} AS h{i}' for i, e in enumerate(extra, start=1))} FROM {sql.text})"

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
        return self.natives.get(spec.name.strip().lower()) if isinstance(spec, ColumnRef) else None

    def clean(self, name: str, where: str, q: Query) -> str:
        return cells.clean(self.column(name, where), self.opts, q.bind)

    def expr(self, spec: Spec, where: str, q: Query, *, raw: bool = False) -> str:
        """The spec as a text expression; `raw` reads a column as written (the fast parse takes
        only clean cells anyway, and the lenient one trims what it needs)."""
        if isinstance(spec, ColumnRef):
            return self.column(spec.name, where) if raw else self.clean(spec.name, where, q)
        if isinstance(spec, Coalesce):
            return f"coalesce({', '.join(self.expr(o, where, q) for o in spec.options)})"
        parts = []
        for p in spec.parts:
            if isinstance(p, str):
                parts.append(f"{q.bind(p)}::VARCHAR")
                continue
            e = self.clean(p.column, where, q)
            for f in p.filters:
                e = self._filter(e, f)
            parts.append(e)
        return f"nullif({' || '.join(parts)}, '')"  # || is null when any part is

    def _filter(self, e: str, name: str) -> str:
        if name == "upper":
            return f"upper({e})"
        if name == "lower":
            return f"lower({e})"
        if name == "squash":
            return cells.trim(f"regexp_replace(lower({e}), '{cells.WS}+', ' ', 'g')")
        if name == "slug":
            return f"trim(regexp_replace(lower({e}), '[^0-9a-z]+', '-', 'g'), '-')"
        table = self.lookups.table(name.split(":", 1)[1])
        return "NULL::VARCHAR" if table is None else f"(SELECT v FROM {table} WHERE k = {e})"


MISSING = object()  # a required column is missing: the table is left out


@dataclass
class Part:
    """One frame's contribution to a table: a workspace table, dropped rows flagged (_drop)."""

    table: str
    frame: SourceFrame
    index: int
    helpers: list[str]  # columns besides the contract's and _file, _row


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


@dataclass
class _Column:
    """How one contract column of a part is made."""

    name: str
    type: str
    enum: bool
    spec: Spec | None = None
    constant: str | None = None
    as_is: bool = False                # a source column read as written (see Columns.expr)
    native: str | None = None          # the frame's own typed column
    band: Bands | None = None


class PartBuilder:
    """One part: the first pass in SQL, then the repair, bands, drops, scale and findings."""

    def __init__(self, ws: Workspace, table: Table, spec: TableSpec, source: SourceSpec | None, frame: SourceFrame,
                 mapping: Mapping, lookups: Lookups, sink: Findings, index: int, target: str, load_id: str | None,
                 temporary: bool = False):
        self.ws, self.table, self.spec, self.source, self.frame = ws, table, spec, source, frame
        self.temporary = temporary  # a part to be stacked with others, not the table itself
        self.mapping, self.lookups, self.sink, self.index, self.target = mapping, lookups, sink, index, target
        self.load_id = load_id
        self.name = table.name
        self.opts = mapping.value_defaults.merged(source.values if source else None).merged(spec.value_options)
        self.comma: set[str] = set()  # inputs read with a decimal comma, as the cells that failed proved

    def options(self, key: str) -> ValueOptions:
        return replace(self.opts, decimal=",") if key in self.comma else self.opts

    def build(self):
        """The part; MISSING when a required column is absent, None when the frame has no rows."""
        frame, name = self.frame, self.name
        if frame.empty:
            self.sink.add(Finding("SCHEMA", ERROR, name, "the file is empty (no header, no rows)", frame.label))
            return None
        self.cols = Columns(frame, self.source, self.opts, self.lookups)
        if self._plan() is MISSING:
            return MISSING
        while True:
            run(self.ws, [frame], self._first_pass)
            if frame.csv is not None:
                frame.csv.number_table(self.target)
            if self.ws.con.execute(f"SELECT count(*) FILTER (NOT _blank) = 0 FROM {self.target}").fetchone()[0]:
                self.sink.add(Finding("SCHEMA", ERROR, name, "no data rows, only a header: a full snapshot with "
                                      "no rows would empty the table, so it is refused", frame.label))
                self.ws.con.execute(f"DROP TABLE {self.target}")
                return None
            redo = self._repair_all()
            if not redo:
                break
            # The failed cells prove a decimal comma: read every cell of those columns that way.
            self.comma |= redo
            self.ws.con.execute(f"DROP TABLE {self.target}")
        self._findings()
        return Part(self.target, frame, self.index, self.helpers)

    # --- planning ------------------------------------------------------------------------------

    def _plan(self):
        """Resolve each contract column (every column the mapping names is checked here)."""
        q = Query(self.ws)
        where = f"tables.{self.name}.columns"
        self.columns: list[_Column] = []
        missing = []
        for col in self.table.columns:
            c = _Column(col.name, col.type, col.enum is not None)
            self.columns.append(c)
            if col.name in self.spec.bands:
                c.band = self.spec.bands[col.name]
                for src in c.band.columns:
                    self.cols.column(src, f"tables.{self.name}.bands.{col.name}")
                continue
            given = self.spec.columns.get(col.name)
            c.spec = given if given is not None else (ColumnRef(col.name) if self.cols.has(col.name) else None)
            c.constant = self.spec.constants.get(col.name)
            if c.spec is None:
                if c.constant is None and col.required:
                    missing.append(col.name)
                continue
            c.as_is = (isinstance(c.spec, ColumnRef) and col.type != STR and col.enum is None
                       and not self.opts.not_values and col.name not in self.spec.values
                       and not (c.constant or "").strip())
            self.cols.expr(c.spec, where, q, raw=c.as_is)
            if col.type != STR:
                c.native = self.cols.native_of(c.spec)
        if missing:
            for m in missing:
                self.sink.add(Finding("SCHEMA", ERROR, self.name, f"required column {m!r} is missing",
                                      self.frame.label, None, m))
            return MISSING
        self.flagged = [c.name for c in self.columns
                        if self.opts.not_values and c.band is None and c.spec is not None and is_typed(self.name, c.name)]
        return None

    # --- the first pass ------------------------------------------------------------------------

    def _text(self, c: _Column, q: Query) -> str:
        if c.spec is None:
            return f"{q.bind((c.constant or '').strip() or None)}::VARCHAR" if c.constant is not None else "NULL::VARCHAR"
        e = self.cols.expr(c.spec, f"tables.{self.name}.columns", q, raw=c.as_is)
        if c.constant is not None and c.constant.strip():
            e = f"coalesce({e}, {q.bind(c.constant.strip())})"
        return e

    def _translated(self, s: str, c: _Column, q: Query) -> str:
        """Value translations (keys match case-insensitively; for enumerations also with spaces
        and hyphens as _), then an enumeration's normal form; unmatched values stay."""
        table = self.spec.values.get(c.name)
        if table is None:
            return cells.normalise_enum(s) if c.enum else s
        if c.enum:
            keys = {cells.enum_key(k): v for k, v in table.items()}
            low, base = cells.normalise_enum(s), cells.normalise_enum(s)
        else:
            keys = {k.strip().lower(): v for k, v in table.items()}
            low, base = f"lower({cells.trim(s)})", s
        ks, vs = q.bind(list(keys)), q.bind(list(keys.values()))
        return f"CASE WHEN list_contains({ks}, {low}) THEN {vs}[list_position({ks}, {low})] ELSE {base} END"

    def _native_types(self) -> dict[str, str]:
        if not any(c.native for c in self.columns):
            return {}
        return {n: t for n, t, *_ in self.ws.con.execute(f"DESCRIBE SELECT * FROM {self.frame.table}").fetchall()}

    def _first_pass(self) -> Sql:
        """CREATE TABLE target: the contract columns (typed), _load_id, _file, _row, and helpers —
        _in_C the text of a cell of C neither its source type nor the fast parse read, _shown_C
        that text before translation, _nv_C a not-value, _empty_C empty (for drop_if_empty),
        _bv/_bin the band inputs, _drop the row is left out.

        Written as levels (text → translated text → typed value → helpers), so that no
        expression is computed twice for a row."""
        q = Query(self.ws)
        nv, flagged, native_types = self.spec.not_value_action, self.flagged, self._native_types()
        source, blank = self.frame.cells()
        text = [ROW, f"{blank} AS _blank"]  # level 1: each column's text, the source's own typed values, band inputs, not-values
        for c in self.columns:
            if c.band is None:
                text.append(f"{self._text(c, q)} AS {quoted('_s_' + c.name)}")
                if c.native:
                    text.append(f"{c.native} AS {quoted('_n_' + c.name)}")
            else:
                where = f"tables.{self.name}.bands.{c.name}"
                text += [f"{self.cols.clean(src, where, q)} AS {quoted(f'_b_{c.name}_{j}')}"
                         for j, src in enumerate(c.band.columns)]
        if flagged:
            pattern = q.bind(cells.glob_regex(self.opts.not_values))
            text += [f"coalesce(regexp_matches({quoted('_s_' + c)}, {pattern}), false) AS {quoted('_nv_' + c)}"
                     for c in flagged]
        inputs = ["*"]   # level 2: the text a column is parsed from (not-values emptied, translated)
        values = ["*"]   # level 3: the typed values
        out, helpers = [], []  # level 4: the table
        for c in self.columns:
            s, x, v = quoted("_s_" + c.name), quoted("_x_" + c.name), quoted("_v_" + c.name)
            if c.band is not None:
                out.append(f"NULL::VARCHAR AS {quoted(c.name)}")
                for j in range(len(c.band.columns)):
                    b, bv = quoted(f"_b_{c.name}_{j}"), quoted(f"_bv_{c.name}_{j}")
                    fast = cells.fast(b, NUM, self.options(f"{c.name}#{j}"), q.bind) or "NULL::DOUBLE"
                    values.append(f"{fast} AS {bv}")
                    helpers += [f"{bv}", f"CASE WHEN {bv} IS NULL THEN {b} END AS {quoted(f'_bin_{c.name}_{j}')}"]
                continue
            emptied = s
            if c.name in flagged:
                helpers.append(f"CASE WHEN {quoted('_nv_' + c.name)} THEN {s} END AS {quoted('_nv_' + c.name)}")
                if nv == "null":
                    emptied = f"CASE WHEN {quoted('_nv_' + c.name)} THEN NULL ELSE {s} END"
            if c.name in self.spec.drop_if_empty:
                # Emptiness is that of the text before translation (a translation never empties a cell).
                helpers.append(f"{emptied} IS NULL AS {quoted('_empty_' + c.name)}")
            inputs.append(f"{self._translated(emptied, c, q)} AS {x}")
            if c.type == STR:
                name = self.table.column(c.name)
                out.append(f"{cells.visible_text(x) if cells.is_name(self.table, name) else x} AS {quoted(c.name)}")
                continue
            reads = [e for e in (
                cells.native(quoted("_n_" + c.name), c.type, native_types.get(c.native, "")) if c.native else None,
                cells.fast(x, c.type, self.options(c.name), q.bind)) if e is not None]
            values.append(f"CAST({'coalesce(' + ', '.join(reads) + ')' if reads else 'NULL'} AS {SQL_TYPES[c.type]}) AS {v}")
            out.append(f"{v} AS {quoted(c.name)}")
            helpers.append(f"CASE WHEN {v} IS NULL THEN {x} END AS {quoted('_in_' + c.name)}")
            if c.name in self.spec.values:
                helpers.append(f"CASE WHEN {v} IS NULL THEN {s} END AS {quoted('_shown_' + c.name)}")
        drop = " OR ".join(quoted("_nv_" + c) for c in flagged) if flagged and nv == "drop" else "false"
        helpers += ["_blank", f"_blank OR {drop} AS _drop"]
        self.helpers = [h.rsplit(" AS ", 1)[-1].strip('"') for h in helpers]
        levels = (f"(SELECT {', '.join(values)} FROM (SELECT {', '.join(inputs)} FROM "
                  f"(SELECT {', '.join(text)} FROM {self.cols.relation(q, source)})))")
        kind = "TEMP TABLE" if self.temporary else "TABLE"
        return q(f"CREATE {kind} {self.target} AS SELECT {', '.join(out)}, {q.bind(self.load_id)}::VARCHAR AS _load_id, "
                 f"{q.bind(self.frame.label)}::VARCHAR AS {FILE}, {ROW}, {', '.join(helpers)} FROM {levels}")

    # --- after the first pass ------------------------------------------------------------------

    def _repair_all(self) -> set[str]:
        """Bands (every row), then drop_if_empty, then the typed columns (rows kept): the cells the
        fast parse left, read by the lenient parsers. Returns the inputs whose failed cells prove a
        decimal comma they were not read with (then the part is read again)."""
        t, redo = self.target, set()
        for c in self.columns:
            if c.band is None:
                continue
            for j in range(len(c.band.columns)):
                key = f"{c.name}#{j}"
                if self._repair(quoted(f"_bin_{c.name}_{j}"), quoted(f"_bv_{c.name}_{j}"), NUM, self.options(key),
                                as_is=False, where="true") and key not in self.comma:
                    redo.add(key)
        if redo:
            return redo
        for c in self.columns:
            if c.band is not None:
                q = Query(self.ws)
                v = "greatest(" + ", ".join((f"abs({quoted(f'_bv_{c.name}_{j}')})" if c.band.absolute
                                             else quoted(f"_bv_{c.name}_{j}")) for j in range(len(c.band.columns))) + ")"
                cases = " ".join(f"WHEN {v} < {float(lim)!r} THEN {q.bind(lab)}"
                                 for lim, lab in zip(c.band.limits, c.band.labels))
                self.ws.execute(q(f"UPDATE {t} SET {quoted(c.name)} = CASE {cases} WHEN {v} IS NOT NULL "
                                  f"THEN {q.bind(c.band.labels[-1])} END"))
        self.dropped_by: list[tuple[str, str]] = []  # (column, condition) in drop_if_empty order
        for name in self.spec.drop_if_empty:
            empty = f"{quoted(name)} IS NULL" if name in self.spec.bands else quoted("_empty_" + name)
            self.dropped_by.append((name, empty))
        self.kept = "NOT _drop" + "".join(f" AND NOT coalesce({e}, false)" for _, e in self.dropped_by)
        typed = [c.name for c in self.columns if c.type != STR and c.band is None]
        counted = ", ".join(f"count({quoted('_in_' + c)})" for c in typed) or "0"
        counts = self.ws.con.execute(f"SELECT {counted} FROM {t}").fetchone()
        # Columns every cell of which the source's types or the fast parse read have nothing to repair.
        self.unread = {c for c, n in zip(typed, counts) if n}
        for c in self.columns:
            if c.type in (STR, BOOL) or c.band is not None or c.name not in self.unread:
                continue
            if self._repair(quoted("_in_" + c.name), quoted(c.name), c.type, self.options(c.name), as_is=c.as_is,
                            where=self.kept) and c.name not in self.comma:
                redo.add(c.name)
        return redo

    def _repair(self, text: str, value: str, type_: str, opts: ValueOptions, *, as_is: bool, where: str) -> bool:
        """Read the cells of `text` that the fast parse left into `value`, on their distinct values;
        True when they prove a decimal comma the column was not read with."""
        import polars as pl  # the lenient parsers load only for a batch that has cells to repair

        from . import parse

        t = self.target
        values = [r[0] for r in self.ws.con.execute(
            f"SELECT DISTINCT {text} FROM {t} WHERE {where} AND {text} IS NOT NULL").fetchall()]
        if not values:
            return False
        s = pl.Series("x", values, dtype=pl.String)
        if type_ in (NUM, MONEY) and parse.reads_decimal_comma(s, opts, percent=type_ == NUM):
            return True
        fixes = pl.DataFrame({"s": s, "v": parse.parse(s, type_, opts, as_is=as_is)}).drop_nulls("v")
        if fixes.height:
            fix = fixes.to_arrow()  # noqa: F841 — DuckDB reads the local variable by name
            self.ws.con.execute(f"UPDATE {t} SET {value} = fix.v FROM fix WHERE {t}.{text} = fix.s AND {where}")
        return False

    def _findings(self) -> None:
        """Bands, not-values, drop_if_empty, unparsed cells — in that order, as the rows were read."""
        t, name = self.target, self.name
        for c in self.columns:
            if c.band is None:
                continue
            for j, src in enumerate(c.band.columns):
                q = Query(self.ws)
                self.sink.cells("SCHEMA", ERROR, name, c.name, f"source column {src!r} is not a number (needed "
                                f"for the {c.name} bands)", q,
                                f"(SELECT {FILE}, {ROW}, {quoted(f'_bin_{c.name}_{j}')} AS value FROM {t} "
                                f"WHERE {quoted(f'_bv_{c.name}_{j}')} IS NULL AND {quoted(f'_bin_{c.name}_{j}')} IS NOT NULL)")
        then = ("the row is left out of this table" if self.spec.not_value_action == "drop"
                else "the cell is left empty")
        for c in self.flagged:
            q = Query(self.ws)
            self.sink.cells("MAP-VALUE", WARNING, name, c, f"not a value (matches the mapping's not_values); {then}", q,
                            f"(SELECT {FILE}, {ROW}, {quoted('_nv_' + c)} AS value FROM {t} "
                            f"WHERE {quoted('_nv_' + c)} IS NOT NULL)")
        earlier = "NOT _drop"
        for c, empty in self.dropped_by:
            q = Query(self.ws)
            self.sink.cells("MAP-VALUE", WARNING, name, c, "empty; the mapping's drop_if_empty leaves the row out of "
                            "this table", q, f"(SELECT {FILE}, {ROW}, NULL::VARCHAR AS value FROM {t} "
                                             f"WHERE {earlier} AND coalesce({empty}, false))")
            earlier += f" AND NOT coalesce({empty}, false)"
        for c in self.columns:
            if c.type == STR or c.band is not None or c.name not in self.unread:
                continue
            q = Query(self.ws)
            shown = quoted("_shown_" + c.name) if c.name in self.spec.values else quoted("_in_" + c.name)
            blank = cells.clean(quoted("_in_" + c.name), self.opts, q.bind)
            # The message names what the mapping declared (not a decimal comma the cells proved).
            self.sink.cells("SCHEMA", ERROR, name, c.name, _type_message(c.type, self.opts), q,
                            f"(SELECT {FILE}, {ROW}, {shown} AS value FROM {t} WHERE {self.kept} "
                            f"AND {quoted(c.name)} IS NULL AND {quoted('_in_' + c.name)} IS NOT NULL "
                            f"AND {blank} IS NOT NULL)")
        for c, factor in self.spec.scale.items():
            # Rounded so that 0.001 × 1,000,000 is 1000, not 1000.0000000000001.
            self.ws.con.execute(f"UPDATE {t} SET {quoted(c)} = round(({quoted(c)} * {float(factor)!r}) * 1000000.0) "
                                f"/ 1000000.0")
        if self.dropped_by:
            self.ws.con.execute(f"UPDATE {t} SET _drop = true WHERE NOT ({self.kept})")


def finish_part(ws: Workspace, part: Part) -> None:
    """A table made of one part: its dropped rows and helper columns go; it is the table."""
    ws.con.execute(f"DELETE FROM {part.table} WHERE _drop")
    for h in part.helpers:
        ws.con.execute(f"ALTER TABLE {part.table} DROP COLUMN {quoted(h)}")


def stack(ws: Workspace, parts: list[Part], table: Table, dedupe: Dedupe | None, target: str) -> None:
    """The parts of a table, dropped rows left out, stacked (and de-duplicated) into `target`:
    contract columns, then _load_id, _file, _row."""
    cols = [quoted(c) for c in table.column_names]
    names = ", ".join(cols)
    body = " UNION ALL ".join(f"SELECT {names}, _load_id, {FILE}, {ROW}, {p.index} AS _part FROM {p.table} WHERE NOT _drop"
                              for p in parts)
    if dedupe is None:
        select = f"SELECT * FROM ({body}) ORDER BY _part, {ROW}"
    else:
        key = ", ".join(quoted(k) for k in dedupe.key)
        complete = " AND ".join(f"{quoted(k)} IS NOT NULL" for k in dedupe.key)
        kept = "last_value" if dedupe.keep == "last" else "first_value"
        w = f"(PARTITION BY {key} ORDER BY _part, {ROW} ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)"

        def agg(c: str) -> str:
            if c in (FILE, ROW, "_load_id"):
                return f"{kept}({c}) OVER {w}"
            if c in dedupe.key:
                return quoted(c)
            if c in dedupe.from_first:
                return f"first_value({quoted(c)} IGNORE NULLS) OVER {w}"
            if dedupe.fill:
                return f"{kept}({quoted(c)} IGNORE NULLS) OVER {w}"
            return f"{kept}({quoted(c)}) OVER {w}"

        # One row per key, in the order of each key's first row (rows without a complete key after).
        if dedupe.fill or dedupe.from_first:
            keyed = (f"SELECT {', '.join(f'{agg(c)} AS {quoted(c)}' for c in table.column_names)}, "
                     f"{agg('_load_id')} AS _load_id, {agg(FILE)} AS {FILE}, {agg(ROW)} AS {ROW}, "
                     f"first_value(_part) OVER {w} AS _at_part, first_value({ROW}) OVER {w} AS _at_row "
                     f"FROM ({body}) WHERE {complete} QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY _part, {ROW}) = 1")
        else:
            way = "DESC" if dedupe.keep == "last" else "ASC"
            keyed = (f"SELECT *, _part AS _at_part, {ROW} AS _at_row FROM ({body}) WHERE {complete} "
                     f"QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY _part {way}, {ROW} {way}) = 1")
        loose = f"SELECT *, _part AS _at_part, {ROW} AS _at_row, 1 AS _loose FROM ({body}) WHERE NOT ({complete})"
        select = (f"SELECT * FROM (SELECT *, 0 AS _loose FROM ({keyed}) UNION ALL BY NAME {loose}) "
                  f"ORDER BY _loose, _at_part, _at_row")
    ws.con.execute(f"CREATE TABLE {target} AS SELECT {names}, _load_id, {FILE}, {ROW} FROM ({select})")
