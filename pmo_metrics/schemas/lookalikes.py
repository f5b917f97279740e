"""KEY-NEAR-DUPLICATE: keys, references and dimension values that differ as written but not as read.

`PRJ-0001` followed by a zero-width space, by a NUL, or written `prj-0001` is a different key to the
database and the same project to every reader: it loads as a second project, and a business unit
spelled with an invisible character is a second unit that a scope does not include. Two values are
look-alikes when they differ as written but are equal after removing zero-width characters, NUL and
no-break spaces, Unicode NFKC (full-width letters, ligatures) and case folding (CONTRACT §2).

Everything runs in SQL over distinct values; NFKC, which DuckDB lacks, is Python's, applied to the
distinct texts that are not plain ASCII only (a few in most batches), which are fetched, normalised
and handed back as a table (`with_normalised`).
"""
from __future__ import annotations

import itertools
import unicodedata
from functools import partial
from typing import Callable

from .. import contract as c
from .rules import RULES, State

# Zero-width space, non-joiner, joiner, word joiner, byte-order mark, NUL; then the no-break spaces.
INVISIBLE = r"[\x{200B}-\x{200D}\x{2060}\x{FEFF}\x00\x{00A0}\x{202F}\x{2007}]"
# How a message shows what cannot be seen.
_SHOWN = (("\u200b", "<U+200B>"), ("\u200c", "<U+200C>"), ("\u200d", "<U+200D>"), ("\u2060", "<U+2060>"),
          ("\ufeff", "<U+FEFF>"), ("\x00", "<NUL>"), ("\u00a0", "<U+00A0>"), ("\u202f", "<U+202F>"),
          ("\u2007", "<U+2007>"))

# The dimensions a filter or a scope selects by, with every column that holds them.
DIMENSIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "business unit": (("projects", "business_unit"), ("maturity_assessments", "business_unit")),
    "portfolio": (("projects", "portfolio"),),
    "program": (("projects", "program"),),
    "department": (("resources", "department"),),
}


# A text with a character outside ASCII, or a NUL: only such a text can change under NFKC or
# hold an invisible character.
_NOT_PLAIN = r"[^\x01-\x7F]"


_forms = itertools.count()  # names of the tables of NFKC forms (a cursor's own, temporary)


def with_normalised(con, rel: str, col: str) -> str:
    """`rel` (distinct texts) with `_n`, the look-alike form of its `col` (NULL for NULL): invisible
    characters removed, NFKC, case folded. A text of plain ASCII (every key of most batches) is
    its own NFKC form and is only case folded. The others — texts with a character outside ASCII
    or a NUL — are fetched from `con` once, put in NFKC by Python and written back beside their
    text as a temporary table of `con` (bound lists, one statement), which the relation joins:
    no Python function is registered on the connection (DuckDB's create_function imports numpy:
    0.1-0.2 s of every load). `rel` is read twice: keep it to distinct values."""
    odd = f"coalesce(regexp_matches({col}, '{_NOT_PLAIN}'), false)"
    texts = [t for (t,) in con.execute(f"SELECT DISTINCT {_visible(col)} FROM {rel} WHERE {odd}").fetchall()]
    forms = f"_nfkc_{next(_forms)}"  # our own name
    con.execute(f"CREATE OR REPLACE TEMP TABLE {forms} AS SELECT unnest($texts::VARCHAR[]) AS _text, "
                f"unnest($forms::VARCHAR[]) AS _form", {"texts": texts, "forms": [_nfkc(t) for t in texts]})
    return (f"(WITH _plain AS MATERIALIZED {rel} SELECT *, lower({col}) AS _n FROM _plain WHERE NOT {odd} "
            f"UNION ALL SELECT _plain.*, lower(f._form) AS _n FROM _plain JOIN {forms} AS f "
            f"ON f._text = {_visible(f'_plain.{col}')} WHERE {odd})")


def _visible(expr: str) -> str:
    """The text without its invisible characters (zero-width, NUL, no-break spaces)."""
    return f"regexp_replace({expr}, '{INVISIBLE}', '', 'g')"


def _nfkc(value: str) -> str:
    return unicodedata.normalize("NFKC", value)


def shown(expr: str) -> str:
    """A text with its invisible characters written out, for a message."""
    out = expr
    for ch, name in _SHOWN:
        out = f"replace({out}, chr({ord(ch)}), '{name}')"
    return out


# (child table, its column, parent table, the parent's key)
REFERENCES: tuple[tuple[str, str, str, str], ...] = (
    *((t, "project_id", "projects", "project_id") for t in RULES["REF-PROJECT"].tables),
    *((t, "resource_id", "resources", "resource_id") for t in RULES["REF-RESOURCE"].tables),
    ("benefit_measurements", "benefit_id", "benefits", "benefit_id"),
    ("projects", "strategic_objective_id", "strategic_objectives", "objective_id"),
)

_WHY = "the same after ignoring case, width and invisible characters"


def lookalike_jobs() -> list[Callable[[State], None]]:
    """Every KEY-NEAR-DUPLICATE check as a job over a `State` (`check_tables` runs them two at a
    time), in report order: keys, references, then dimension values."""
    jobs: list[Callable[[State], None]] = [partial(_keys, table=t) for t in c.TABLES.values() if len(t.key) == 1]
    jobs += [partial(_reference, child=child, col=col, parent=parent, key=key)
             for child, col, parent, key in REFERENCES]
    return jobs + [partial(_dimension, words=words, columns=columns) for words, columns in DIMENSIONS.items()]


