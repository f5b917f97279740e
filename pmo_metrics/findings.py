"""What validation found: one `Finding` per failed value or row, gathered in a `ValidationReport`.

A rule can fail on millions of rows, so a report keeps its findings in a DuckDB file of its own (in
a private temporary folder, removed with the report) rather than in Python memory: counting,
listing the first 200 and writing a CSV are queries, and only what is asked for is fetched.
"""
from __future__ import annotations

import shutil
import tempfile
import weakref
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable

ERROR, WARNING = "error", "warning"


class BatchError(Exception):
    """A batch cannot be read at all (missing path, malformed mapping, corrupt file).

    The message is one line a user can act on; it names the file where there is one.
    """


@dataclass(frozen=True)
class Finding:
    rule_id: str
    severity: str  # ERROR or WARNING
    table: str | None
    message: str
    file: str | None = None
    row: int | None = None  # spreadsheet numbering: the header is row 1, the first data row is 2
    column: str | None = None
    value: str | None = None
    project_id: str | None = None

    def describe(self) -> str:
        """One line naming the file, row, column, value and rule."""
        where = []
        if self.file:
            where.append(self.file)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        place = ", ".join(where) or (self.table or "batch")
        value = "" if self.value is None else f" value {self.value!r}:"
        return f"[{self.severity.upper()} {self.rule_id}] {place}:{value} {self.message}"


FINDING_COLUMNS = ("rule_id", "severity", "table", "message", "file", "row", "column", "value", "project_id")
# The findings table, wherever it lives (a report's store, the loader's workspace, meta.findings).
FINDINGS_DDL = ('(rule_id VARCHAR, severity VARCHAR, "table" VARCHAR, message VARCHAR, file VARCHAR, '
                '"row" BIGINT, "column" VARCHAR, value VARCHAR, project_id VARCHAR)')
SELECT_FINDINGS = 'rule_id, severity, "table", message, file, "row", "column", value, project_id'


def polars_frame(con, sql: str, params=None):
    """A query's result as a polars frame (only scripts and tests ask for frames; the loader never does)."""
    return con.sql(sql, params=params).pl()


def findings_frame(findings: Iterable[Finding] | None = None):
    """Findings as a polars frame with the finding columns (for scripts and tests)."""
    import polars as pl  # only scripts and tests ask for frames; the loader never does

    schema = {"rule_id": pl.String, "severity": pl.String, "table": pl.String, "message": pl.String,
              "file": pl.String, "row": pl.Int64, "column": pl.String, "value": pl.String, "project_id": pl.String}
    rows = [asdict(f) for f in (findings or [])]
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


class FindingStore:
    """A DuckDB file holding one table `findings`, in a temporary folder removed with the store."""

    def __init__(self) -> None:
        import duckdb  # a report without findings never needs the engine

        self.folder = Path(tempfile.mkdtemp(prefix="pmo-findings-"))
        self.path = self.folder / "findings.duckdb"
        self._finalizer = weakref.finalize(self, shutil.rmtree, self.folder, True)
        self._con = duckdb.connect(str(self.path))
        self._con.execute(f"CREATE TABLE findings {FINDINGS_DDL}")

    def con(self):
        return self._con

    def attach_to(self, con, alias: str = "report") -> None:
        """Let another connection write findings straight into this store (`alias.findings`).

        DuckDB opens a file from one instance at a time, so the store's own connection is closed
        until `detach_from` hands the file back."""
        self._con.close()
        con.execute(f"ATTACH ? AS {alias}", [str(self.path)])

    def detach_from(self, con, alias: str = "report") -> None:
        import duckdb

        con.execute(f"DETACH {alias}")
        self._con = duckdb.connect(str(self.path))

    def close(self) -> None:
        try:
            self._con.close()
        finally:
            self._finalizer()


