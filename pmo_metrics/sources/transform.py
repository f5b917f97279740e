"""From frames to typed contract tables, as a mapping says, in SQL — with findings for what fails.

Per frame, one `CREATE TABLE … AS SELECT` computes every contract column: resolve it (rename,
template, coalesce, conditional cases, constant), clean its text up (`clean` patterns), flag
not-values (warning; the row dropped or the cell emptied), translate values (own or shared value
tables) and enumeration case, and apply the exact fast parse (`cells.fast`); it also flags the rows
`skip_rows` leaves out and the dates two declared formats read differently. The cells the fast
parse left are read by the lenient parsers on their distinct values (`parse`); then bands,
drop_if_empty and scale are applied and the SCHEMA errors and MAP-VALUE / MAP-DATE-AMBIGUOUS
warnings written. A table's parts are stacked and, if the mapping says so, de-duplicated with
window functions in the declared order (`stack`), and projects that left a snapshot portfolio
marked (`mark_departed`).

Findings go to the workspace table `read_findings`; cell-level ones are capped per table, column
and rule when the batch is done.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

from ..contract import BOOL, DATE, MONEY, NUM, STR, Table
from ..findings import ERROR, WARNING, BatchError, Finding
from . import cells
from .cells import ValueOptions
from .frames import FILE, ROW, SourceFrame, run
from .mapping import Bands, Cases, Coalesce, ColumnRef, Dedupe, Mapping, SourceSpec, Spec, TableSpec, is_typed
from .workspace import Sql, Workspace, literal

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
                opts = self.mapping.value_defaults.merged(spec.values)
                # The declared order (dates, as dedupe.order_by reads them) decides "first" and
                # "last" before source and file order do.
                ordered = "".join(
                    f", {order_date(cells.clean(cols.expr(o, where, q), opts, q.bind), q.bind(list(opts.date_formats) + ['%Y-%m-%d']))}"
                    f" AS _o{j}" for j, o in enumerate(lk.order_by))
                selects.append(f"SELECT {cols.expr(lk.key, where, q)} AS k, {cols.expr(lk.value, where, q)} AS v, "
                               f"{i} AS part, {ROW}{ordered} FROM {cols.relation(q)}")
            body = " UNION ALL ".join(selects) or f"SELECT NULL::VARCHAR AS k, NULL::VARCHAR AS v, 0 AS part, 0 AS {ROW}"
            order = "ASC" if lk.keep == "first" else "DESC"
            nulls = "NULLS FIRST" if lk.keep == "first" else "NULLS LAST"
            declared = "".join(f"_o{j} {order} {nulls}, " for j in range(len(lk.order_by))) if selects else ""
            return q(f"CREATE TEMP TABLE {target} AS SELECT k, v FROM ({body}) WHERE k IS NOT NULL AND v IS NOT NULL "
                     f"QUALIFY row_number() OVER (PARTITION BY k ORDER BY {declared}part {order}, {ROW} {order}) = 1")

        run(self.ws, [fr for _, fr in frames], build)
        empty = self.ws.con.execute(f"SELECT count(*) = 0 FROM {target}").fetchone()[0]
        self.tables[name] = None if empty else target
        self.building.discard(name)
        return self.tables[name]


class Columns:
    """A frame as mappings see it: headers matched case-insensitively, plus the source's
    harmonised columns and constants (h1, h2, …, which shadow a header of the same name)."""

    def __init__(self, frame: SourceFrame, source: SourceSpec | None, opts: ValueOptions, lookups: Lookups,
                 plain: bool = False):
        self.frame, self.source, self.opts, self.lookups = frame, source, opts, lookups
        self.plain = plain  # the frame's cells are plain (delimited.plain_cells): none needs a trim
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
            cols = ", ".join(near_first(name, self.frame.columns)[:12]) + (" …" if len(self.frame.columns) > 12 else "")
            raise BatchError(f"{self.label}: the mapping's [{where}] names column {name!r}, which the "
                             f"file lacks (columns: {cols})")
        return self.index[key]

    def native_of(self, spec: Spec) -> str | None:
        return self.natives.get(spec.name.strip().lower()) if isinstance(spec, ColumnRef) else None

    def clean(self, name: str, where: str, q: Query) -> str:
        return cells.clean(self.column(name, where), self.opts, q.bind, plain=self.plain)

    def expr(self, spec: Spec, where: str, q: Query, *, raw: bool = False) -> str:
        """The spec as a text expression; `raw` reads a column as written (the fast parse takes
        only clean cells anyway, and the lenient one trims what it needs)."""
        if isinstance(spec, ColumnRef):
            return self.column(spec.name, where) if raw else self.clean(spec.name, where, q)
        if isinstance(spec, Coalesce):
            return f"coalesce({', '.join(self.expr(o, where, q) for o in spec.options)})"
        if isinstance(spec, Cases):
            branches = []
            for case in spec.cases:
                then = self.expr(case.spec, where, q) if case.spec is not None else \
                    f"{q.bind(case.value.strip() or None)}::VARCHAR"
                cond = "true" if case.when is None else \
                    f"coalesce({skipped(self.expr(case.when.spec, where, q), case.when, q)}, false)"
                branches.append(f"WHEN {cond} THEN {then}")
            return f"(CASE {' '.join(branches)} END)"
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
LEAN_MISS = "pmo: a cell for the lenient parsers"  # what stops a lean first pass (PartBuilder._read_lean)
TYPED_MISS = "Error when converting column"  # DuckDB's reader meeting a cell it cannot type (_typed_reads)


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
        self.ahead = None  # a Future of this part's lean pass, run ahead on a cursor of its own (read_ahead.ReadAhead)
        self.plain = False  # planned for plain cells (lean_sql)
        self.numbered = False  # the pass read ahead numbered the rows as it read them (frames.SourceFrame.cells)

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
        if self._read_lean():
            if not self.ws.con.execute(f"SELECT count(*) FROM {self.target}").fetchone()[0]:
                return self._no_rows()
            if frame.csv is not None and not self.numbered:
                frame.csv.number_table(self.target)
            self._findings()
            return Part(self.target, frame, self.index, self.helpers)
        while True:
            run(self.ws, [frame], self._first_pass)
            if frame.csv is not None:
                frame.csv.number_table(self.target)
            if self.ws.con.execute(f"SELECT count(*) FILTER (NOT _blank) = 0 FROM {self.target}").fetchone()[0]:
                return self._no_rows()
            redo = self._repair_all()
            if not redo:
                break
            # The failed cells prove a decimal comma: read every cell of those columns that way.
            self.comma |= redo
            self.ws.con.execute(f"DROP TABLE {self.target}")
        self._findings()
        return Part(self.target, frame, self.index, self.helpers)

    def _no_rows(self) -> None:
        self.sink.add(Finding("SCHEMA", ERROR, self.name, "no data rows, only a header: a full snapshot with "
                              "no rows would empty the table, so it is refused", self.frame.label))
        self.ws.con.execute(f"DROP TABLE {self.target}")
        return None

    def _read_lean(self) -> bool:
        """The common case first: a table read in one pass with no helper columns at all — for a
        part that is the table itself, whose mapping needs no helper but the unread cells' text,
        and whose cells all read by their source type or the fast parse. The first cell that does
        not, or a delimited file's blank record (its number must be kept), stops the pass
        (LEAN_MISS) and nothing is kept: the part is then read the full way, helpers and repairs
        and all, and comes out the same. It spares the helper columns (`_in_*`, `_blank`, `_drop`)
        the new database file would write for every row and drop; a batch with a cell to repair
        pays for one more read of that file.

        A delimited file's rows are numbered afterwards (`CsvFile.number_table`, blank lines
        counted), not as they are read: `row_number() OVER ()` would hold the whole pass — reading,
        trimming, parsing — to one thread (5 M timesheet rows: 2.95 s wall on two cores, 1.63 s
        with the update after it). A pass read ahead may number them as it reads, in pieces side
        by side (`read_ahead.ReadAhead`; `self.numbered`), and then no update follows."""
        if self.temporary:
            return False
        import duckdb

        ahead = self._outcome_ahead()
        if ahead == "missed":
            return False
        if not self._may_read_lean():
            if ahead == "built":
                self.ws.con.execute(f"DROP TABLE {self.target}")
            return False
        if ahead != "built":
            try:
                run(self.ws, [self.frame], lambda: self._first_pass(lean=True))
            except duckdb.InvalidInputException as exc:
                if LEAN_MISS not in str(exc):
                    raise
                self.ws.con.execute(f"DROP TABLE IF EXISTS {self.target}")
                return False
        self.helpers, self.unread, self.dropped_by, self.kept = [], set(), [], "true"
        return True

    def _may_read_lean(self) -> bool:
        """Whether the mapping lets this part be read the lean way (plans the full pass's helpers
        to know; nothing runs)."""
        self._first_pass()
        return not (self.flagged or self.spec.skip_rows or self.ambiguous or any(
            not h.startswith("_in_") and h not in ("_blank", "_drop") for h in self.helpers))

    def lean_sql(self, plain: bool = False, numbered: str | None = None) -> Sql | None:
        """The lean pass's statement, planned without running anything or reporting a finding (the
        builder's own sink is to be a silent one), for a delimited file's part that may take the
        lean way; else None. `plain`: the statement for a file whose cells are all plain
        (`CsvFile.plain`), which trims nothing, reads numbers by DuckDB's cast alone and has the
        reader type the dates and numbers it can (`_typed_reads`) — the same table, sooner.
        `numbered`: the rows numbered as they are read ("whole" file or one "piece":
        `frames.SourceFrame.cells`); a piece's statement is the INSERT alone, into the table
        `lean_table_sql` makes. See `read_ahead.ReadAhead`."""
        if self.temporary or self.frame.empty or self.frame.csv is None:
            return None
        self.plain = plain
        self.cols = Columns(self.frame, self.source, self.opts, self.lookups, plain)
        if self._plan() is MISSING or not self._may_read_lean():
            return None
        return self._first_pass(lean=True, numbered=numbered)

    def lean_table_sql(self) -> str:
        """CREATE OR REPLACE the lean pass's table (after `lean_sql`): the contract columns, the load
        id and the file as generated columns, _row. The load id and the file are the same on every
        row: computed when read, not written for each row (5 M timesheet rows: 0.2 s of 1.4 s into
        a database file). OR REPLACE: `run` may build the statement again after a refused file."""
        columns = ", ".join(f"{quoted(c.name)} {SQL_TYPES.get(c.type, 'VARCHAR') if c.band is None else 'VARCHAR'}"
                            for c in self.columns)
        return (f"CREATE OR REPLACE TABLE {self.target} ({columns}, _load_id VARCHAR AS ({literal(self.load_id)}), "
                f"{FILE} VARCHAR AS ({literal(self.frame.label)}), {ROW} BIGINT)")

    def _outcome_ahead(self) -> str | None:
        """How the pass read ahead ended: "built" (the table is there), "missed" (a cell for the
        lenient parsers: no table), or None — not read ahead, or refused for another reason, which
        the pass run here meets again and deals with (`run` recovers what it can)."""
        if self.ahead is None:
            return None
        import duckdb

        try:
            self.numbered = bool(self.ahead.result())
        except BaseException as exc:  # noqa: BLE001 — whatever it was, the pass run here meets it itself
            # The table was made before its rows were refused (see _first_pass).
            self.ws.con.execute(f"DROP TABLE IF EXISTS {self.target}")
            if isinstance(exc, duckdb.InvalidInputException):
                return "missed" if LEAN_MISS in str(exc) else None
            if isinstance(exc, duckdb.ConversionException) and TYPED_MISS in str(exc):
                return "missed"  # a cell the reader could not type (`_typed_reads`): one for the lenient parsers
            if not isinstance(exc, Exception):
                raise
            return None
        return "built"

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
                       and not (c.constant or "").strip() and col.name not in self.spec.clean)
            self.cols.expr(c.spec, where, q, raw=c.as_is)
            if col.type != STR:
                c.native = self.cols.native_of(c.spec)
        self.order_keys = [k for k in (self.spec.dedupe.order_by if self.spec.dedupe else ()) if k.spec is not None]
        for k in self.order_keys:
            self.cols.expr(k.spec, f"tables.{self.name}.dedupe.order_by", q)
        if missing:
            for m in missing:
                near = close_headers(m, self.frame.columns)
                self.sink.add(Finding("SCHEMA", ERROR, self.name, f"required column {m!r} is missing"
                                      + (f" (nearest headers: {', '.join(near)})" if near else ""),
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
        for pattern, replacement in self.spec.clean.get(c.name, ()):
            e = f"regexp_replace({e}, {q.bind(pattern)}, {q.bind(replacement)}, 'g')"
        if self.spec.clean.get(c.name):
            e = f"nullif({cells.trim(e)}, '')"  # a clean-up that leaves nothing leaves the cell empty
        if c.constant is not None and c.constant.strip():
            e = f"coalesce({e}, {q.bind(c.constant.strip())})"
        return e

    def _translated(self, s: str, c: _Column, q: Query) -> str:
        """Value translations (keys match case-insensitively; for enumerations also with spaces
        and hyphens as _), then an enumeration's normal form; unmatched values stay."""
        table = self.spec.values.get(c.name)
        if table is None:
            return cells.normalise_enum(s) if c.enum else s
        if c.name in self.spec.value_tables:
            # A shared value table: its keys are normalised already (mapping.value_key).
            ks, vs = q.bind(list(table)), q.bind(list(table.values()))
            key = value_key_sql(s)
            base = cells.normalise_enum(s) if c.enum else s
            return f"CASE WHEN list_contains({ks}, {key}) THEN {vs}[list_position({ks}, {key})] ELSE {base} END"
        if c.enum:
            keys = {cells.enum_key(k): v for k, v in table.items()}
            low, base = cells.normalise_enum(s), cells.normalise_enum(s)
        else:
            keys = {k.strip().lower(): v for k, v in table.items()}
            low, base = f"lower({cells.trim(s)})", s
        ks, vs = q.bind(list(keys)), q.bind(list(keys.values()))
        return f"CASE WHEN list_contains({ks}, {low}) THEN {vs}[list_position({ks}, {low})] ELSE {base} END"

    def _typed_reads(self) -> dict[str, tuple[str, str]]:
        """For the lean pass over a plain file (`lean_sql`): the columns DuckDB's reader may type
        itself, {contract column: (frame column, DOUBLE or DATE)} — those read as written from one
        source column that nothing else reads, as a number with a decimal point or a date whose
        first format is ISO. The reader's cast is the fast parse's for plain cells (DuckDB's
        DOUBLE cast; %Y-%m-%d, strictly: tests/test_sources_parse.py compares them), and a cell it
        cannot read stops the statement, which the loop then reads as before. It spares the text
        of every such cell (5 M timesheet rows: 0.3 s of CPU of 2.4 s into a database file)."""
        if self.source is not None and (self.source.columns or self.source.constants):
            return {}  # harmonised columns read the frame's too
        # How many times each source column is read (by a column, a band or a dedupe order key).
        names = [n for k in self.order_keys for n in k.spec.columns()]
        for c in self.columns:
            names += c.band.columns if c.band is not None else c.spec.columns() if c.spec is not None else []
        readers = Counter(n.strip().lower() for n in names)
        typed = {}
        for c in self.columns:
            if not (c.as_is and c.native is None and c.band is None and isinstance(c.spec, ColumnRef)):
                continue
            key = c.spec.name.strip().lower()
            col = self.cols.index.get(key, "")
            cast = cells.cast_type(c.type, self.options(c.name))
            if col.startswith("c") and readers[key] == 1 and cast is not None:
                typed[c.name] = (col, cast)
        return typed

    def _native_types(self) -> dict[str, str]:
        if not any(c.native for c in self.columns):
            return {}
        return {n: t for n, t, *_ in self.ws.con.execute(f"DESCRIBE SELECT * FROM {self.frame.table}").fetchall()}

    def _first_pass(self, lean: bool = False, numbered: str | None = None) -> Sql:
        """CREATE TABLE target: the contract columns (typed), _load_id, _file, _row, and helpers —
        _in_C the text of a cell of C neither its source type nor the fast parse read, _shown_C
        that text before translation, _nv_C a not-value, _empty_C empty (for drop_if_empty),
        _bv/_bin the band inputs, _drop the row is left out.

        Written as levels (text → translated text → typed value → helpers), so that no
        expression is computed twice for a row."""
        q = Query(self.ws)
        self.ambiguous: list[str] = []  # date columns whose declared formats may read a value two ways
        nv, flagged, native_types = self.spec.not_value_action, self.flagged, self._native_types()
        typed = self._typed_reads() if lean and self.plain else {}
        source, blank = self.frame.cells(numbered, dict(typed.values()))
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
        text += [f"{self.cols.expr(k.spec, f'tables.{self.name}.dedupe.order_by', q)} AS {quoted(f'_os_{j}')}"
                 for j, k in enumerate(self.order_keys)]
        text += [f"{self.cols.expr(f.spec, f'tables.{self.name}.skip_rows', q)} AS {quoted(f'_fs_{j}')}"
                 for j, f in enumerate(self.spec.skip_rows)]
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
            if c.name in self.spec.value_tables:
                helpers.append(f"{self._unmatched(emptied, c, q)} AS {quoted('_um_' + c.name)}")
            if c.type == STR:
                name = self.table.column(c.name)
                out.append(f"{cells.visible_text(x) if cells.is_name(self.table, name) else x} AS {quoted(c.name)}")
                continue
            reads = [cells.typed(x, c.type)] if c.name in typed else [e for e in (
                cells.native(quoted("_n_" + c.name), c.type, native_types.get(c.native, "")) if c.native else None,
                cells.fast(x, c.type, self.options(c.name), q.bind, plain=self.plain)) if e is not None]
            values.append(f"CAST({'coalesce(' + ', '.join(reads) + ')' if reads else 'NULL'} AS {SQL_TYPES[c.type]}) AS {v}")
            out.append(f"{v} AS {quoted(c.name)}")
            helpers.append(f"CASE WHEN {v} IS NULL THEN {x} END AS {quoted('_in_' + c.name)}")
            if c.name in self.spec.values:
                helpers.append(f"CASE WHEN {v} IS NULL THEN {s} END AS {quoted('_shown_' + c.name)}")
            if c.type == DATE and len(self.options(c.name).date_formats) > 1:
                values.append(f"{date_readings(cells.trim(x), self.options(c.name).date_formats, q)} "
                              f"AS {quoted('_dl_' + c.name)}")
                helpers += ambiguous_dates(c.name, x, self.options(c.name).date_formats, q)
                self.ambiguous.append(c.name)
        formats = q.bind(list(self.opts.date_formats) + ["%Y-%m-%d"]) if self.order_keys else ""
        for j, _ in enumerate(self.order_keys):
            os_, ord_ = quoted(f"_os_{j}"), quoted(f"_ord_{j}")
            values.append(order_date(cells.clean(os_, self.opts, q.bind), formats) + f" AS {ord_}")
            helpers += [ord_, f"CASE WHEN {ord_} IS NULL THEN {os_} END AS {quoted(f'_oin_{j}')}"]
        drop = " OR ".join(quoted("_nv_" + c) for c in flagged) if flagged and nv == "drop" else "false"
        skips = [f"coalesce({skipped(quoted(f'_fs_{j}'), f, q)}, false)" for j, f in enumerate(self.spec.skip_rows)]
        helpers += [f"{e} AS {quoted(f'_skip_{j}')}" for j, e in enumerate(skips)]
        helpers += ["_blank", f"_blank OR {drop}{''.join(' OR ' + e for e in skips)} AS _drop"]
        self.helpers = [h.rsplit(" AS ", 1)[-1].strip('"') for h in helpers]
        levels = (f"(SELECT {', '.join(values)} FROM (SELECT {', '.join(inputs)} FROM "
                  f"(SELECT {', '.join(text)} FROM {self.cols.relation(q, source)})))")
        if lean:
            # No helpers: a cell neither its source type nor the fast parse read ends the pass.
            unread = " OR ".join(f"({quoted('_v_' + c.name)} IS NULL AND {quoted('_x_' + c.name)} IS NOT NULL)"
                                 for c in self.columns if c.type != STR and c.band is None)
            unread = " OR ".join(["_blank"] + ([unread] if unread else []))
            insert = (f"INSERT INTO {self.target} ({', '.join(quoted(c.name) for c in self.columns)}, {ROW}) "
                      f"SELECT {', '.join(out)}, {ROW} FROM {levels} "
                      f"WHERE CASE WHEN {unread} THEN error('{LEAN_MISS}')::BOOLEAN ELSE true END")
            return q(insert if numbered == "piece" else f"{self.lean_table_sql()}; {insert}")
        kind = "TEMP TABLE" if self.temporary else "TABLE"
        return q(f"CREATE {kind} {self.target} AS SELECT {', '.join(out)}, {q.bind(self.load_id)}::VARCHAR AS _load_id, "
                 f"{q.bind(self.frame.label)}::VARCHAR AS {FILE}, {ROW}, {', '.join(helpers)} FROM {levels}")

    def _unmatched(self, s: str, c: _Column, q: Query) -> str:
        """The text of a cell a shared value table does not match (nor is it a valid enumeration
        member as written), else NULL."""
        keys = q.bind(list(self.spec.values[c.name]))
        hit = f"list_contains({keys}, {value_key_sql(s)})"
        members = self.table.column(c.name).enum
        if members:
            hit += f" OR list_contains({q.bind(list(members))}, {cells.normalise_enum(s)})"
        return f"CASE WHEN {s} IS NOT NULL AND NOT ({hit}) THEN {cells.trim(s)} END"

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
        for j, f in enumerate(self.spec.skip_rows):
            # One line per filter, with the count: a filter that leaves out far more than a
            # "Total" line (a year typed wrong) shows at once.
            earlier = "".join(f" AND NOT {quoted(f'_skip_{i}')}" for i in range(j))  # each row counted once
            n = self.ws.con.execute(f"SELECT count(*) FROM {t} WHERE NOT _blank AND {quoted(f'_skip_{j}')}{earlier}"
                                    ).fetchone()[0]
            if n:
                self.sink.add(Finding("MAP-VALUE", WARNING, name, f"{n:,} row(s) left out of {name}: "
                                      f"{f.describe()} (the mapping's skip_rows)", self.frame.label, None, f.text))
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
        for j, k in enumerate(self.order_keys):
            q = Query(self.ws)
            self.sink.cells("SCHEMA", ERROR, name, k.text, f"not a date, so the row cannot be put in the order the "
                            f"mapping's dedupe.order_by gives (a year such as 2019, ISO or a declared date format)", q,
                            f"(SELECT {FILE}, {ROW}, {quoted(f'_oin_{j}')} AS value FROM {t} WHERE {self.kept} "
                            f"AND {quoted(f'_oin_{j}')} IS NOT NULL AND trim({quoted(f'_oin_{j}')}) <> '')")
        for c, table_name in self.spec.value_tables.items():
            if not any(col.name == c and col.spec is not None for col in self.columns):
                continue
            unmatched = self.ws.con.execute(
                f"SELECT {quoted('_um_' + c)}, count(*), min({ROW}) FROM {t} WHERE {self.kept} "
                f"AND {quoted('_um_' + c)} IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 3 LIMIT 50").fetchall()
            if unmatched:
                listed = ", ".join(f"{v!r} ({n:,})" for v, n, _ in unmatched)
                paste = " ".join(f"{json.dumps(v, ensure_ascii=False)} = \"\"" for v, _, _ in unmatched)
                self.sink.add(Finding("MAP-VALUE", WARNING, name, f"{len(unmatched):,} value(s) match nothing in "
                                      f"value table {table_name!r}: {listed}; to translate them, add to "
                                      f"[value_tables.{table_name}]: {paste}", self.frame.label, None, c))
        for c in self.ambiguous:
            # One warning per distinct value, with how many cells hold it and where it is first.
            rows = self.ws.con.execute(
                f"SELECT {quoted('_amb_' + c)}, min({ROW}), count(*), any_value({quoted('_ambd_' + c)}) FROM {t} "
                f"WHERE {self.kept} AND {quoted('_amb_' + c)} IS NOT NULL GROUP BY 1 ORDER BY 2").fetchall()
            for value, row, n, readings in rows:
                self.sink.add(Finding("MAP-DATE-AMBIGUOUS", WARNING, name,
                                      f"two declared date formats read this value as different dates ({readings}); "
                                      f"the first is used, as the mapping orders them — {n:,} cell(s) of "
                                      f"{c} hold it", self.frame.label, row, c, value))
        for c, factor in self.spec.scale.items():
            # Rounded so that 0.001 × 1,000,000 is 1000, not 1000.0000000000001.
            self.ws.con.execute(f"UPDATE {t} SET {quoted(c)} = round(({quoted(c)} * {float(factor)!r}) * 1000000.0) "
                                f"/ 1000000.0")
        if self.dropped_by:
            self.ws.con.execute(f"UPDATE {t} SET _drop = true WHERE NOT ({self.kept})")