def _project(table: str) -> str | None:
    return "project_id" if "project_id" in c.TABLES[table].column_names else None


def _keys(state: State, table: c.Table) -> None:
    if table.name not in state.batch:
        return
    key = f'"{table.key[0]}"'
    rows = state.get(table.name)
    spellings = with_normalised(state.con, f"(SELECT DISTINCT {key} AS _k FROM {rows} WHERE {key} IS NOT NULL)", "_k")
    # Each spelling in a group of look-alikes, with the group: rows join it on their key as written.
    groups = (f"(WITH _s AS MATERIALIZED {spellings} SELECT _s._k, g._all FROM _s JOIN (SELECT _n, "
              f"string_agg({shown('_k')}, ', ' ORDER BY _k) AS _all FROM _s GROUP BY _n HAVING count(*) > 1) AS g "
              f"USING (_n))")
    hits = f"(SELECT r.*, g._all FROM {rows} AS r JOIN {groups} AS g ON r.{key} = g._k)"
    state.emit("KEY-NEAR-DUPLICATE", table.name, table.key[0], hits, located=True, value=shown(key),
               project=_project(table.name),
               message=f"'{table.key[0]} ' || {shown(key)} || ' looks like another key of {table.name} "
                       f"(' || _all || '), {_WHY}: one record counted twice?'")


def _reference(state: State, child: str, col: str, parent: str, key: str) -> None:
    if not (state.in_batch(child, parent) and state.located(child) and state.get(parent) is not None):
        return
    rows, known = state.get(child), state.get(parent)
    # Only the references that match no key exactly (REF-* already names them) are compared —
    # the ones State.missing found for that rule. Those that look like a key land in a
    # temporary table, and with none (a clean batch) the rows are not scanned again.
    missing, count = state.missing(child, col, parent, key)
    if not count:
        return
    keys = with_normalised(state.con, f"(SELECT DISTINCT {key} AS _k FROM {known} WHERE {key} IS NOT NULL)", "_k")
    unknown = with_normalised(state.con, f"(SELECT _v FROM {missing})", "_v")
    matches = f"_lookalike_{child}_{col}"
    state.con.execute(f"CREATE OR REPLACE TEMP TABLE {matches} AS SELECT m._v, string_agg({shown('k._k')}, ', ' "
                      f"ORDER BY k._k) AS _keys FROM {unknown} AS m JOIN {keys} AS k ON m._n = k._n GROUP BY m._v")
    try:
        if not state.con.execute(f"SELECT count(*) FROM {matches}").fetchone()[0]:
            return
        first = (f"(SELECT {col}, count(*) AS _count, arg_min(_file, _rid) AS _file, min(_row) AS _row, "
                 f"min(_rid) AS _rid" + (", arg_min(project_id, _rid) AS project_id" if _project(child) else "")
                 + f" FROM {rows} WHERE {col} IN (SELECT _v FROM {matches}) GROUP BY {col})")
        hits = f"(SELECT f.*, m._keys FROM {first} AS f JOIN {matches} AS m ON m._v = f.{col})"
        state.emit("KEY-NEAR-DUPLICATE", child, col, hits, located=True, value=shown(col), project=_project(child),
                   message=f"_count || ' row(s) refer to {col} ' || {shown(col)} || ', which is not in {parent} but "
                           f"looks like ' || _keys || ' ({_WHY})'")
    finally:
        state.con.execute(f"DROP TABLE {matches}")


def _dimension(state: State, words: str, columns: tuple[tuple[str, str], ...]) -> None:
    """One warning per spelling of a dimension value, in a table of the batch, that another
    spelling of the same value (in any table holding the dimension) looks like."""
    if not any(state.in_batch(t) for t, _ in columns):
        return
    parts = []
    for table, col in columns:
        rows = state.get(table)
        if rows is None:
            continue
        where = ("_file, _row" if state.located(table) else "NULL::VARCHAR AS _file, NULL::BIGINT AS _row")
        parts.append(f"SELECT '{table}' AS _t, {col} AS _v, {where}, _rid FROM {rows} WHERE {col} IS NOT NULL")
    spelled = with_normalised(state.con, f"(SELECT _t, _v, count(*) AS _count, arg_min(_file, _rid) AS _file, "
                              f"min(_row) AS _row, min(_rid) AS _rid FROM ({' UNION ALL '.join(parts)}) "
                              f"GROUP BY _t, _v)", "_v")
    groups = (f"(SELECT _n, string_agg(DISTINCT {shown('_v')}, ', ' ORDER BY {shown('_v')}) AS _all FROM {spelled} "
              f"GROUP BY _n HAVING count(DISTINCT _v) > 1)")
    for table, col in columns:
        if table not in state.batch:
            continue
        hits = f"(SELECT s.*, g._all FROM {spelled} AS s JOIN {groups} AS g USING (_n) WHERE s._t = '{table}')"
        state.emit("KEY-NEAR-DUPLICATE", table, col, hits, located=True, value=shown("_v"), project=None,
                   message=f"'{words} ' || {shown('_v')} || ' (' || _count || ' row(s)) is written in several ways "
                           f"(' || _all || '), {_WHY}: filters and scopes see them as different {words}s'")