class ValidationReport:
    """Every finding of a batch, with the rows read per table and the files behind each table."""

    def __init__(self) -> None:
        self.store = FindingStore()
        self.rows_read: dict[str, int] = {}
        self.rows_collapsed: dict[str, int] = {}  # table -> duplicates dedupe folded (not in rows_read)
        self.files: dict[str, list[str]] = {}  # table -> source file names

    def _query(self, sql: str, params: list | None = None):
        return self.store.con().execute(sql, params or [])

    def extend(self, findings: Iterable[Finding]) -> None:
        rows = [tuple(asdict(f)[k] for k in FINDING_COLUMNS) for f in findings]
        if rows:
            self.store.con().executemany(f"INSERT INTO findings VALUES ({', '.join('?' * len(FINDING_COLUMNS))})", rows)

    def _count(self, severity: str) -> int:
        return self._query("SELECT count(*) FROM findings WHERE severity = ?", [severity]).fetchone()[0]

    @property
    def n_errors(self) -> int:
        return self._count(ERROR)

    @property
    def n_warnings(self) -> int:
        return self._count(WARNING)

    @property
    def ok(self) -> bool:
        return self.n_errors == 0

    @property
    def frame(self):
        """Every finding as a polars frame, in report order."""
        return polars_frame(self.store.con(), f"SELECT {SELECT_FINDINGS} FROM findings ORDER BY rowid")

    def findings(self, severity: str | None = None, limit: int | None = None) -> list[Finding]:
        rows = self._query(f"SELECT {SELECT_FINDINGS} FROM findings WHERE ?::VARCHAR IS NULL OR severity = ? "
                           "ORDER BY rowid LIMIT ?", [severity, severity, limit]).fetchall()
        return [Finding(*r) for r in rows]

    def rule_ids(self, severity: str | None = None) -> set[str]:
        rows = self._query("SELECT DISTINCT rule_id FROM findings WHERE ?::VARCHAR IS NULL OR severity = ?",
                           [severity, severity]).fetchall()
        return {r[0] for r in rows}

    def to_frame(self):
        """Every finding as a pandas frame (the Data loads page shows it)."""
        return self._query(f"SELECT {SELECT_FINDINGS} FROM findings ORDER BY rowid").df()

    def write_csv(self, path: str | Path) -> None:
        self._query(f"COPY (SELECT {SELECT_FINDINGS} FROM findings ORDER BY rowid) TO ? (HEADER, DELIMITER ',')",
                    [str(path)])

    def write_json(self, out, head: dict, chunk: int = 10_000) -> None:
        """The report as one JSON document on the text stream `out`: `head`'s fields, the counts,
        then every finding (errors first) — fetched and written a chunk at a time, so a report of
        millions of findings never sits in memory whole."""
        import json

        doc = {**head, "summary": self.summary(), "errors": self.n_errors, "warnings": self.n_warnings,
               "rows_read": self.rows_read, "rows_collapsed": self.rows_collapsed, "files": self.files}
        out.write(json.dumps(doc, indent=1, default=str)[:-2] + ',\n "findings": [')
        cur = self.store.con().cursor()
        try:
            cur.execute(f"SELECT {SELECT_FINDINGS} FROM findings ORDER BY severity <> '{ERROR}', rowid")
            first = True
            while rows := cur.fetchmany(chunk):
                for r in rows:
                    out.write(("\n  " if first else ",\n  ") + json.dumps(dict(zip(FINDING_COLUMNS, r))))
                    first = False
        finally:
            cur.close()
        out.write("\n ]\n}\n")

    def summary(self) -> str:
        collapsed = sum(self.rows_collapsed.values())
        return (f"{sum(self.rows_read.values()):,} rows read from {len(self.rows_read)} table(s)"
                + (f" ({collapsed:,} duplicate row(s) collapsed by the mapping's dedupe)" if collapsed else "")
                + f"; {self.n_errors:,} error(s), {self.n_warnings:,} warning(s)")

    def render(self, limit: int | None = 200, more: str = "the full list is in the report file") -> str:
        """The report as text: a summary line, then one line per finding, errors first; past
        `limit`, a line counting the rest and saying where they are (`more`)."""
        n_errors = self.n_errors
        ordered = self.findings(ERROR, limit) + self.findings(
            WARNING, None if limit is None else max(0, limit - min(limit, n_errors)))
        lines = [self.summary()] + [f.describe() for f in ordered]
        total = n_errors + self.n_warnings
        if len(ordered) < total:
            lines.append(f"… and {total - len(ordered):,} more ({more})")
        return "\n".join(lines)
