"""What "the loaded database never breaks a REF-* rule" means, as a query over a published database."""
from __future__ import annotations

from pathlib import Path

from pmo_metrics.db import cursor_for, open_readonly
from pmo_metrics.schemas import RULES

# rule → (parent table, column)
PARENT = {"REF-PROJECT": ("projects", "project_id"), "REF-RESOURCE": ("resources", "resource_id"),
          "REF-BENEFIT": ("benefits", "benefit_id")}


def broken_references(db: Path) -> dict[str, int]:
    """Per "rule: table", how many loaded rows name a parent the database lacks (empty: none)."""
    con = open_readonly(db)
    try:
        cur = cursor_for(con)
        out = {}
        for rule, (parent, col) in PARENT.items():
            for child in RULES[rule].tables:
                n = cur.execute(f'SELECT count(*) FROM main."{child}" AS r WHERE r.{col} IS NOT NULL AND NOT EXISTS '
                                f'(SELECT 1 FROM main."{parent}" AS p WHERE p.{col} = r.{col})').fetchone()[0]
                if n:
                    out[f"{rule}: {child}"] = n
        return out
    finally:
        con.close()


def counts_add_up(db: Path) -> dict[str, tuple]:
    """The tables of the last load whose rows read − loaded ≠ rejected (empty: every one adds up)."""
    con = open_readonly(db)
    try:
        rows = cursor_for(con).execute(
            "SELECT \"table\", rows_read, rows_loaded, rows_rejected FROM meta.table_rows WHERE load_id = "
            "(SELECT load_id FROM meta.load_log ORDER BY finished_at DESC LIMIT 1)").fetchall()
        assert rows, "the last load recorded no table counts"
        return {t: (r, l, q) for t, r, l, q in rows if r - l != q}
    finally:
        con.close()
