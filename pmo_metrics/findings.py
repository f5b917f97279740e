"""What validation found: one `Finding` per failed value or row, gathered in a `ValidationReport`."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Iterable

import pandas as pd

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


@dataclass
class ValidationReport:
    findings: list[Finding] = field(default_factory=list)
    rows_read: dict[str, int] = field(default_factory=dict)
    files: dict[str, list[str]] = field(default_factory=dict)  # table -> source file names

    def extend(self, findings: Iterable[Finding]) -> None:
        self.findings.extend(findings)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_frame(self) -> pd.DataFrame:
        cols = [f for f in Finding.__dataclass_fields__]
        return pd.DataFrame([asdict(f) for f in self.findings], columns=cols)

    def summary(self) -> str:
        return (f"{sum(self.rows_read.values()):,} rows read from {len(self.rows_read)} table(s); "
                f"{len(self.errors):,} error(s), {len(self.warnings):,} warning(s)")

    def render(self, limit: int | None = 200) -> str:
        """The report as text: a summary line, then one line per finding (errors first)."""
        lines = [self.summary()]
        ordered = self.errors + self.warnings
        shown = ordered if limit is None else ordered[:limit]
        lines += [f.describe() for f in shown]
        if len(shown) < len(ordered):
            lines.append(f"… and {len(ordered) - len(shown):,} more (full list in the report file)")
        return "\n".join(lines)