def skipped(x: str, f, q: Query) -> str:
    """Whether the text `x` makes a row's filter `f` (a mapping.RowFilter) leave it out."""
    t = cells.trim(x)
    conds = []
    if f.equals:
        conds.append(f"list_contains({q.bind([v.strip().lower() for v in f.equals])}, lower({t}))")
    if f.matches:
        conds.append(f"regexp_matches({x}, {q.bind(cells.glob_regex(f.matches))})")
    if f.regex:
        conds.append(f"regexp_matches({x}, {q.bind(f.regex)})")
    if f.other_than:
        conds.append(f"NOT coalesce(list_contains({q.bind([v.strip().lower() for v in f.other_than])}, lower({t})), false)")
    if f.empty is not None:
        conds.append(f"({'' if f.empty else 'NOT '}coalesce({t} = '', true))")
    return "(" + " OR ".join(conds) + ")"


def close_headers(name: str, columns: list[str]) -> list[str]:
    """The headers most like `name` (case, spaces and underscores aside), best first; up to five."""
    import difflib  # only for a message

    def key(text: str) -> str:
        return " ".join(text.strip().lower().replace("_", " ").split())

    by_key = {key(c): c for c in columns}
    return [by_key[c] for c in difflib.get_close_matches(key(name), list(by_key), n=5, cutoff=0.6)]


