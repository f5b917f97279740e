"""What validation found: one `Finding` per failed value or row, gathered in a `ValidationReport`."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Iterable

import pandas as pd
import polars as pl

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


FINDING_SCHEMA = {
    "rule_id": pl.String, "severity": pl.String, "table": pl.String, "message": pl.String, "file": pl.String,
    "row": pl.Int64, "column": pl.String, "value": pl.String, "project_id": pl.String,
}


def findings_frame(findings: Iterable[Finding] | pl.DataFrame | None = None) -> pl.DataFrame:
    """Findings as a polars frame with FINDING_SCHEMA; a rule can fail on millions of rows."""
    if isinstance(findings, pl.DataFrame):
        return findings.select([pl.col(k).cast(t) for k, t in FINDING_SCHEMA.items()])
    rows = [asdict(f) for f in (findings or [])]
    return pl.DataFrame(rows, schema=FINDING_SCHEMA, orient="row") if rows else pl.DataFrame(schema=FINDING_SCHEMA)


@dataclass
class ValidationReport:
    frame: pl.DataFrame = field(default_factory=findings_frame)
    rows_read: dict[str, int] = field(default_factory=dict)
    files: dict[str, list[str]] = field(default_factory=dict)  # table -> source file names

    def extend(self, findings: Iterable[Finding] | pl.DataFrame) -> None:
        self.frame = pl.concat([self.frame, findings_frame(findings)], how="vertical")

    @property
    def n_errors(self) -> int:
        return self.frame.filter(pl.col("severity") == ERROR).height

    @property
    def n_warnings(self) -> int:
        return self.frame.filter(pl.col("severity") == WARNING).height

    @property
    def ok(self) -> bool:
        return self.n_errors == 0

    def findings(self, severity: str | None = None, limit: int | None = None) -> list[Finding]:
        frame = self.frame if severity is None else self.frame.filter(pl.col("severity") == severity)
        if limit is not None:
            frame = frame.head(limit)
        return [Finding(**r) for r in frame.iter_rows(named=True)]

    def rule_ids(self, severity: str | None = None) -> set[str]:
        frame = self.frame if severity is None else self.frame.filter(pl.col("severity") == severity)
        return set(frame.get_column("rule_id").to_list())

    def to_frame(self) -> pd.DataFrame:
        return self.frame.to_pandas()

    def summary(self) -> str:
        return (f"{sum(self.rows_read.values()):,} rows read from {len(self.rows_read)} table(s); "
                f"{self.n_errors:,} error(s), {self.n_warnings:,} warning(s)")

    def render(self, limit: int | None = 200) -> str:
        """The report as text: a summary line, then one line per finding, errors first."""
        ordered = self.findings(ERROR, limit) + self.findings(WARNING, None if limit is None else max(0, limit - min(limit, self.n_errors)))
        lines = [self.summary()] + [f.describe() for f in ordered]
        total = self.frame.height
        if len(ordered) < total:
            lines.append(f"… and {total - len(ordered):,} more (the full list is in the report file)")
        return "\n".join(lines)
