"""Cell values read exactly as before the readers moved into DuckDB.

tests/data/equivalence/parse_corpus.parquet holds how the polars parsers read ~2,000 cell values
(the fuzz corpus' nasty values and generated numbers, dates, months and flags) per type and option
set — each value alone, and in mixed columns of 40 (a column decides its decimal separator from
the cells that fail). Here every column is read again through the loader's own path — the fast
parse in SQL, the lenient parsers for what it leaves, the SCHEMA finding for a cell that does not
parse — both as a mapped column (trimmed first) and as a source column read as written.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

from pmo_metrics.contract import Column, Table
from pmo_metrics.sources.cells import ValueOptions
from pmo_metrics.sources.mapping import ColumnRef, Mapping, Placeholder, TableSpec, Template
from pmo_metrics.sources.readers import FrameWriter
from pmo_metrics.sources.transform import READ_FINDINGS, Findings, Lookups, PartBuilder
from pmo_metrics.sources.workspace import Workspace

DATA = Path(__file__).parent / "data" / "equivalence"
CORPUS = pl.read_parquet(DATA / "parse_corpus.parquet")
OPTIONS = {name: ValueOptions(**{k: tuple(v) if isinstance(v, list) else v for k, v in kw.items()})
           for name, kw in json.loads((DATA / "parse_options.json").read_text()).items()}
CASES = sorted(CORPUS.select("options", "type").unique().iter_rows())


def _shown(v) -> str | None:
    """A value as the corpus writes it (dates ISO, anything else its repr)."""
    if v is None:
        return None
    return v.isoformat() if isinstance(v, dt.date) else repr(v)


def read_columns(columns: list[list[str]], type_: str, opts: ValueOptions, as_is: bool) -> list[list[tuple]]:
    """Each list of cells as a column of its own (a hundred to a source): (value as the corpus
    shows it, whether a SCHEMA finding names the cell) per cell."""
    ws = Workspace()
    try:
        mapping = Mapping(value_defaults=opts)
        sink = Findings(ws)
        out = []
        for start in range(0, len(columns), 100):
            chunk = columns[start:start + 100]
            names = [f"x{i}" for i in range(len(chunk))]
            height = max(len(col) for col in chunk)
            table = Table("corpus", "test", (), tuple(Column(n, type_, required=False) for n in names))
            specs = {n: ColumnRef(n) if as_is else Template("{" + n + "}", (Placeholder(n, ()),)) for n in names}
            writer = FrameWriter(ws, f"c{start}.csv", names)
            writer.append(list(range(2, height + 2)), [col + [None] * (height - len(col)) for col in chunk])
            target = f"corpus_{start}"
            PartBuilder(ws, table, TableSpec("corpus", (), columns=specs), None, writer.frame(), mapping,
                        Lookups(mapping, None, ws), sink, start, target, None).build()
            values = ws.con.execute(f"SELECT {', '.join(names)} FROM {target} ORDER BY _row").fetchall()
            bad = set(ws.con.execute(f'SELECT "column", "row" FROM {READ_FINDINGS} WHERE file = ?',
                                     [f"c{start}.csv"]).fetchall())
            for i, (n, col) in enumerate(zip(names, chunk)):
                out.append([(_shown(values[j][i]), (n, j + 2) in bad) for j in range(len(col))])
        return out
    finally:
        ws.close()


def _clean(value: str, opts: ValueOptions) -> bool:
    """Whether a mapped column's trimming leaves the value as it is."""
    return value == value.strip() and value.strip().lower() not in {t.strip().lower() for t in opts.empty}