def near_first(name: str, columns: list[str]) -> list[str]:
    """`columns` with the ones most like `name` first (a typo's fix is then the first one named)."""
    near = close_headers(name, columns)
    return near + [c for c in columns if c not in near]


def value_key_sql(x: str) -> str:
    """`mapping.value_key` in SQL: lower-case, runs of non-letters/digits one space, trimmed."""
    return f"trim(regexp_replace(lower({x}), '[^\\p{{L}}\\p{{N}}]+', ' ', 'g'))"


def _reading(x: str, fmt: str, q: Query) -> str:
    """The date a format reads from `x`, or NULL (a %Y that reads "12" as the year 12 is a miss)."""
    d = f"CAST(try_strptime({x}, {q.bind(fmt)}) AS DATE)"
    return f"CASE WHEN year({d}) >= 1000 THEN {d} END"


def date_readings(x: str, formats: tuple[str, ...], q: Query) -> str:
    """The list of what each declared format reads from `x` (NULL where it reads nothing)."""
    return "[" + ", ".join(_reading(x, f, q) for f in formats) + "]"


def ambiguous_dates(column: str, x: str, formats: tuple[str, ...], q: Query) -> list[str]:
    """Helpers _amb_C (the text two formats read as different dates) and _ambd_C (what each reads)."""
    dl = quoted("_dl_" + column)
    two = f"len(list_distinct({dl})) > 1"
    readings = ", ".join(f"{q.bind(f + ': ')} || CAST({dl}[{i}] AS VARCHAR)" for i, f in enumerate(formats, start=1))
    return [f"CASE WHEN {two} THEN {cells.trim(x)} END AS {quoted('_amb_' + column)}",
            f"CASE WHEN {two} THEN concat_ws(', ', {readings}) END AS {quoted('_ambd_' + column)}"]


