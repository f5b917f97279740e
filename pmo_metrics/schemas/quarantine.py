"""The quarantine cascade (CONTRACT §2, REF-QUARANTINED): a row whose parent is set aside goes too.

Checked against the batch, a status report of a project with a negative budget has its parent;
once that project is quarantined it would load pointing at nothing. So, with quarantine on, every
row of the batch whose project, resource or benefit was rejected (and has no other, valid row of
that id in the batch) is rejected as well, with `REF-QUARANTINED` — repeatedly, because setting
aside a benefit sets aside its measurements in turn. Rows already loaded that the batch leaves in
place cannot be set aside: one that would lose its parent is an error without a row, which rejects
the load (the database never holds a row whose parent is missing).

Everything is SQL over the batch's tables and the findings, so the cascade costs a few anti-joins
whatever the batch's size.
"""
from __future__ import annotations

from .. import contract as c
from ..findings import ERROR
from .rules import DATABASE

RULE = "REF-QUARANTINED"
# (parent table, its key column): every table holding that column refers to it.
PARENTS = (("projects", "project_id"), ("resources", "resource_id"), ("benefits", "benefit_id"))


def references() -> list[tuple[str, str, str]]:
    """Every (child table, column, parent table) the cascade follows, in load order."""
    return [(child, col, parent) for parent, col in PARENTS for child in c.LOAD_ORDER
            if child != parent and col in c.TABLES[child].column_names]


def _rejected_ids(table: str, relation: str, col: str, findings: str) -> str:
    """The ids of `table` that errors reject and no surviving row of the batch still carries."""
    hit = (f"EXISTS (SELECT 1 FROM {findings} AS f WHERE f.severity = '{ERROR}' AND f.\"table\" = '{table}' "
           f"AND f.file = t._file AND f.\"row\" = t._row)")
    return (f"(SELECT {col} FROM {relation} AS t WHERE {col} IS NOT NULL AND {hit} "
            f"EXCEPT SELECT {col} FROM {relation} AS t WHERE {col} IS NOT NULL AND NOT {hit})")


def cascade_quarantine(con, batch: dict[str, str], loaded: dict[str, str], findings: str) -> int:
    """Add a REF-QUARANTINED error to `findings` for every row whose parent an error rejects, until
    no more rows follow; returns how many were added. `batch` and `loaded` name the relations as
    for `check_tables` (every name comes from the contract)."""
    parents = [p for p, _ in PARENTS if p in batch]
    if not parents or not con.execute(
            f"SELECT count(*) FROM {findings} WHERE severity = '{ERROR}' AND \"row\" IS NOT NULL "
            f"AND list_contains($parents, \"table\")", {"parents": parents}).fetchone()[0]:
        return 0  # no parent row is rejected: nothing can cascade (and no child table is scanned)
    added = 0
    while True:
        before = con.execute(f"SELECT count(*) FROM {findings}").fetchone()[0]
        for child, col, parent in references():
            if parent not in batch:
                continue  # a parent table the batch does not carry loses no row
            gone = _rejected_ids(parent, batch[parent], col, findings)
            params = {"rule": RULE, "severity": ERROR, "table": child, "column": col,
                      "text": f"the {col} is in {parent}, but that row was quarantined, so this row is set aside too"}
            project = "project_id" if "project_id" in c.TABLES[child].column_names else "NULL"
            if child in batch:
                already = (f"EXISTS (SELECT 1 FROM {findings} AS f WHERE f.severity = '{ERROR}' "
                           f"AND f.\"table\" = '{child}' AND f.file = r._file AND f.\"row\" = r._row)")
                con.execute(
                    f"INSERT INTO {findings} SELECT $rule, $severity, $table, $text, r._file, r._row, $column, "
                    f"CAST(r.{col} AS VARCHAR), {project} FROM {batch[child]} AS r "
                    f"WHERE r.{col} IN {gone} AND NOT {already} ORDER BY r._file, r._row", params)
            elif child in loaded:
                # Rows kept from the last load: one finding per id, without a row, which rejects the load.
                del params["text"]
                con.execute(
                    f"INSERT INTO {findings} SELECT $rule, $severity, $table, count(*) || ' loaded {child} row(s) "
                    f"refer to this {col}, whose {parent} row this batch quarantines; load {child} with the batch "
                    f"or fix the {parent} row', '{DATABASE}', NULL, $column, CAST(r.{col} AS VARCHAR), "
                    f"{'r.project_id' if col == 'project_id' else 'NULL'} FROM {loaded[child]} AS r "
                    f"WHERE r.{col} IN {gone} AND NOT EXISTS (SELECT 1 FROM {findings} AS f WHERE f.rule_id = $rule "
                    f"AND f.\"table\" = $table AND f.\"row\" IS NULL AND f.value = CAST(r.{col} AS VARCHAR)) "
                    f"GROUP BY ALL ORDER BY 8", params)
        now = con.execute(f"SELECT count(*) FROM {findings}").fetchone()[0]
        added += now - before
        if now == before:
            return added