@pytest.mark.parametrize("as_is", [False, True], ids=["mapped", "as_written"])
@pytest.mark.parametrize("options, type_", CASES)
def test_every_value_reads_as_before(options, type_, as_is):
    opts = OPTIONS[options]
    rows = CORPUS.filter((pl.col("options") == options) & (pl.col("type") == type_))
    alone = rows.filter(pl.col("column") == -1).select("value", "parsed", "bad").rows()
    if type_ in ("num", "money", "int") and opts.decimal is None:
        # Read alone, a value decides its own decimal separator: each needs a column of its own,
        # so a fixed sample of them is read (the mixed columns below are read whole).
        groups = [[r] for r in alone[::21]]
    else:
        groups = [alone]  # one column: each value reads the same alone or beside the others
    groups += [rows.filter(pl.col("column") == k).select("value", "parsed", "bad").rows()
               for k in sorted(set(rows["column"].to_list()) - {-1})]
    if not as_is:
        # A mapped column is trimmed (and its empty tokens emptied) before it is parsed, which the
        # corpus' columns were not: its readings hold for columns that trimming leaves alone.
        groups = [g for g in groups if all(_clean(v, opts) for v, _, _ in g)]
    got = read_columns([[v for v, _, _ in g] for g in groups], type_, opts, as_is)
    diffs = [(v, (p, b), now) for g, column in zip(groups, got) for (v, p, b), now in zip(g, column) if (p, b) != now]
    assert len(got) == len(groups) and groups
    assert not diffs, f"{len(diffs)} cells read differently — (value, (before, finding), now): {diffs[:12]}"


def test_the_fast_number_reading_is_the_lenient_parsers_or_leaves_the_cell_to_it():
    """Every string of up to four characters from an alphabet of what numbers are made of (and what
    DuckDB's cast accepts besides: "_", spaces, "x"): the SQL reading either agrees with the
    lenient parser or reads nothing (the parser then decides) — never a value the parser would
    not give."""
    import itertools

    import duckdb

    from pmo_metrics.contract import MONEY, NUM
    from pmo_metrics.sources import parse
    from pmo_metrics.sources.cells import fast

    strings = sorted({"".join(p) for n in range(1, 4) for p in itertools.product("1.+-e_ x", repeat=n)}
                     | {"".join(p) for p in itertools.product("10.+-eE_", repeat=4)}
                     | {"1_000", "+-1", "-+1", "1e5_0", " 12", "\t-1.5e3 ", "0x1F", "inf", "-Infinity", "nan", "1e400"})
    con = duckdb.connect()
    con.execute("CREATE TABLE s AS SELECT unnest($v::VARCHAR[]) AS x", {"v": strings})
    for type_ in (NUM, MONEY):
        sql = fast("x", type_, ValueOptions(), lambda v: "'" + str(v) + "'")
        read = dict(con.execute(f"SELECT x, {sql} FROM s").fetchall())
        lenient = dict(zip(strings, parse.parse(pl.Series("x", strings, dtype=pl.String), type_, ValueOptions(),
                                                as_is=True).to_list()))
        wrong = {s: (read[s], lenient[s]) for s in strings if read[s] is not None and read[s] != lenient[s]}
        assert not wrong, f"{type_}: the fast reading differs from the parser's: {dict(list(wrong.items())[:10])}"
        assert sum(v is not None for v in read.values()) > 150   # it does read the plain numbers itself


def test_in_a_plain_file_the_cast_alone_reads_a_number_as_the_pattern_and_cast_do():
    """`fast(..., plain=True)` leaves the pattern out for the cells of a file with no whitespace,
    "_" or "+-" (delimited.plain_cells): every string of up to five characters from an alphabet of
    number characters and the letters DuckDB's cast knows (inf, nan, e, x), none of those excluded,
    reads the same either way."""
    import itertools

    import duckdb

    from pmo_metrics.contract import NUM
    from pmo_metrics.sources.cells import fast

    strings = sorted(s for s in {"".join(p) for n in range(1, 6) for p in itertools.product("09.+-eEinfax", repeat=n)}
                     | {"infinity", "-Infinity", "NaN", "1e400", "123456789.125", "0x1F"} if "+-" not in s)
    con = duckdb.connect()
    con.execute("CREATE TABLE s AS SELECT unnest($v::VARCHAR[]) AS x", {"v": strings})
    bind = lambda v: "'" + str(v) + "'"  # noqa: E731
    full, plain = fast("x", NUM, ValueOptions(), bind), fast("x", NUM, ValueOptions(), bind, plain=True)
    assert "regexp" not in plain
    differ = con.execute(f"SELECT x, {full}, {plain} FROM s WHERE {full} IS DISTINCT FROM {plain}").fetchall()
    assert not differ, differ[:10]
    assert con.execute(f"SELECT count({plain}) FROM s").fetchone()[0] > 500  # it does read numbers