def order_date(x: str, formats: str) -> str:
    """A dedupe order value as a date: a plain year is its first day; else the formats (a bound list)."""
    return (f"CASE WHEN regexp_full_match({x}, '[0-9]{{4}}') THEN make_date(CAST({x} AS INTEGER), 1, 1) "
            f"ELSE CAST(try_strptime({x}, {formats}) AS DATE) END")


def finish_part(ws: Workspace, part: Part) -> None:
    """A table made of one part: its dropped rows and helper columns go; it is the table."""
    if "_drop" in part.helpers:  # a part read the lean way has no helper and no row to drop
        ws.con.execute(f"DELETE FROM {part.table} WHERE _drop")
    for h in part.helpers:
        ws.con.execute(f"ALTER TABLE {part.table} DROP COLUMN {quoted(h)}")


def stack(ws: Workspace, parts: list[Part], table: Table, dedupe: Dedupe | None, target: str) -> None:
    """The parts of a table, dropped rows left out, stacked (and de-duplicated) into `target`:
    contract columns, then _load_id, _file, _row."""
    cols = [quoted(c) for c in table.column_names]
    names = ", ".join(cols)
    keys = dedupe.order_by if dedupe else ()
    sources = iter(range(len(keys)))
    order_cols = [quoted(k.column) if k.column else quoted(f"_ord_{next(sources)}") for k in keys]
    extra = "".join(f", {e} AS _o{i}" for i, e in enumerate(order_cols))
    body = " UNION ALL ".join(f"SELECT {names}, _load_id, {FILE}, {ROW}, {p.index} AS _part{extra} FROM {p.table} "
                              f"WHERE NOT _drop" for p in parts)
    # The declared order first (an empty value the earliest), then `from` order, then file order.
    first = "".join(f"_o{i} ASC NULLS FIRST, " for i in range(len(keys)))
    last = "".join(f"_o{i} DESC NULLS LAST, " for i in range(len(keys)))
    if dedupe is None:
        select = f"SELECT * FROM ({body}) ORDER BY _part, {ROW}"
    else:
        key = ", ".join(quoted(k) for k in dedupe.key)
        complete = " AND ".join(f"{quoted(k)} IS NOT NULL" for k in dedupe.key)
        kept = "last_value" if dedupe.keep == "last" else "first_value"
        w = f"(PARTITION BY {key} ORDER BY {first}_part, {ROW} ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)"

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
                     f"FROM ({body}) WHERE {complete} QUALIFY row_number() OVER (PARTITION BY {key} "
                     f"ORDER BY {first}_part, {ROW}) = 1")
        else:
            way = "DESC" if dedupe.keep == "last" else "ASC"
            keyed = (f"SELECT *, _part AS _at_part, {ROW} AS _at_row FROM ({body}) WHERE {complete} "
                     f"QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY {last if way == 'DESC' else first}"
                     f"_part {way}, {ROW} {way}) = 1")
        loose = f"SELECT *, _part AS _at_part, {ROW} AS _at_row, 1 AS _loose FROM ({body}) WHERE NOT ({complete})"
        select = (f"SELECT * FROM (SELECT *, 0 AS _loose FROM ({keyed}) UNION ALL BY NAME {loose}) "
                  f"ORDER BY _loose, _at_part, _at_row")
    ws.con.execute(f"CREATE TABLE {target} AS SELECT {names}, _load_id, {FILE}, {ROW} FROM ({select})")
    return body


def mark_departed(ws: Workspace, body: str, target: str, stage: str) -> tuple[int, object]:
    """Projects absent from the newest snapshot (by dedupe.order_by's first key) have left the
    portfolio: `stage` — and, for closed, an actual finish (where none is given) on the date of
    the first snapshot they are missing from, the date by which they had left. Projects already
    closed or cancelled keep theirs. Returns how many were marked, and the newest snapshot's date."""
    seen = ws.name("seen")
    ws.con.execute(f"CREATE TEMP TABLE {seen} AS SELECT project_id, max(_o0) AS _last FROM ({body}) "
                   f"WHERE project_id IS NOT NULL GROUP BY project_id")
    newest = ws.con.execute(f"SELECT max(_o0) FROM ({body})").fetchone()[0]
    finish = ("actual_finish_date = coalesce(t.actual_finish_date, (SELECT min(_o0) FROM "
              f"({body}) AS b WHERE b._o0 > s._last)), " if stage == "closed" else "")
    n = ws.con.execute(f"UPDATE {target} AS t SET {finish}stage = $stage FROM {seen} AS s "
                       f"WHERE t.project_id = s.project_id AND s._last < $newest "
                       f"AND coalesce(t.stage NOT IN ('closed', 'cancelled'), true)",
                       {"stage": stage, "newest": newest}).fetchone()[0]
    ws.con.execute(f"DROP TABLE {seen}")
    return n, newest