def _typed_by_the_reader(tmp_path: Path, strings: list[str], type_: str) -> dict[str, object]:
    """Each string as DuckDB's reader types it in a plain file's lean pass (`CsvFile.reader_sql`
    with `types`), then as `cells.typed` takes it: None for a cell the reader refuses (the pass
    stops, and the lenient parser decides) or that `typed` leaves (likewise)."""
    import duckdb

    from pmo_metrics.contract import DATE
    from pmo_metrics.sources.cells import typed

    path = tmp_path / "cells.csv"
    path.write_text("i,x\n" + "".join(f"{n},{v}\n" for n, v in enumerate(strings)))
    con = duckdb.connect()
    kept = dict(con.execute(
        f"SELECT i, {typed('x', type_)} FROM read_csv(?, columns = {{'i': 'BIGINT', 'x': "
        f"'{'DATE' if type_ == DATE else 'DOUBLE'}'}}, header = true, auto_detect = false, delim = ',', "
        "quote = '\"', escape = '\"', dateformat = '%Y-%m-%d', ignore_errors = true)", [str(path)]).fetchall())
    return {v: kept.get(n) for n, v in enumerate(strings)}


def _read_fast(strings: list[str], type_: str) -> dict[str, object]:
    import duckdb

    from pmo_metrics.sources.cells import fast

    plain = fast("x", type_, ValueOptions(), lambda v: "'" + str(v) + "'", plain=True)
    return dict(duckdb.connect().execute(f"SELECT x, {plain} FROM (SELECT unnest($v::VARCHAR[]) AS x)",
                                         {"v": strings}).fetchall())


def test_in_a_plain_file_the_reader_types_a_number_as_the_fast_parse_reads_its_text(tmp_path):
    """A plain file's numbers are typed by DuckDB's reader (`PartBuilder._typed_reads`): every
    string of up to five number characters and the letters DuckDB's cast knows reads the same —
    a value, or a miss for the lenient parser — as `fast(..., plain=True)` reads its text."""
    import itertools

    from pmo_metrics.contract import NUM

    strings = sorted(s for s in {"".join(p) for n in range(1, 6) for p in itertools.product("09.+-eEinfax", repeat=n)}
                     | {"infinity", "-Infinity", "NaN", "1e400", "123456789.125", "0x1F"} if "+-" not in s)
    by_reader, by_text = _typed_by_the_reader(tmp_path, strings, NUM), _read_fast(strings, NUM)
    differ = {s: (by_reader[s], by_text[s]) for s in strings if by_reader[s] != by_text[s]}
    assert not differ, list(differ.items())[:10]
    assert sum(v is not None for v in by_reader.values()) > 500  # it does read numbers


def test_in_a_plain_file_the_reader_types_a_date_as_the_fast_parse_reads_its_text(tmp_path):
    """Likewise for dates (an ISO first format): the reader's %Y-%m-%d is the fast parse's, strictly:
    a short month or day, another separator, a time, a sign, a year before 1000 or 'infinity' read
    as the fast parse reads them (a value, or a miss)."""
    import itertools

    from pmo_metrics.contract import DATE

    years = ["2024", "1999", "1000", "0999", "0031", "31", "99999", "+2024", "-2024", "0000", "2o24"]
    months = ["01", "1", "12", "13", "00", "1a", "001"]
    days = ["05", "5", "29", "30", "31", "00", "5x"]
    strings = sorted({f"{y}{sep}{m}{sep}{d}{end}" for y, m, d in itertools.product(years, months, days)
                      for sep in ("-", "/", "") for end in ("", "T10:00", "x", "-")}
                     | {"infinity", "-infinity", "epoch", "today", "2024-02-29", "2023-02-29"})
    by_reader, by_text = _typed_by_the_reader(tmp_path, strings, DATE), _read_fast(strings, DATE)
    differ = {s: (by_reader[s], by_text[s]) for s in strings if by_reader[s] != by_text[s]}
    assert not differ, list(differ.items())[:10]
    assert by_reader["2024-1-5"] == by_text["2024-1-5"] == dt.date(2024, 1, 5)
    assert by_reader["0031-01-05"] is None and by_reader["infinity"] is None and by_reader["2023-02-29"] is None
    assert sum(v is not None for v in by_reader.values()) > 40  # it does read dates
